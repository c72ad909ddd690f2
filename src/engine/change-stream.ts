import type { ChangeBell } from '../core/change-bell.js';
import { spaceKey } from '../core/space-name.js';
import type { ChangeRecord } from '../core/types.js';
import { type CallContext } from './access-guard.js';
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
}

/** The change streams of spaces, for their readers. */
export class ChangeFeed {
  constructor(
    private readonly gate: SpaceGate,
    private readonly bell: ChangeBell,
  ) {}

  /**
   * The stream of `space` after `afterSeq` (see {@link followChanges}), once the caller may
   * read the space and the space exists: both are checked before this resolves, so a stream
   * that starts has a space to follow.
   */
  async follow(space: string, afterSeq: number, options: FollowOptions, call: CallContext = {}): Promise<AsyncGenerator<ChangeRecord>> {
    await this.gate.authorize(space, 'read', call);
    await this.gate.registry.record(space);
    return followChanges(this.gate.registry, this.bell, space, afterSeq, options);
  }
}

/**
 * Every change-feed event of one space after `afterSeq`, in order, then new ones as they are
 * committed, until `signal` aborts. The feed is durable and sequence numbers are never reused,
 * so a reader that resumes after the last sequence it saw loses and repeats nothing. Once
 * caught up the reader sleeps until the backend's change bell rings for the space (a write in
 * this process, or a notification from another server on a shared database) or `pollMs` passes.
 */
export async function* followChanges(registry: SpaceRegistry, bell: ChangeBell, space: string, afterSeq: number, options: FollowOptions): AsyncGenerator<ChangeRecord> {
  const batch = options.batch ?? 500;
  const wake = new Wake(bell, spaceKey(space), options.signal);
  let cursor = afterSeq;
  try {
    while (!options.signal.aborted) {
      // Cleared before reading: a ring during the read means the read may have missed something.
      wake.reset();
      const events = await registry.use(space, ({ store }) => store.changes(cursor, batch));
      for (const event of events) {
        if (options.signal.aborted) return;
        cursor = event.seq;
        yield event;
      }
      if (events.length < batch) await wake.wait(options.pollMs ?? 1000);
    }
  } finally {
    wake.close();
  }
}

/** A reader's subscription to its space's bell: remembers a ring until the reader waits. */
class Wake {
  private rung = false;
  private resolve: (() => void) | undefined;
  private readonly stopListening: () => void;
  private readonly onAbort = (): void => this.fire();

  constructor(
    bell: ChangeBell,
    key: string,
    private readonly signal: AbortSignal,
  ) {
    this.stopListening = bell.listen(key, () => this.fire());
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  reset(): void {
    this.rung = false;
  }

  /** Resolves at once if rung since the last reset, else at the next ring, abort or after `ms`. */
  wait(ms: number): Promise<void> {
    if (this.rung || this.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.fire(), ms);
      this.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  close(): void {
    this.stopListening();
    this.signal.removeEventListener('abort', this.onAbort);
    this.fire();
  }

  private fire(): void {
    this.rung = true;
    const resolve = this.resolve;
    this.resolve = undefined;
    resolve?.();
  }
}
