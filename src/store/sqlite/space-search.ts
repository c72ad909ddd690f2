/**
 * Keyword and vector search of one space database. Keywords are ranked by FTS5's BM25.
 * Vectors are scored from an in-memory copy (FlatVectorIndex) that follows the change feed,
 * loaded on first use from the snapshot file when it matches the database and saved again
 * on close; spaces past the ANN threshold also keep an HNSW index whose candidates are
 * rescored exactly, so scores are exact cosines either way.
 */
import { dirname, join } from 'node:path';
import type Database from 'better-sqlite3-multiple-ciphers';
import type { FeedBounds } from '../../core/feed-horizon.js';
import type { FilterNode } from '../../core/filter.js';
import type { ScoredId, VectorIndexStatus } from '../../core/types.js';
import { annEnabled } from '../../core/vector-search.js';
import type { HnswJobRunner, HnswParams } from './ann-jobs.js';
import { FlatVectorIndex } from './flat-vector-index.js';
import { toFtsQuery } from './fts-query.js';
import { HnswIndex, type HnswStatus } from './hnsw-index.js';
import type { RamIndexRoot } from './index-dir.js';
import { feedBounds, type SpaceStatements, toVector } from './space-rows.js';
import type { SpaceReader } from './space-tx.js';
import { readUsage } from './space-usage.js';
import { filterCondition } from './sqlite-filter-dialect.js';
import { loadVectorSnapshot, removeVectorSnapshot, saveVectorSnapshot } from './vector-snapshot.js';

/** When and how the spaces of a backend search through their HNSW index. */
export interface AnnOptions {
  /** Spaces with fewer memories are searched exactly (a scan is as fast there and always exact). */
  threshold: number;
  params: HnswParams;
  /** Builds and checks the index; absent in a search thread, which maps what the owner names. */
  runner?: HnswJobRunner | undefined;
  /**
   * Where encrypted spaces keep their index files, in RAM (index-dir.ts); without it, or when it
   * is unavailable, an encrypted space keeps no index and is searched exactly.
   */
  ram?: RamIndexRoot | undefined;
}

/** The HNSW index of one space: {@link AnnOptions} with the directory index-dir.ts chose for it. */
export interface SpaceAnnOptions extends Omit<AnnOptions, 'ram'> {
  /** Where the index files are. */
  dir: string;
  /** Makes {@link dir} before a build when it is missing (a RAM directory is made lazily). */
  prepareDir?: (() => void) | undefined;
  /** True when {@link dir} is in RAM (index-dir.ts). */
  inRam?: boolean | undefined;
  /** The raw key of an encrypted space's database, for the worker that builds the index. */
  dbKey?: string | undefined;
}

/** Default HNSW parameters (measured in bench/RESULTS.md). */
export const DEFAULT_HNSW_PARAMS: HnswParams = { quantization: 'f16', connectivity: 16, expansionAdd: 128, expansionSearch: 64 };

/** ANN candidates fetched per result asked for; they are rescored exactly. */
const ANN_OVERFETCH = 2;
const ANN_MIN_CANDIDATES = 32;
/** A filter matching fewer rows than this share of the space is searched exactly over those rows. */
const ANN_FILTER_EXACT_SHARE = 0.05;
/** Past this share of the space fetched from the index, an exact scan is cheaper. */
const ANN_MAX_FETCH_SHARE = 0.1;

/**
 * Up to this many memories a space holds its vectors in memory: loading them on open is quicker
 * than waiting for the index file's check, and reading candidates from their rows costs more per
 * search than the memory saved (a 512-d vector takes 2.5 KB). A larger space opened with a valid
 * index waits for the check and answers from the index, reading its candidates from their rows.
 */
const LOAD_AFTER_COLD_SEARCH_MAX = 100_000;

/** Extra keyword candidates fetched so that a few expired ones do not shorten the list. */
const KEYWORD_MARGIN = 16;

/** Content counts twice as much as tags in BM25. */
const BM25_RANK = 'bm25(memories_fts, 1.0, 0.5)';

/** A vector row as the index loads it. */
interface VectorRow {
  id: string;
  seq: number | null;
  expires_at: number | null;
  embedding: Buffer | null;
}

/** Exact top scores of the index's candidates (row seqs) and of the memories changed since it was built, best first. */
type Rescorer = (candidates: readonly number[], changed: ReadonlySet<string>) => ScoredId[];

/** What {@link SpaceSearch} searches. */
export interface SpaceSearchOptions {
  db: Database.Database;
  stmt: SpaceStatements;
  tx: SpaceReader;
  /** The database file; the vector snapshot lives next to it. */
  file: string;
  /** The database's uid, which derived files must carry. */
  uid: string;
  dimension: number;
  /** The HNSW index; without it every search is exact. */
  ann?: SpaceAnnOptions | undefined;
  /** Why a space that would have an HNSW index has none (an encrypted space without RAM for it), shown in {@link SpaceSearch.status}. */
  annUnavailable?: string | undefined;
  /** AES-256-GCM key of an encrypted space's `vectors.bin` (space-keys.ts); undefined for a plain space. */
  snapshotKey?: string | undefined;
}

