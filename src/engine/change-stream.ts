import type { ChangeBell } from '../core/change-bell.js';
import { assertResumable, startingPoint } from '../core/feed-horizon.js';
import { spaceKey } from '../core/space-name.js';
import type { ChangeRecord } from '../core/types.js';
import { type CallContext, principalOf } from './access-guard.js';
import type { KeyService } from './key-service.js';
import type { SpaceGate } from './space-gate.js';
import type { SpaceRegistry } from './space-registry.js';

/** Options of {@link followChanges}. */
export interface FollowOptions {
  /** Stops the stream. */
  signal: AbortSignal;
  /**
   * Longest wait before looking for new events once caught up, when no ring of the backend's
   * {@link ChangeBell} came first: what bounds the delay if a wake-up is ever lost (another
   * process writing to the same files, a notification dropped with its connection). @default 1000
   */
  pollMs?: number;
  /** Most events read at once. @default 500 */
  batch?: number;
  /** What ends the stream when its reader may no longer read (see {@link ReaderCheck}). */
  reader?: ReaderCheck;
}

/**
 * The reader's right to go on reading, re-checked while a stream is open: `check` throws once
 * it is gone (a revoked key). It runs before a read at most once per `pollMs`, and at once when
 * `listen` rings (a revocation in this process), so a stream outlives its key by at most a poll.
 */
export interface ReaderCheck {
  check(): Promise<void>;
  listen(ring: () => void): () => void;
}

/** An open change stream: where it starts, and its events. */
export interface ChangeStream extends AsyncIterable<ChangeRecord> {
  /** The seq the stream continues after: what `latest` and 0 (no resume point) came to. */
  readonly after: number;
}

/** The change streams of spaces, for their readers. */
export class ChangeFeed {
  constructor(
    private readonly gate: SpaceGate,
    private readonly bell: ChangeBell,
    private readonly keys: KeyService,
  ) {}

  /**
   * The stream of `space` after `after` (see {@link followChanges}): a sequence number seen
   * before, 0 for all that the feed holds, or `latest` for the changes committed from now on.
   * Everything that can refuse it is checked before this resolves, so a stream that starts has
   * a space to follow from a point it holds: the caller may read the space, the space exists,
   * and the feed still holds every event after `after` (else `CURSOR_EXPIRED`, see
   * core/feed-horizon.ts). The stream fails with `UNAUTHENTICATED` soon after the caller's key
   * is revoked, with `SPACE_NOT_FOUND` once the space is deleted, and with `CURSOR_EXPIRED` if
   * compaction overtakes a reader that fell that far behind.
   */
  async follow(space: string, after: number | 'latest', options: Omit<FollowOptions, 'reader'>, call: CallContext = {}): Promise<ChangeStream> {
    await this.gate.authorize(space, 'read', call);
    const start = await this.gate.registry.use(space, ({ store }) => store.read(async (reads) => startingPoint(after, await reads.feedBounds())));
    const principal = principalOf(call);
    const reader: ReaderCheck = { check: () => this.keys.ensureLive(principal), listen: (ring) => this.keys.onRevoked(principal.keyId, ring) };
    const events = followChanges(this.gate.registry, this.bell, space, start, { ...options, reader });
    return { after: start, [Symbol.asyncIterator]: () => events };
  }
}

/**
 * Every change-feed event of one space after `afterSeq`, in order, then new ones as they are
 * committed, until `signal` aborts. The feed is durable and sequence numbers are never reused,
 * so a reader that resumes after the last sequence it saw loses and repeats nothing; each read
 * checks that the feed still holds what follows the reader's position (`CURSOR_EXPIRED` once
 * compaction deleted it), so a reader never skips events silently. Once caught up the reader
 * sleeps until the backend's change bell rings for the space (a write in this process, or a
 * notification from another server on a shared database) or `pollMs` passes.
 */
export async function* followChanges(registry: SpaceRegistry, bell: ChangeBell, space: string, afterSeq: number, options: FollowOptions): AsyncGenerator<ChangeRecord> {
  const batch = options.batch ?? 500;
  const pollMs = options.pollMs ?? 1000;
  const wake = new Wake(bell, spaceKey(space), options.signal);
  let cursor = afterSeq;
  let checkedAt = Date.now();
  let recheck = false;
  const stopListening = options.reader?.listen(() => {
    recheck = true;
    wake.ring();
  });
  try {
    while (!options.signal.aborted) {
      if (options.reader !== undefined && (recheck || Date.now() - checkedAt >= pollMs)) {
        recheck = false;
        checkedAt = Date.now();
        await options.reader.check();
      }
      // Cleared before reading: a ring during the read means the read may have missed something.
      wake.reset();
      const after = cursor;
      const events = await registry.use(space, ({ store }) =>
        store.read(async (reads) => {
          assertResumable(after, await reads.feedBounds());
          return reads.changes(after, batch);
        }),
      );
      for (const event of events) {
        if (options.signal.aborted) return;
        cursor = event.seq;
        yield event;
      }
      if (events.length < batch) await wake.wait(pollMs);
    }
  } finally {
    stopListening?.();
    wake.close();
  }
}

/** A reader's subscription to its space's bell: remembers a ring until the reader waits. */
class Wake {
  private rung = false;
  private resolve: (() => void) | undefined;
  private readonly stopListening: () => void;
  private readonly onAbort = (): void => this.ring();

  constructor(
    bell: ChangeBell,
    key: string,
    private readonly signal: AbortSignal,
  ) {
    this.stopListening = bell.listen(key, () => this.ring());
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  reset(): void {
    this.rung = false;
  }

  /** Resolves at once if rung since the last reset, else at the next ring, abort or after `ms`. */
  wait(ms: number): Promise<void> {
    if (this.rung || this.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.ring(), ms);
      this.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  close(): void {
    this.stopListening();
    this.signal.removeEventListener('abort', this.onAbort);
    this.ring();
  }

  /** Wakes the reader now, or at its next wait. */
  ring(): void {
    this.rung = true;
    const resolve = this.resolve;
    this.resolve = undefined;
    resolve?.();
  }
}
