import { z } from 'zod';
import { MemspaceError } from '../../core/errors.js';
import { changeView } from '../../core/views.js';
import { parseWith } from '../../core/validate.js';
import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { ChangeEventResponse } from '../../core/response-schemas.js';

/** A sequence number as a query string carries it: digits only, so that an empty `after=` is not 0. */
const SeqParam = z.string().regex(/^\d+$/, 'a sequence number: digits only').transform(Number).pipe(z.number().max(Number.MAX_SAFE_INTEGER));

const EventsQuery = z.strictObject({
  space: z.string().optional(),
  /** Where to start (the `Last-Event-ID` header resumes too, and wins). */
  after: z
    .union([z.literal('latest'), SeqParam])
    .optional()
    .describe(
      'Resume after this event (as `Last-Event-ID` does, which wins); `latest`: only changes committed from now on; absent or 0: everything the feed holds. ' +
        'A position the feed no longer holds (compacted) or never reached is `410 CURSOR_EXPIRED`, with `oldest` and `latest` in the details.',
    ),
});

/** Seconds between keep-alive comments, so proxies do not close an idle stream. */
const HEARTBEAT_MS = 15_000;

/** Open change streams, so a shutdown can end them instead of waiting for clients to leave. */
export class OpenStreams {
  private readonly open = new Set<AbortController>();

  track(controller: AbortController): () => void {
    this.open.add(controller);
    return () => this.open.delete(controller);
  }

  /** Ends every open stream. */
  closeAll(): void {
    for (const controller of this.open) controller.abort();
  }
}

/** The change stream of one space as Server-Sent Events. */
export function eventRoutes(ms: Memspace, streams: OpenStreams, options: { pollMs?: number } = {}): RouteSpec[] {
  return [
    {
      method: 'GET',
      path: '/events',
      scoped: true,
      tag: 'events',
      summary: "The space's change stream (Server-Sent Events), resumable with Last-Event-ID, or from now on with after=latest",
      role: 'read',
      query: EventsQuery,
      produces: 'text/event-stream',
      response: ChangeEventResponse, errors: ['CURSOR_EXPIRED'],
      handler: async ({ request, reply, space, call }) => {
        const q = parseWith(EventsQuery, request.query, 'query');
        const after = lastEventId(request.headers['last-event-id']) ?? q.after ?? 0;
        const abort = new AbortController();
        // An unknown space or a position the feed does not hold fails here, as a status, before the stream starts.
        const events = await ms.changes.follow(space, after, { signal: abort.signal, ...(options.pollMs && { pollMs: options.pollMs }) }, call);
        const untrack = streams.track(abort);
        request.raw.on('close', () => abort.abort());
        reply.hijack();
        const out = reply.raw;
        out.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-request-id': request.id,
        });
        out.write(': memspace change stream\n\n');
        // Where `latest` starts is known here only: told as the last event id (a block without data
        // dispatches no event), so a reconnection before the first change resumes from it.
        if (after === 'latest') out.write(`id: ${events.after}\n\n`);
        const heartbeat = setInterval(() => out.write(': ping\n\n'), HEARTBEAT_MS);
        try {
          for await (const event of events) {
            const data = JSON.stringify(changeView(event));
            out.write(`id: ${event.seq}\nevent: ${event.op}\ndata: ${data}\n\n`);
          }
        } catch (error) {
          // The stream has started, so an error can only be told as an event before closing.
          const e = error instanceof MemspaceError ? error : new MemspaceError('INTERNAL', 'internal error');
          out.write(`event: error\ndata: ${JSON.stringify(e.toJSON())}\n\n`);
        } finally {
          untrack();
          clearInterval(heartbeat);
          out.end();
        }
      },
    },
  ];
}

function lastEventId(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = Number(Array.isArray(header) ? header[0] : header);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new MemspaceError('VALIDATION_FAILED', 'Last-Event-ID must be an event id this server sent', { issues: [{ path: 'last-event-id', message: 'not a sequence number' }] });
  }
  return value;
}