/** Search over one open space database. */
export class SpaceSearch {
  private readonly index: FlatVectorIndex;
  private indexLoaded = false;
  /** Change-feed sequence of the snapshot on disk, so an unchanged index is not written again. */
  private savedSeq = -1;
  private readonly snapshotFile: string;
  private readonly hnsw: HnswIndex | undefined;
  private readonly annThreshold: number;
  /** Candidates read from their rows, scored here while the space's vectors are not loaded. */
  private scratch: FlatVectorIndex | undefined;
  /** The load {@link loadSoon} scheduled; once set, later searches load at once rather than read rows. */
  private loading: NodeJS.Immediate | undefined;

  constructor(private readonly o: SpaceSearchOptions) {
    this.index = new FlatVectorIndex(o.dimension);
    this.snapshotFile = join(dirname(o.file), 'vectors.bin');
    this.annThreshold = o.ann?.threshold ?? Number.POSITIVE_INFINITY;
    this.hnsw =
      o.ann === undefined
        ? undefined
        : new HnswIndex({
            dir: o.ann.dir,
            prepareDir: o.ann.prepareDir,
            inRam: o.ann.inRam,
            dbFile: o.file,
            dbKey: o.ann.dbKey,
            uid: o.uid,
            dimension: o.dimension,
            params: o.ann.params,
            runner: o.ann.runner,
            lastSeq: () => o.stmt.lastSeq.get() as number,
            oldestSeq: () => feedBounds(o.stmt).oldest,
            changedSince: (seq) => o.stmt.memoryIdsChangedAfter.all(seq) as string[],
          });
  }

  /** Best `limit` memories by BM25 (scores: higher is better) among those matching `filter` and not expired at `now`. */
  keywordSearch(query: string, filter: FilterNode | undefined, limit: number, now: number): ScoredId[] {
    const match = toFtsQuery(query);
    if (match === undefined) return [];
    let rows: { id: string; rank: number }[];
    if (filter === undefined) {
      // Rank inside FTS5 first and join only the best rows; a small margin covers expired ones.
      rows = this.o.tx.read(() => this.o.stmt.keywordTop.all(match, limit + KEYWORD_MARGIN, now) as { id: string; rank: number }[]).slice(0, limit);
    } else {
      const where = filterCondition(filter);
      rows = this.o.tx.read(
        () =>
          this.o.db
            .prepare(`SELECT m.id AS id, ${BM25_RANK} AS rank FROM memories_fts
              JOIN memories m ON m.seq = memories_fts.rowid
              WHERE memories_fts MATCH ? AND (m.expires_at IS NULL OR m.expires_at > ?) AND ${where.sql} ORDER BY rank LIMIT ?`)
            .all(match, now, ...where.params, limit) as { id: string; rank: number }[],
      );
    }
    return rows.map((r) => ({ id: r.id, score: -r.rank }));
  }

  /**
   * Best `limit` memories by cosine similarity: an exact scan of the in-memory copy, or, past
   * the ANN threshold and unless `exact`, candidates from the HNSW index rescored exactly. While
   * the copy is not loaded (a large space just opened, a search thread's first search) the index
   * answers at once, its candidates rescored from their rows.
   */
  async vectorSearch(vector: Float32Array, filter: FilterNode | undefined, limit: number, now: number, options: { exact?: boolean } = {}): Promise<ScoredId[]> {
    let allowed: Set<number> | undefined;
    if (filter !== undefined) {
      const where = filterCondition(filter);
      allowed = new Set(this.o.tx.read(() => this.o.db.prepare(`SELECT m.seq FROM memories m WHERE ${where.sql}`).pluck().all(...where.params) as number[]));
      if (allowed.size === 0) return [];
    }
    const hnsw = this.hnsw;
    // Only the first search of a small space answers from rows: a load it scheduled that has not run
    // yet (a caller searching in a loop of promises gives the event loop no turn) runs now.
    if (!this.indexLoaded && this.loading === undefined && hnsw !== undefined && options.exact !== true) {
      const n = this.o.tx.read(() => readUsage(this.o.stmt.usage).memories);
      if (n >= this.annThreshold) {
        await this.openIndex(hnsw, n);
        hnsw.follow();
        if (this.annFits(hnsw, n, allowed)) {
          if (n <= LOAD_AFTER_COLD_SEARCH_MAX) this.loadSoon();
          return this.annSearch(hnsw, vector, limit, now, allowed, n, this.rowScorer(vector, now, allowed));
        }
      }
    }
    this.catchUp();
    const n = this.index.size;
    if (hnsw !== undefined && n >= this.annThreshold) hnsw.maintain(n);
    hnsw?.follow(this.index.appliedSeq); // the newest sequence, which catchUp has just read
    if (options.exact === true || hnsw === undefined || n < this.annThreshold || !this.annFits(hnsw, n, allowed)) return this.index.search(vector, limit, now, allowed);
    return this.annSearch(hnsw, vector, limit, now, allowed, n, (candidates, extra) => this.index.rescore(vector, limit, now, candidates, extra, extra, allowed));
  }

