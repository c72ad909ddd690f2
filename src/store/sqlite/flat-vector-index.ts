import { TopK } from '../../core/top-k.js';
import type { ScoredId } from '../../core/types.js';
import { DotKernel, laneChecksum } from './dot-kernel.js';
import type { VectorSnapshot } from './vector-snapshot.js';

/** Below this share of the space, a filtered search scores only the allowed rows. */
const SELECTIVE = 0.125;
/**
 * From this many vectors, search first scans the int8 copy (a quarter of the bytes) and
 * rescores exactly every row that could still be in the top k; below it one exact scan is as cheap.
 */
const QUANTIZED_FROM = 2048;
/** Past this share of rows left to rescore (near-ties everywhere), one exact scan is cheaper. */
const RESCORE_LIMIT = 0.25;

/**
 * All vectors of one space in one contiguous float array, scanned exactly (with a WebAssembly
 * SIMD kernel when the dimension allows). It is derived state: the database is the truth, and
 * the owner brings the index up to date from the change feed before each search, so results
 * are always fresh, even after writes by another process.
 */
export class FlatVectorIndex {
  /** Last change-feed sequence reflected here. */
  appliedSeq = 0;
  private data: Float32Array;
  private readonly kernel: DotKernel | undefined;
  private ids: string[] = [];
  private seqs: number[] = [];
  /** Expiry per slot in epoch ms; Infinity when a memory never expires. */
  private expires: number[] = [];
  private readonly slotOf = new Map<string, number>();
  /** Slot of each row seq: the ANN index names memories by row seq. */
  private readonly slotOfRow = new Map<number, number>();
  /** Scratch for approximate scores, reused across searches. */
  private approx = new Float64Array(0);

  constructor(
    readonly dimension: number,
    initialCapacity = 1024,
  ) {
    this.kernel = DotKernel.supports(dimension) ? new DotKernel(dimension) : undefined;
    this.data = new Float32Array(0);
    this.ensureCapacity(initialCapacity);
  }

  /** Number of vectors held. */
  get size(): number {
    return this.ids.length;
  }

  /** Makes room for `vectors` vectors at once, e.g. before a full load. */
  reserve(vectors: number): void {
    this.ensureCapacity(vectors);
  }

  /** Adds or replaces the vector of memory `id` (row `seq`), which expires at `expiresAt` if not null. */
  upsert(id: string, seq: number, vector: Float32Array, expiresAt: number | null = null): void {
    let slot = this.slotOf.get(id);
    const expires = expiresAt ?? Number.POSITIVE_INFINITY;
    if (slot === undefined) {
      slot = this.ids.length;
      this.ensureCapacity(slot + 1);
      this.ids.push(id);
      this.seqs.push(seq);
      this.expires.push(expires);
      this.slotOf.set(id, slot);
    } else {
      this.slotOfRow.delete(this.seqs[slot]!);
      this.seqs[slot] = seq;
      this.expires[slot] = expires;
    }
    this.slotOfRow.set(seq, slot);
    this.data.set(vector, slot * this.dimension);
    this.kernel?.quantize(slot, 1);
  }

  /** Forgets every vector, keeping the room they took (a scratch index reused per search). */
  clear(): void {
    this.ids = [];
    this.seqs = [];
    this.expires = [];
    this.slotOf.clear();
    this.slotOfRow.clear();
    this.appliedSeq = 0;
  }

  /** Removes memory `id`; the last vector moves into its slot so the array stays dense. */
  remove(id: string): void {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return;
    const last = this.ids.length - 1;
    this.slotOfRow.delete(this.seqs[slot]!);
    if (slot !== last) {
      const lastId = this.ids[last]!;
      if (this.kernel !== undefined) this.kernel.moveRow(last, slot);
      else this.data.copyWithin(slot * this.dimension, last * this.dimension, (last + 1) * this.dimension);
      this.ids[slot] = lastId;
      this.seqs[slot] = this.seqs[last]!;
      this.expires[slot] = this.expires[last]!;
      this.slotOf.set(lastId, slot);
      this.slotOfRow.set(this.seqs[slot]!, slot);
    }
    this.ids.pop();
    this.seqs.pop();
    this.expires.pop();
    this.slotOf.delete(id);
  }

