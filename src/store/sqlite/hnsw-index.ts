import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Index, MetricKind, type ScalarKind } from 'usearch';
import type { HnswJob, HnswJobRunner, HnswMeta, HnswParams } from './ann-jobs.js';
import { DATABASE_CIPHER } from './space-keys.js';

/** Name of the pointer file, in the index directory (index-dir.ts), that says which HNSW generation is current (see ann-jobs.ts). */
export const HNSW_META_FILE = 'vectors.hnsw.json';

/** Where the index of one space stands, for health and status. */
export interface HnswStatus {
  state: 'none' | 'opening' | 'building' | 'ready' | 'failed';
  /** Vectors in the current index generation. */
  indexed: number;
  /** Memories changed since that generation, scored exactly at every search until the next one. */
  lag: number;
  /** Why the last build or check failed. */
  error?: string;
}

/** What an {@link HnswIndex} indexes, and how it learns what changed in the database. */
export interface HnswIndexOptions {
  /** Where the index files are (index-dir.ts): beside the database, or in RAM for an encrypted space. */
  dir: string;
  /** Makes {@link dir} if it is missing, before each build (a RAM directory is made lazily). */
  prepareDir?: (() => void) | undefined;
  /**
   * True when {@link dir} is in RAM: a generation that is replaced or closed is unmapped at once,
   * since its pages are RAM itself while mapped. On disk the collector releases it, as it always has.
   */
  inRam?: boolean | undefined;
  dbFile: string;
  /** The raw key of an encrypted space's database, sent to the worker that builds (space-keys.ts); undefined for a plain space. */
  dbKey?: string | undefined;
  uid: string;
  dimension: number;
  params: HnswParams;
  /**
   * Builds and checks generations. Without one the index is a follower (in a search thread):
   * it never builds, and maps only the generation its owner names ({@link followGeneration}).
   */
  runner?: HnswJobRunner | undefined;
  /** Last change-feed sequence of the database, read now. */
  lastSeq: () => number;
  /** Sequence of the oldest change-feed event the database still holds (see `SpaceStore.compactChanges`), read now. */
  oldestSeq: () => number;
  /** Ids of the memories created, updated or deleted after change-feed sequence `seq`. */
  changedSince: (seq: number) => string[];
}

/** A new generation is built once this many memories (or this share of the space) changed. */
const MERGE_MIN = 1024;
const MERGE_SHARE = 0.01;
const MERGE_MAX = 8192;
/**
 * The candidate list (usearch's `expansion_search`) a search of an index of `count` vectors
 * walks. Recall at a fixed ef falls as the graph grows (0.78 at 1M with 64), so past 100,000
 * vectors, where 64 still finds 0.99, it grows as the 0.6th power of the size, rounded up to a
 * multiple of 32: 128 at 200k, 192 at 500k, 256 at 1M (0.97 there; bench/ann-ef.ts measures it).
 */
export function searchExpansion(count: number, base = 64): number {
  if (count <= 100_000) return base;
  return Math.ceil((base * (count / 100_000) ** 0.6) / 32) * 32;
}

/** Pause after a failed build of the next generation. */
const RETRY_AFTER_MS = 60_000;

/**
 * Unmaps an index's file now rather than when the garbage collector finalizes the object, which
 * may be long after: a replaced or closed generation's file keeps its pages (RAM itself, on a
 * tmpfs) while it is mapped, even once unlinked. usearch has no close(), but `load` releases what
 * the index holds before it reads, and reading a directory (`dir`, which exists) fails at once,
 * leaving the index empty. (Not `view` of a missing file: usearch then closes file descriptor 0.)
 * Only once nothing searches it: searches are synchronous, so any point of the event loop will do.
 */
function unmapIndex(index: Index | undefined, dir: string): void {
  try {
    index?.load(dir);
  } catch {
    // Expected: a directory is no index. Should `dir` be gone, nothing was released: the collector will.
  }
}

/**
 * The HNSW index of one space, a derived file in its index directory (next to the database, or
 * in RAM for an encrypted space: index-dir.ts). It never blocks a write or a search: generations are built and checked in a worker thread from the database itself, and
 * the current one is memory-mapped read-only. Memories changed since that generation (the
 * `stale` set) are scored exactly by the caller, so results are always fresh; once enough have
 * changed, the next generation is built from the previous one plus the changes.
 */
export class HnswIndex {
  private index: Index | undefined;
  private meta: HnswMeta | undefined;
  private stale = new Set<string>();
  /** Change-feed sequence up to which {@link stale} is complete. */
  private seenSeq = 0;
  private job: Promise<void> | undefined;
  /** Settles once a generation found on disk is checked (adopted or not); undefined when none is being checked. */
  private checking: Promise<void> | undefined;
  private state: HnswStatus['state'] = 'none';
  private error: string | undefined;
  private readonly abort = new AbortController();
  /** No new build before this time (ms), after one failed. */
  private retryAfter = 0;