  /** Starts the index's upkeep for a space of `n`; a large space waits for a generation found on disk to be checked. */
  private async openIndex(hnsw: HnswIndex, n: number): Promise<void> {
    hnsw.maintain(n);
    if (n > LOAD_AFTER_COLD_SEARCH_MAX) await hnsw.opened();
  }

  /** Loads the vectors after this turn of the event loop, once the search that asked has answered. */
  private loadSoon(): void {
    this.loading ??= setImmediate(() => {
      try {
        this.catchUp();
      } catch {
        // Closed meanwhile, or the read failed: the next search that needs the vectors loads them.
      }
    });
  }

  /** True when the index can answer for a space of `n`: it is mapped, not too far behind, and the filter leaves enough rows. */
  private annFits(hnsw: HnswIndex, n: number, allowed: ReadonlySet<number> | undefined): boolean {
    return hnsw.ready && hnsw.changed.size <= n * ANN_MAX_FETCH_SHARE && (allowed === undefined || allowed.size >= n * ANN_FILTER_EXACT_SHARE);
  }

  /**
   * Approximate search: candidates from the HNSW index, over-fetched in proportion to how
   * selective the filter is and fetched again with a larger list until `limit` of them pass,
   * then rescored exactly (by `rescore`) together with every memory changed since the index was
   * built. Falls back to the exact scan when the index would have to return too large a share.
   */
  private annSearch(hnsw: HnswIndex, vector: Float32Array, limit: number, now: number, allowed: ReadonlySet<number> | undefined, n: number, rescore: Rescorer): ScoredId[] {
    const share = allowed === undefined ? 1 : allowed.size / n;
    let fetch = Math.max(ANN_MIN_CANDIDATES, Math.ceil((limit * ANN_OVERFETCH) / share));
    for (;;) {
      const candidates = hnsw.search(vector, Math.min(fetch, n));
      const hits = rescore(candidates, hnsw.changed).slice(0, limit);
      // Fewer hits than asked while the index had more to give: filters or expiry ate them.
      if (hits.length >= limit || candidates.length < Math.min(fetch, n)) return hits;
      fetch *= 4;
      if (fetch > n * ANN_MAX_FETCH_SHARE) {
        this.catchUp();
        return this.index.search(vector, limit, now, allowed);
      }
    }
  }

  /**
   * Exact scores of candidates read from their rows, for a space whose vectors are not in memory:
   * the index names rows by seq; memories changed since it was built are read by id. They are
   * scored by a small index of their own, so a score is the same to the last bit as with every
   * vector loaded.
   */
  private rowScorer(vector: Float32Array, now: number, allowed: ReadonlySet<number> | undefined): Rescorer {
    return (candidates, changed) => {
      const rows = this.o.tx.read(() => [
        ...candidates.map((seq) => this.o.stmt.vectorBySeq.get(seq) as VectorRow | undefined),
        ...[...changed].map((id) => this.o.stmt.vectorById.get(id) as VectorRow | undefined),
      ]);
      return this.scratchOf(rows).rescore(vector, candidates.length + changed.size, now, candidates, changed, changed, allowed);
    };
  }

  /** The scratch index, holding `rows` (those that exist) and nothing else. */
  private scratchOf(rows: readonly (VectorRow | undefined)[]): FlatVectorIndex {
    this.scratch ??= new FlatVectorIndex(this.o.dimension, 64);
    this.scratch.clear();
    for (const row of rows) if (row?.seq != null && row.embedding !== null) this.scratch.upsert(row.id, row.seq, toVector(row.embedding), row.expires_at);
    return this.scratch;
  }

  /** Cosine similarity of `vector` with each of `ids` that exists. */
  vectorScores(vector: Float32Array, ids: readonly string[]): Map<string, number> {
    if (!this.indexLoaded && this.hnsw?.ready === true) {
      // A few rows read beat loading every vector of a space that searches through its index.
      return this.scratchOf(this.o.tx.read(() => ids.map((id) => this.o.stmt.vectorById.get(id) as VectorRow | undefined))).scores(vector, ids);
    }
    this.catchUp();
    return this.index.scores(vector, ids);
  }