  /**
   * The `k` vectors with the highest dot product with `query` (cosine, as all are unit length),
   * among those not expired at `now`, restricted to rows whose seq is in `allowed` when given.
   */
  search(query: Float32Array, k: number, now: number, allowed?: ReadonlySet<number>): ScoredId[] {
    const n = this.ids.length;
    const keep = (slot: number): boolean => this.expires[slot]! > now && (allowed === undefined || allowed.has(this.seqs[slot]!));
    let top: TopK | undefined;
    if (this.kernel !== undefined && (allowed === undefined || allowed.size >= n * SELECTIVE)) {
      if (n >= QUANTIZED_FROM) top = this.searchQuantized(this.kernel, query, k, keep);
      if (top === undefined) {
        top = new TopK(k);
        const scores = this.kernel.score(query, n);
        for (let slot = 0; slot < n; slot++) {
          const score = scores[slot]!;
          if (score > top.floor && keep(slot)) top.push(slot, score);
        }
      }
    } else if (allowed !== undefined) {
      top = this.scoreRows(query, k, now, allowed);
    } else {
      top = new TopK(k);
      for (let slot = 0; slot < n; slot++) {
        if (!keep(slot)) continue;
        const score = this.dot(slot, query);
        if (score > top.floor) top.push(slot, score);
      }
    }
    return this.hits(top);
  }

  /**
   * Exact scores of `candidates` (row seqs; unknown ones ignored) plus `extraIds` (memory ids),
   * keeping the `k` best not expired at `now` and allowed. The ANN search rescoring its
   * candidates and the not-yet-indexed tail goes through here, so every score returned is exact.
   */
  rescore(
    query: Float32Array,
    k: number,
    now: number,
    candidates: Iterable<number>,
    extraIds: Iterable<string>,
    skipIds: ReadonlySet<string>,
    allowed?: ReadonlySet<number>,
  ): ScoredId[] {
    const slots: number[] = [];
    const seen = new Set<number>();
    const consider = (slot: number | undefined): void => {
      if (slot === undefined || seen.has(slot)) return;
      seen.add(slot);
      if (this.expires[slot]! > now && (allowed === undefined || allowed.has(this.seqs[slot]!))) slots.push(slot);
    };
    for (const row of candidates) {
      const slot = this.slotOfRow.get(row);
      if (slot !== undefined && !skipIds.has(this.ids[slot]!)) consider(slot);
    }
    for (const id of extraIds) consider(this.slotOf.get(id));
    const scores = this.kernel !== undefined ? this.kernel.scoreSlots(query, slots) : slots.map((slot) => this.dot(slot, query));
    const top = new TopK(k);
    for (let i = 0; i < slots.length; i++) if (scores[i]! > top.floor) top.push(slots[i]!, scores[i]!);
    return this.hits(top);
  }

  /** Exact search over the rows named in `rows` only: cheap when they are few. */
  private scoreRows(query: Float32Array, k: number, now: number, rows: ReadonlySet<number>): TopK {
    const top = new TopK(k);
    for (const row of rows) {
      const slot = this.slotOfRow.get(row);
      if (slot === undefined || !(this.expires[slot]! > now)) continue;
      const score = this.dot(slot, query);
      if (score > top.floor) top.push(slot, score);
    }
    return top;
  }

  private hits(top: TopK): ScoredId[] {
    return top.sorted().map(({ item, score }) => ({ id: this.ids[item]!, score }));
  }

  /**
   * The exact top k through the int8 copy: each approximate score comes with a bound on its
   * error, so a row whose upper bound is below the k-th best lower bound cannot be in the top k;
   * every other row is rescored exactly. Undefined when too many rows are left to rescore.
   */
  private searchQuantized(kernel: DotKernel, query: Float32Array, k: number, keep: (slot: number) => boolean): TopK | undefined {
    const n = this.ids.length;
    const { dots, scales, queryScale, errorPerScale } = kernel.approxScores(query, n);
    if (this.approx.length < n) this.approx = new Float64Array(Math.max(n, this.approx.length * 2));
    const approx = this.approx;
    const lower = new TopK(k);
    for (let slot = 0; slot < n; slot++) {
      if (!keep(slot)) {
        approx[slot] = Number.NaN;
        continue;
      }
      const scale = scales[slot]!;
      const score = dots[slot]! * scale * queryScale;
      approx[slot] = score;
      const low = score - scale * errorPerScale;
      if (low > lower.floor) lower.push(slot, low);
    }
    const threshold = lower.floor; // -Infinity while fewer than k rows are kept: then all are candidates
    const top = new TopK(k);
    let rescored = 0;
    for (let slot = 0; slot < n; slot++) {
      const score = approx[slot]!;
      if (!(score + scales[slot]! * errorPerScale >= threshold)) continue; // NaN (not kept) fails too
      if (++rescored > n * RESCORE_LIMIT) return undefined;
      const exact = this.dot(slot, query);
      if (exact > top.floor) top.push(slot, exact);
    }
    return top;
  }