  constructor(private readonly o: HnswIndexOptions) {}

  /** True when searches may use the index. */
  get ready(): boolean {
    return this.index !== undefined;
  }

  /** Ids changed since the current generation: the caller scores them exactly. */
  get changed(): ReadonlySet<string> {
    return this.stale;
  }

  status(): HnswStatus {
    return {
      state: this.state,
      indexed: this.meta?.count ?? 0,
      lag: this.index === undefined ? 0 : this.stale.size,
      ...(this.error !== undefined && { error: this.error }),
    };
  }

  /**
   * Adds the memories changed since the last call to those the caller scores exactly; `last` is
   * the change feed's newest sequence when the caller has just read it.
   */
  follow(last?: number): void {
    if (this.index === undefined) return;
    last ??= this.o.lastSeq();
    if (last <= this.seenSeq) return;
    if (this.compactedAfter(this.seenSeq)) {
      // Changes deleted from the feed unseen cannot be listed: searches are exact until a full build.
      this.unmap();
      return;
    }
    for (const id of this.o.changedSince(this.seenSeq)) this.stale.add(id);
    this.seenSeq = last;
  }

  /**
   * Resolves once the generation on disk, if {@link maintain} found one, is checked and mapped
   * (or refused): a cold space waits this long for its index rather than loading every vector
   * for an exact scan. Resolves at once when no check is running (a build is not waited for).
   */
  async opened(): Promise<void> {
    await this.checking;
  }

  /**
   * Starts whatever background work the index needs for a space of `count` memories: opening
   * (and checking) the file on disk, building it when missing, stale or corrupt, or building
   * the next generation once enough has changed. Returns at once.
   */
  maintain(count: number): void {
    if (this.o.runner === undefined) return;
    if (this.job !== undefined || this.abort.signal.aborted || this.state === 'failed' || Date.now() < this.retryAfter) return;
    let task: Promise<void> | undefined;
    if (this.state === 'none') task = this.openOrBuild();
    else if (this.meta !== undefined && this.stale.size > Math.min(MERGE_MAX, Math.max(MERGE_MIN, count * MERGE_SHARE))) task = this.buildNext(this.meta);
    if (task === undefined) return;
    this.job = task
      .catch((error: unknown) => {
        if (this.abort.signal.aborted) return;
        // Without an index searches stay exact and reopening the space tries again; with one, the
        // next generation is tried again later rather than at every search.
        this.state = this.index === undefined ? 'failed' : 'ready';
        this.error = error instanceof Error ? error.message : String(error);
        this.retryAfter = Date.now() + RETRY_AFTER_MS;
      })
      .finally(() => {
        this.job = undefined;
      });
  }

  /** File of the generation searches use; undefined while none is mapped. */
  get generation(): string | undefined {
    return this.index === undefined ? undefined : this.meta?.file;
  }

  /**
   * A follower's step: maps generation `file` when the pointer file names it (the owner checked
   * it before naming it) and it is not the one mapped already. The owner deletes older files only
   * after adopting a newer one, and a mapped file stays readable once unlinked.
   */
  followGeneration(file: string): void {
    if (this.meta?.file === file || this.abort.signal.aborted) return;
    const meta = this.readMeta();
    if (meta?.file === file) this.adopt(meta, false);
  }

  /** Resolves once no background work is running (for tests and benchmarks). */
  async settle(): Promise<void> {
    while (this.job !== undefined) await this.job;
  }

  /**
   * After {@link close}: resolves once the worker of a build or check that was running has
   * exited, so nothing writes into the directory any more and the owner may remove it.
   */
  async stopped(): Promise<void> {
    await this.settle();
  }

  /** Row seqs of about the `k` nearest vectors of the current generation (inner product). */
  search(query: Float32Array, k: number): number[] {
    const index = this.index;
    if (index === undefined) return [];
    const found = index.search(query, k, 1);
    return Array.from(found.keys, Number);
  }

  /** Stops background work and unmaps the current generation ({@link stopped} says when the work has stopped). */
  close(): void {
    this.abort.abort();
    this.release(this.index);
    this.index = undefined;
  }

  private runner(): HnswJobRunner {
    if (this.o.runner === undefined) throw new Error('a follower index does not build'); // maintain() returns first
    return this.o.runner;
  }

  /** Uses the file on disk once a worker has checked it; builds a new one when it is missing or damaged. */
  private async openOrBuild(): Promise<void> {
    const meta = this.readMeta();
    if (meta !== undefined) {
      this.state = 'opening';
      const check = this.runner().run({ kind: 'verify', dir: this.o.dir, meta }, this.abort.signal).then(() => this.adopt(meta));
      this.checking = check.catch(() => undefined);
      try {
        await check;
        return;
      } catch (error) {
        if (this.abort.signal.aborted) throw error;
      } finally {
        this.checking = undefined;
      }
    }
    this.state = 'building';
    this.adopt(await this.runner().run(this.buildJob(), this.abort.signal));
  }

