import { Metadata, Server, ServerCredentials, type ServerWritableStream } from '@grpc/grpc-js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemspaceClient, type ChangeEvent } from '../../src/client/index.js';
import { MemspaceGrpcClient } from '../../src/client/grpc.js';
import { buildGrpcServer, type MemspaceGrpcServer } from '../../src/grpc/grpc-server.js';
import { buildApp } from '../../src/server/app.js';
import { memspaceServices } from '../../src/wire/proto.js';
import { failure } from '../support/rejects-with.js';
import { axisVector, tempMemspace } from '../support/temp-memspace.js';

/**
 * `events()` of both SDK clients and the change feed's horizon, against real servers over one
 * memspace whose feed keeps its newest two events once they are a week old: a position the
 * feed no longer holds ends the stream with CURSOR_EXPIRED at once (never retried), `latest`
 * sends only later changes, and a stream from `latest` that drops before its first event
 * resumes from where `latest` was, losing nothing written meanwhile (HTTP against the server,
 * gRPC against a stub that ends the first stream before any event).
 */

const DIM = 4;
const DAY = 86_400_000;
const v = (axis: number): number[] => axisVector(DIM, axis);

let clock = Date.parse('2026-06-01T00:00:00Z');
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let grpcServer: MemspaceGrpcServer;
let baseUrl: string;
let grpc: MemspaceGrpcClient;
/** Requests of the HTTP client to the events route, with the position each asked for. */
const eventRequests: { lastEventId: string | null; after: string | null }[] = [];
let http: MemspaceClient;

beforeAll(async () => {
  ms = await tempMemspace({ now: () => clock, config: { feedRetentionDays: 7, feedMinEvents: 2 } });
  app = await buildApp({ memspace: ms, eventPollMs: 3_600_000, auth: false });
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  grpcServer = buildGrpcServer({ memspace: ms, eventPollMs: 3_600_000 });
  grpc = new MemspaceGrpcClient({ address: `127.0.0.1:${await grpcServer.listen('127.0.0.1', 0)}`, apiKey: (await ms.keys.ensureRootKey())! });
  const counting: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.pathname.endsWith('/events')) eventRequests.push({ lastEventId: new Headers(init?.headers).get('last-event-id'), after: url.searchParams.get('after') });
    return fetch(input, init);
  };
  http = new MemspaceClient({ baseUrl, fetch: counting });
  await ms.spaces.create({ name: 'feed', embedder: 'none', dimension: DIM });
  for (let i = 0; i < 5; i++) await ms.memories.add('feed', { content: `note ${i}`, embedding: v(i) });
  clock += 8 * DAY;
  await ms.sweeper.sweepSpace('feed'); // holds seqs 4 and 5
});
afterAll(async () => {
  grpc?.close();
  await grpcServer?.close();
  await app?.close();
  await ms?.cleanup();
});

/** The first `n` events of a stream, then it is stopped. */
async function take(events: (signal: AbortSignal) => AsyncIterable<ChangeEvent>, n: number, whileOpen?: () => Promise<unknown>): Promise<ChangeEvent[]> {
  const stop = new AbortController();
  const got: ChangeEvent[] = [];
  const reading = (async () => {
    for await (const event of events(stop.signal)) {
      got.push(event);
      if (got.length === n) stop.abort();
    }
  })();
  await whileOpen?.();
  await reading;
  return got;
}

describe('events() and the feed horizon', () => {
  it('throws CURSOR_EXPIRED with the oldest event held for a position compacted away, after one request, on both clients', async () => {
    eventRequests.length = 0;
    const overHttp = await failure(http.events('feed', { after: 2, minBackoffMs: 1 }).next(), 'CURSOR_EXPIRED');
    expect(overHttp.details).toEqual({ after: 2, oldest: 4, latest: 5 });
    expect(eventRequests).toHaveLength(1); // not retried
    const overGrpc = await failure(grpc.events('feed', { after: 2, minBackoffMs: 1 }).next(), 'CURSOR_EXPIRED');
    expect(overGrpc.details).toEqual({ after: 2, oldest: 4, latest: 5 });
    // From the last event compacted, or from nothing, both stream what the feed holds.
    for (const after of [3, undefined]) {
      expect((await take((signal) => http.events('feed', { ...(after !== undefined && { after }), signal }), 2)).map((e) => e.seq)).toEqual([4, 5]);
      expect((await take((signal) => grpc.events('feed', { ...(after !== undefined && { after }), signal }), 2)).map((e) => e.seq)).toEqual([4, 5]);
    }
  });

  it('sends only the changes committed after the stream opened with latest', async () => {
    const before = (await ms.registry.use('feed', ({ store }) => store.feedBounds())).latest;
    let added = '';
    // The response's status arrives once the server has fixed where latest is: a change committed then comes after it.
    const opening: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      added = (await ms.memories.add('feed', { content: 'later', embedding: v(1) })).id;
      return res;
    };
    const client = new MemspaceClient({ baseUrl, fetch: opening });
    const got = await take((signal) => client.events('feed', { after: 'latest', signal }), 1);
    expect(got.map((e) => [e.seq, e.op, e.id])).toEqual([[before + 1, 'memory.created', added]]);
  });

  it('resumes a stream from latest that dropped before its first event from where latest was, over HTTP', async () => {
    const head = (await ms.registry.use('feed', ({ store }) => store.feedBounds())).latest;
    let written = '';
    let calls = 0;
    // The first connection drops right after the server told where latest is; a change is committed before the client reconnects.
    const dropping: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (++calls > 1) return res;
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (!text.includes(`id: ${head}\n\n`)) text += (await reader.read()).value ?? '';
      await reader.cancel();
      written = (await ms.memories.add('feed', { content: 'during the drop', embedding: v(2) })).id;
      return new Response(text, { status: 200, headers: res.headers });
    };
    const dropped = new MemspaceClient({ baseUrl, fetch: dropping });
    const got = await take((signal) => dropped.events('feed', { after: 'latest', signal, minBackoffMs: 1 }), 1);
    expect(got.map((e) => [e.seq, e.id])).toEqual([[head + 1, written]]);
    expect(calls).toBe(2);
  });
});

describe('MemspaceGrpcClient.events from latest', () => {
  it('watches again after the position the response headers gave when the stream ends before its first event', async () => {
    const services = memspaceServices();
    const server = new Server();
    const watches: { after: number; latest: boolean }[] = [];
    server.addService(services.Events.service, {
      Watch: (call: ServerWritableStream<{ after: number; latest: boolean }, unknown>) => {
        watches.push({ after: call.request.after, latest: call.request.latest });
        if (watches.length === 1) {
          const headers = new Metadata();
          headers.set('x-memspace-after', '7');
          call.sendMetadata(headers);
          call.end(); // ends before any event, as a server shutting down does
          return;
        }
        call.write({ seq: 8, op: 'memory.created', id: 'm8', at: new Date(1_700_000_000_000).toISOString() });
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    const client = new MemspaceGrpcClient({ address: `127.0.0.1:${port}` });
    try {
      const got = await take((signal) => client.events('s', { after: 'latest', signal, minBackoffMs: 1 }), 1);
      expect(got.map((e) => e.seq)).toEqual([8]);
      expect(watches).toEqual([
        { after: 0, latest: true },
        { after: 7, latest: false },
      ]);
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
