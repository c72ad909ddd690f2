import { TopK } from '../../core/top-k.js';
import type { ScoredId } from '../../core/types.js';

/**
 * All vectors of one space in one contiguous Float32Array, scanned exactly. It is derived state:
 * the database is the truth, and the owner brings the index up to date from the change feed
 * before each search, so results are always fresh, even after writes by another process.
 */
export class FlatVectorIndex {
  /** Last change-feed sequence reflected here. */
  appliedSeq = 0;
  private data: Float32Array;
  private ids: string[] = [];
  private seqs: number[] = [];
  /** Expiry per slot in epoch ms; Infinity when a memory never expires. */
  private expires: number[] = [];
  private readonly slotOf = new Map<string, number>();

  constructor(readonly dimension: number, initialCapacity = 1024) {
    this.data = new Float32Array(dimension * initialCapacity);
  }

  /** Number of vectors held. */
  get size(): number {
    return this.ids.length;
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
      this.seqs[slot] = seq;
      this.expires[slot] = expires;
    }
    this.data.set(vector, slot * this.dimension);
  }

  /** Removes memory `id`; the last vector moves into its slot so the array stays dense. */
  remove(id: string): void {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return;
    const last = this.ids.length - 1;
    if (slot !== last) {
      const lastId = this.ids[last]!;
      this.data.copyWithin(slot * this.dimension, last * this.dimension, (last + 1) * this.dimension);
      this.ids[slot] = lastId;
      this.seqs[slot] = this.seqs[last]!;
      this.expires[slot] = this.expires[last]!;
      this.slotOf.set(lastId, slot);
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
    const dim = this.dimension;
    const data = this.data;
    const top = new TopK(k);
    const n = this.ids.length;
    for (let slot = 0; slot < n; slot++) {
      if (this.expires[slot]! <= now) continue;
      if (allowed !== undefined && !allowed.has(this.seqs[slot]!)) continue;
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
      const score = s0 + s1 + s2 + s3;
      if (score > top.floor) top.push(slot, score);
    }
    return top.sorted().map(({ item, score }) => ({ id: this.ids[item]!, score }));
  }

  /** Bytes held by the vectors, for health figures. */
  get bytes(): number {
    return this.data.byteLength;
  }

  private ensureCapacity(vectors: number): void {
    if (vectors * this.dimension <= this.data.length) return;
    const next = new Float32Array(Math.max(vectors, (this.data.length / this.dimension) * 2) * this.dimension);
    next.set(this.data);
    this.data = next;
  }
}