  /** Where the HNSW index of this space stands. */
  status(): VectorIndexStatus {
    if (this.o.annUnavailable !== undefined) return { state: 'none', threshold: null, indexed: 0, lag: 0, resident: this.indexLoaded ? this.index.size : 0, error: this.o.annUnavailable };
    this.o.tx.read(() => this.hnsw?.follow());
    const status: HnswStatus = this.hnsw?.status() ?? { state: 'none', indexed: 0, lag: 0 };
    return { ...status, threshold: annEnabled(this.annThreshold) ? this.annThreshold : null, resident: this.indexLoaded ? this.index.size : 0 };
  }

  /** Starts the HNSW work a search would start now, and waits for all of it (tests, benchmarks). */
  async settle(): Promise<void> {
    // The second pass: a merge the first build made due.
    for (let pass = 0; pass < 2; pass++) {
      await this.indexGeneration();
      await this.hnsw?.settle();
    }
  }

  /**
   * For a search that runs in a search thread: keeps the index's upkeep going here as a search
   * here would (open, build, merge), waits while a large space's generation found on disk is
   * checked, and names the generation the thread should map (undefined: none yet, search exactly).
   */
  async indexGeneration(): Promise<string | undefined> {
    const hnsw = this.hnsw;
    if (hnsw === undefined) return undefined;
    const n = this.o.tx.read(() => {
      hnsw.follow();
      return readUsage(this.o.stmt.usage).memories;
    });
    if (n < this.annThreshold) return undefined;
    await this.openIndex(hnsw, n);
    return hnsw.generation;
  }

  /** A search thread's step before a search: maps the generation its owner named. */
  followGeneration(file: string | undefined): void {
    if (file !== undefined) this.o.tx.read(() => this.hnsw?.followGeneration(file));
  }

  /**
   * After {@link close}: resolves once an index build or check that was running has stopped, so
   * nothing writes into the index directory any more.
   */
  async stopped(): Promise<void> {
    await this.hnsw?.stopped();
  }

  /** Saves the in-memory copy for the next open when it changed since loaded (best effort) and stops the HNSW index. */
  close(): void {
    if (this.loading !== undefined) clearImmediate(this.loading);
    if (this.indexLoaded && this.index.appliedSeq !== this.savedSeq) {
      try {
        saveVectorSnapshot(this.snapshotFile, this.index.snapshot(this.o.uid), this.o.snapshotKey);
      } catch {
        // The snapshot only speeds up the next open; without it the index is rebuilt from the database.
      }
    }
    this.hnsw?.close();
  }

  /**
   * Brings the vector index up to the newest change. On first use it starts from the snapshot
   * file when one matches this database, else from every row; then it replays the change feed.
   * A copy that fell behind compaction (events it never applied are gone) loads again the same way.
   */
  private catchUp(): void {
    const { tx, stmt } = this.o;
    // The common case, nothing new: one indexed read, no transaction.
    if (this.indexLoaded && tx.read(() => stmt.lastSeq.get() as number) <= this.index.appliedSeq) return;
    tx.read(() =>
      this.o.db.transaction(() => {
        const feed = feedBounds(stmt);
        if (!this.indexLoaded || feed.oldest - 1 > this.index.appliedSeq) this.load(feed);
        if (feed.latest <= this.index.appliedSeq) return;
        for (const row of stmt.memoryChangesAfter.iterate(this.index.appliedSeq) as Iterable<VectorRow>) {
          if (row.seq === null || row.embedding === null) this.index.remove(row.id);
          else this.index.upsert(row.id, row.seq, toVector(row.embedding), row.expires_at);
        }
        this.index.appliedSeq = feed.latest;
      })(),
    );
  }

  /**
   * A load inside {@link catchUp}'s transaction: the snapshot if it is ours, not from the future
   * and not older than what the change feed still holds, else every row.
   */
  private load(feed: FeedBounds): void {
    const snap = loadVectorSnapshot(this.snapshotFile, this.o.uid, this.index.dimension, this.index, this.o.snapshotKey);
    if (snap !== undefined && snap.appliedSeq <= feed.latest && snap.appliedSeq >= feed.oldest - 1) {
      this.index.adopt(snap);
      this.savedSeq = snap.appliedSeq;
    } else {
      if (snap !== undefined) removeVectorSnapshot(this.snapshotFile); // from the future (not ours), or too old to catch up
      this.index.clear();
      this.index.reserve(readUsage(this.o.stmt.usage).memories + 1);
      for (const row of this.o.stmt.allVectors.iterate() as Iterable<VectorRow & { seq: number; embedding: Buffer }>) {
        this.index.upsert(row.id, row.seq, toVector(row.embedding), row.expires_at);
      }
      this.index.appliedSeq = feed.latest;
    }
    this.indexLoaded = true;
  }
}
