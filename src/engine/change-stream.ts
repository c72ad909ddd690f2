import type { ChangeRecord } from '../core/types.js';
import type { SpaceRegistry } from './space-registry.js';

/** Options of {@link followChanges}. */
export interface FollowOptions {
  /** Stops the stream. */
  signal: AbortSignal;
  /** How long to wait before looking for new events once caught up. @default 100 */
  pollMs?: number;
  /** Most events read at once. @default 500 */
  batch?: number;
}

/**
 * Every change-feed event of one space after `afterSeq`, in order, then new ones as they are
 * committed, until `signal` aborts. The feed is durable and sequence numbers are never reused,
 * so a reader that resumes after the last sequence it saw loses and repeats nothing. Polling
 * the feed (an indexed read) also sees writes made by other processes sharing the database.
 */
export async function* followChanges(registry: SpaceRegistry, space: string, afterSeq: number, options: FollowOptions): AsyncGenerator<ChangeRecord> {
  const batch = options.batch ?? 500;
  let cursor = afterSeq;
  while (!options.signal.aborted) {
    const events = await registry.use(space, ({ store }) => store.changes(cursor, batch));
    for (const event of events) {
      if (options.signal.aborted) return;
      cursor = event.seq;
      yield event;
    }
    if (events.length < batch) await pause(options.pollMs ?? 100, options.signal);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
