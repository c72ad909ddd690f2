import { MATCH_ALL } from '../core/filter.js';
import type { SpaceReads, SpaceStore } from '../core/ports/space-store.js';
import { CentroidSum } from '../core/routing.js';
import { spaceKey } from '../core/space-name.js';
import type { SpaceRecord } from '../core/types.js';

/** Spaces whose centroid is kept in memory at once; the least recently routed one goes past it. @default 2048 */
export const MAX_CACHED_CENTROIDS = 2048;
/** Change events read to catch a centroid up; a space further behind is summed again. */
const MAX_CATCH_UP = 1000;
/** Memories read per page while summing a space. */
const SCAN_PAGE = 500;

/** How the cache has kept its centroids up to date, for tests and the benchmark. */
export interface CentroidCacheStats {
  /** Centroids summed from every memory of their space. */
  rebuilds: number;
  /** Centroids caught up by adding the memories created since, without a rescan. */
  increments: number;
  /** Calls that found their centroid current. */
  hits: number;
}

interface Entry {
  centroid: CentroidSum;
  /** The change-feed seq the centroid reflects. */
  seq: number;
  /** Of the space the centroid was summed for: a space deleted and made again under the name starts over. */
  createdAt: number;
}

/**
 * The centroid (mean memory vector) of each space routed, kept in memory by the engine and
 * caught up from the space's change feed: the feed says exactly what changed since the seq a
 * centroid reflects, in every process that writes the space. Memories created since are
 * added (read by id: no rescan); an update or a deletion since, whose old vector the feed does
 * not hold, or a gap the feed compacted away, sums the space again once. Everything is read in
 * one read session, so the centroid and the seq it reflects agree.
 *
 * This is the engine-level cache the brief allows instead of a centroid table written in the
 * stores' transactions: nothing is stored, so nothing is exported, archived or migrated; a
 * process that opens starts from a sum of each space at its first route.
 */
export class CentroidCache {
  private readonly entries = new Map<string, Entry>(); // insertion order = recency
  /** A catch-up in progress per space, so concurrent routes of one space do not add twice. */
  private readonly pending = new Map<string, Promise<CentroidSum>>();
  private readonly counters: CentroidCacheStats = { rebuilds: 0, increments: 0, hits: 0 };

  constructor(private readonly capacity = MAX_CACHED_CENTROIDS) {}

  /** Counters since the cache was made. */
  stats(): CentroidCacheStats {
    return { ...this.counters };
  }

  /** The space's centroid as of now (its sum and count); caught up or summed first when need be. */
  centroid(record: SpaceRecord, store: SpaceStore): Promise<CentroidSum> {
    const key = spaceKey(record.name);
    const running = this.pending.get(key);
    if (running !== undefined) return running;
    const work = store.read((reads) => this.sync(key, record, reads)).finally(() => this.pending.delete(key));
    this.pending.set(key, work);
    return work;
  }

  /** Forgets a space's centroid (its next route sums it again). */
  forget(name: string): void {
    this.entries.delete(spaceKey(name));
  }

  private async sync(key: string, record: SpaceRecord, reads: SpaceReads): Promise<CentroidSum> {
    const bounds = await reads.feedBounds();
    const entry = this.entries.get(key);
    const usable = entry !== undefined && entry.createdAt === record.createdAt && entry.centroid.dimension === record.dimension && entry.seq <= bounds.latest;
    if (usable && entry.seq === bounds.latest) {
      this.counters.hits += 1;
      return this.keep(key, entry);
    }
    // The feed holds every event after `seq` exactly when its oldest is at most seq + 1 (core/feed-horizon.ts).
    if (usable && bounds.oldest <= entry.seq + 1 && bounds.latest - entry.seq <= MAX_CATCH_UP && (await this.catchUp(entry, reads, bounds.latest))) {
      this.counters.increments += 1;
      return this.keep(key, entry);
    }
    const centroid = await sumSpace(record.dimension, reads);
    this.counters.rebuilds += 1;
    return this.keep(key, { centroid, seq: bounds.latest, createdAt: record.createdAt });
  }

  /**
   * Adds the memories created after `entry.seq` up to `latest`; false, leaving `entry` as it
   * was, when a memory was updated or deleted meanwhile (the caller sums the space again).
   */
  private async catchUp(entry: Entry, reads: SpaceReads, latest: number): Promise<boolean> {
    const events = await reads.changes(entry.seq, latest - entry.seq);
    const created: string[] = [];
    for (const e of events) {
      if (e.op === 'memory.updated' || e.op === 'memory.deleted') return false;
      if (e.op === 'memory.created') created.push(e.id);
    }
    for (let i = 0; i < created.length; i += SCAN_PAGE) {
      for (const memory of await reads.getMemories(created.slice(i, i + SCAN_PAGE))) entry.centroid.add(memory.embedding);
    }
    entry.seq = latest;
    return true;
  }

  private keep(key: string, entry: Entry): CentroidSum {
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return entry.centroid;
  }
}

/** The sum and count of every memory vector of a space, a page at a time, in the caller's read session. */
async function sumSpace(dimension: number, reads: SpaceReads): Promise<CentroidSum> {
  const centroid = new CentroidSum(dimension);
  let cursor: string | undefined;
  for (;;) {
    const page = await reads.listMemories({ filter: MATCH_ALL, limit: SCAN_PAGE, cursor, order: 'asc' });
    for (const memory of page.items) centroid.add(memory.embedding);
    if (page.nextCursor === null) return centroid;
    cursor = page.nextCursor;
  }
}
