/**
 * The horizon of a space's change feed: which of its old events compaction may delete, and
 * whether a reader's resume point is still inside what the feed holds.
 *
 * A feed's sequence numbers are dense and never reused, and compaction deletes only its oldest
 * events, never the newest, so a feed always holds every event from `oldest` to `latest`. A
 * reader that has seen event N therefore misses nothing exactly when `oldest - 1 <= N <= latest`.
 */
import { MemspaceError } from './errors.js';

const DAY_MS = 86_400_000;

/** Where a space's change feed stands. */
export interface FeedBounds {
  /** Seq of the oldest event the feed still holds; `latest + 1` while it holds none. */
  oldest: number;
  /** Seq of the newest event ever written; 0 before the first. */
  latest: number;
}

/**
 * How much of each space's feed compaction keeps. Both are promises to readers, so the one that
 * keeps more wins: an event is deleted only once it is older than `days` and not among the
 * newest `minEvents`.
 */
export interface FeedRetention {
  /** Events committed less than this many days ago are kept. @default 7 */
  days: number;
  /** The newest this many events are kept however old, so a quiet space keeps a useful tail. @default 1000 */
  minEvents: number;
}

/** What compaction keeps unless configured otherwise (`MEMSPACE_FEED_RETENTION_DAYS`, `MEMSPACE_FEED_MIN_EVENTS`). */
export const DEFAULT_FEED_RETENTION: Readonly<FeedRetention> = Object.freeze({ days: 7, minEvents: 1000 });

/** The commit time from which every event is kept at `now`. */
export function retainedSince(now: number, retention: FeedRetention): number {
  return now - retention.days * DAY_MS;
}

/**
 * The seq below which compaction deletes events. `firstRecent` is the seq of the oldest event
 * committed at or after {@link retainedSince} (undefined when none is): compaction deletes a
 * prefix of the feed, so that event and every later one stay even if a later one is older by
 * its clock (servers' clocks differ). The newest `minEvents` and the newest event always stay.
 */
export function compactionHorizon(bounds: FeedBounds, firstRecent: number | undefined, retention: FeedRetention): number {
  const byCount = bounds.latest - retention.minEvents + 1;
  return Math.max(bounds.oldest, Math.min(byCount, firstRecent ?? bounds.latest, bounds.latest));
}

/**
 * The seq a stream asked to start `after` continues from: the newest event for `latest` (only
 * events committed later are sent), the start of what the feed holds for 0 (no resume point),
 * else `after` itself once {@link assertResumable} accepts it.
 */
export function startingPoint(after: number | 'latest', bounds: FeedBounds): number {
  if (after === 'latest') return bounds.latest;
  if (after === 0) return bounds.oldest - 1;
  assertResumable(after, bounds);
  return after;
}

/**
 * Throws `CURSOR_EXPIRED` (details: `after`, `oldest`, `latest`) unless the feed holds every
 * event after `after`: compaction deleted some of them, or `after` is past the newest event,
 * a position this feed never reached (the cursor of another space, or of one deleted and made
 * again). Either way the reader cannot continue without a gap and must start again.
 */
export function assertResumable(after: number, bounds: FeedBounds): void {
  const details = { after, oldest: bounds.oldest, latest: bounds.latest };
  if (after < bounds.oldest - 1) {
    throw new MemspaceError('CURSOR_EXPIRED', `the change feed no longer holds the events after ${after}: its oldest event is ${bounds.oldest}`, details);
  }
  if (after > bounds.latest) {
    throw new MemspaceError('CURSOR_EXPIRED', `${after} is past the newest event of this change feed (${bounds.latest}): the cursor is not one of this feed`, details);
  }
}
