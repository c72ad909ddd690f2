import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { MemspaceError } from '../core/errors.js';
import { type ChangeEvent, changeView } from '../core/views.js';
import { WATCH_AFTER_HEADER, type WatchRequest } from '../wire/messages.js';
import { type GrpcContext, serverStream } from './grpc-calls.js';

/**
 * `memspace.v1.Events`: the change feed of one space, as the SSE route serves it. The stream
 * ends cleanly when the client cancels or the server shuts down, and with the engine's error
 * when the space is deleted (NOT_FOUND), the key revoked (UNAUTHENTICATED) or the position is
 * one the feed does not hold (OUT_OF_RANGE, CURSOR_EXPIRED).
 */
export function eventsService(ctx: GrpcContext, options: { pollMs?: number } = {}): UntypedServiceImplementation {
  return {
    Watch: serverStream(ctx, 'memspace.v1.Events/Watch', async (r: WatchRequest, { call, space }, write: (m: ChangeEvent) => Promise<void>, signal, headers) => {
      if (r.latest && r.after !== 0) {
        throw new MemspaceError('VALIDATION_FAILED', 'give `after` or `latest`, not both', { issues: [{ path: 'after', message: 'must be 0 with latest' }] });
      }
      const stop = AbortSignal.any([signal, ctx.closing]);
      // An unknown or invisible space, or a position the feed does not hold, fails here, before the first message.
      const events = await ctx.memspace.changes.follow(space(r.space), r.latest ? 'latest' : r.after, { signal: stop, ...(options.pollMs !== undefined && { pollMs: options.pollMs }) }, call);
      if (r.latest) headers({ [WATCH_AFTER_HEADER]: String(events.after) });
      for await (const event of events) await write(changeView(event));
    }),
  };
}