  /** The next generation from `base` plus the changes since; from scratch if that fails. The current one serves meanwhile. */
  private async buildNext(base: HnswMeta): Promise<void> {
    let meta: HnswMeta | undefined;
    try {
      meta = await this.runner().run(this.buildJob(base), this.abort.signal);
    } catch (error) {
      if (this.abort.signal.aborted) throw error;
      meta = await this.runner().run(this.buildJob(), this.abort.signal);
    }
    this.adopt(meta);
  }

  private buildJob(base?: HnswMeta): HnswJob {
    this.o.prepareDir?.();
    return {
      kind: 'build',
      dbFile: this.o.dbFile,
      ...(this.o.dbKey !== undefined && { dbKey: this.o.dbKey, dbCipher: DATABASE_CIPHER }),
      dir: this.o.dir,
      uid: this.o.uid,
      dimension: this.o.dimension,
      params: this.o.params,
      ...(base !== undefined && { base }),
    };
  }

  /** Maps the generation `meta` names and starts counting changes after it. */
  private adopt(meta: HnswMeta | undefined, owner = true): void {
    if (this.abort.signal.aborted) return;
    if (meta === undefined) throw new Error('index worker returned no index');
    if (this.compactedAfter(meta.appliedSeq)) throw new Error('the change feed was compacted past this index generation');
    const index = new Index({
      metric: MetricKind.IP,
      dimensions: this.o.dimension,
      quantization: meta.params.quantization as ScalarKind,
      connectivity: meta.params.connectivity,
      expansion_add: meta.params.expansionAdd,
      expansion_search: searchExpansion(meta.count, meta.params.expansionSearch),
      multi: false,
    });
    index.view(join(this.o.dir, meta.file));
    // Both reads in one turn of the event loop: no write of this process falls between them.
    this.seenSeq = this.o.lastSeq();
    this.stale = new Set(this.o.changedSince(meta.appliedSeq));
    this.release(this.index);
    this.index = index;
    this.meta = meta;
    this.state = 'ready';
    if (owner) this.removeOtherGenerations(meta);
  }

  /** The pointer file when it plausibly describes an index of this database; undefined otherwise. */
  private readMeta(): HnswMeta | undefined {
    try {
      const meta = JSON.parse(readFileSync(join(this.o.dir, HNSW_META_FILE), 'utf8')) as HnswMeta;
      const p = this.o.params;
      const fits =
        meta.format === 1 &&
        meta.uid === this.o.uid &&
        meta.dimension === this.o.dimension &&
        meta.params.quantization === p.quantization &&
        meta.params.connectivity === p.connectivity &&
        meta.params.expansionAdd === p.expansionAdd &&
        meta.appliedSeq <= this.o.lastSeq() && // an index from the future belongs to another database
        !this.compactedAfter(meta.appliedSeq) && // the changes since it are no longer all in the feed
        statSync(join(this.o.dir, meta.file)).size === meta.bytes &&
        statSync(join(this.o.dir, meta.keysFile)).size === meta.count * 8;
      return fits ? { ...meta, params: p } : undefined;
    } catch {
      return undefined; // missing or unreadable: build
    }
  }

  /** True when compaction deleted change-feed events after `seq`: what changed since then can no longer be listed. */
  private compactedAfter(seq: number): boolean {
    return this.o.oldestSeq() - 1 > seq;
  }

  /** Unmaps a generation no longer searched, when its file is in RAM ({@link HnswIndexOptions.inRam}). */
  private release(index: Index | undefined): void {
    if (this.o.inRam === true) unmapIndex(index, this.o.dir);
  }

  /** Stops searching the current generation; the next {@link maintain} builds one from the rows. */
  private unmap(): void {
    this.release(this.index);
    this.index = undefined;
    this.meta = undefined;
    this.stale = new Set();
    this.seenSeq = 0;
    this.state = 'none';
  }

  /** Deletes generations older than `meta` (another process may be writing a newer one). */
  private removeOtherGenerations(meta: HnswMeta): void {
    const born = (name: string): number => parseInt(/(?:^vectors-|\.json\.)([0-9a-z]+)-/.exec(name)?.[1] ?? '', 36);
    const current = born(meta.file);
    try {
      for (const name of readdirSync(this.o.dir)) {
        if (/^vectors(-.*\.(usearch|keys)|\.hnsw\.json\..*\.tmp)$/.test(name) && born(name) < current) rmSync(join(this.o.dir, name), { force: true });
      }
    } catch {
      // Old generations only cost disk space; the next adoption tries again.
    }
  }
}