  /** The whole index, for saving; the vectors are a view, valid until the next change. */
  snapshot(uid: string): VectorSnapshot {
    return {
      uid,
      dimension: this.dimension,
      appliedSeq: this.appliedSeq,
      ids: this.ids,
      seqs: Float64Array.from(this.seqs),
      expires: Float64Array.from(this.expires),
      vectors: this.data.subarray(0, this.ids.length * this.dimension),
      ...(this.kernel !== undefined && { quantized: this.kernel.quantized(this.ids.length) }),
      vectorsChecksum: this.rowsChecksum(this.ids.length),
    };
  }

  /** Where a snapshot's int8 codes and scales load in place; undefined when this index keeps none. */
  quantizedFor(count: number): { codes: Uint8Array; scales: Uint8Array } | undefined {
    this.ensureCapacity(count);
    return this.kernel?.quantized(count);
  }

  /** Checksum of the first `count` vectors (and their int8 codes), for snapshot files. */
  rowsChecksum(count: number): number {
    if (this.kernel !== undefined) return this.kernel.checksum(count);
    return laneChecksum(new Int32Array(this.data.buffer, this.data.byteOffset, count * this.dimension));
  }

  /** A writable view of room for `count` vectors, for loading a snapshot in place (see {@link adopt}). */
  rowsFor(count: number): Float32Array {
    this.ensureCapacity(count);
    return this.data;
  }

  /** Takes the bookkeeping of `ids.length` vectors (and codes) already written in place through {@link rowsFor} and {@link quantizedFor}. */
  adopt(snap: Omit<VectorSnapshot, 'vectors' | 'vectorsChecksum' | 'quantized'>): void {
    this.ids = [...snap.ids];
    this.seqs = Array.from(snap.seqs);
    this.expires = Array.from(snap.expires);
    this.slotOf.clear();
    this.slotOfRow.clear();
    this.ids.forEach((id, slot) => this.slotOf.set(id, slot));
    this.seqs.forEach((seq, slot) => this.slotOfRow.set(seq, slot));
    this.appliedSeq = snap.appliedSeq;
  }

  /** Dot products of `query` with the vectors of these ids; unknown ids are left out. */
  scores(query: Float32Array, ids: readonly string[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const id of ids) {
      const slot = this.slotOf.get(id);
      if (slot !== undefined) out.set(id, this.dot(slot, query));
    }
    return out;
  }

  private dot(slot: number, query: Float32Array): number {
    const dim = this.dimension;
    const data = this.data;
    const base = slot * dim;
    // Four accumulators let the CPU overlap the multiply-adds.
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let i = 0;
    for (; i + 3 < dim; i += 4) {
      s0 += data[base + i]! * query[i]!;
      s1 += data[base + i + 1]! * query[i + 1]!;
      s2 += data[base + i + 2]! * query[i + 2]!;
      s3 += data[base + i + 3]! * query[i + 3]!;
    }
    for (; i < dim; i++) s0 += data[base + i]! * query[i]!;
    return s0 + s1 + s2 + s3;
  }

  private ensureCapacity(vectors: number): void {
    const capacity = this.data.length / this.dimension;
    if (vectors <= capacity) return;
    const next = Math.max(vectors, capacity * 2);
    if (this.kernel !== undefined) {
      this.kernel.reserve(next); // keeps the rows already held
      this.data = this.kernel.rows;
    } else {
      const grown = new Float32Array(next * this.dimension);
      grown.set(this.data);
      this.data = grown;
    }
  }
}
