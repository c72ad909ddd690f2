import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { type GrpcContext, serverStream } from './grpc-calls.js';
import { type ChangeEvent, changeView } from '../core/views.js';

/**
 * `memspace.v1.Events`: the change feed of one space, as the SSE route serves it. The stream
 * ends cleanly when the client cancels or the server shuts down, and with the engine's error
 * when the space is deleted (NOT_FOUND) or the key revoked (UNAUTHENTICATED).
 */
export function eventsService(ctx: GrpcContext, options: { pollMs?: number } = {}): UntypedServiceImplementation {
  return {
    Watch: serverStream(ctx, 'memspace.v1.Events/Watch', async (r: { space: string; after: number }, { call, space }, write: (m: ChangeEvent) => Promise<void>, signal) => {
      const stop = AbortSignal.any([signal, ctx.closing]);
      // An unknown or invisible space fails here, before the first message.
      const events = await ctx.memspace.changes.follow(space(r.space), r.after, { signal: stop, ...(options.pollMs !== undefined && { pollMs: options.pollMs }) }, call);
      for await (const event of events) await write(changeView(event));
    }),
  };
}
