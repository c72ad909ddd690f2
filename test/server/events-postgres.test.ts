import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openEngine, type MemspaceEngine } from '../../src/memspace.js';
import { buildApp } from '../../src/server/app.js';
import { startPglite } from '../support/pglite.js';
import { startPostgres } from '../support/postgres-server.js';
import { axisVector } from '../support/temp-memspace.js';

/**
 * Two memspace servers over one PostgreSQL: a change written through one reaches an SSE
 * subscriber of the other, through the durable change feed both read. On PGlite (one session
 * for every connection, so no notification reaches another) the second server polls every 50 ms;
 * on a Citus coordinator it does not poll within the test's time, so only the notification the
 * write sends through the coordinator can wake it.
 */

interface StreamEvent {
  id: number;
  event: string;
  data: { seq: number; op: string; id: string };
}

const TARGETS: { name: string; start: () => Promise<{ url: string; stop(): Promise<void> }>; eventPollMs: number }[] = [
  { name: 'PGlite', start: startPglite, eventPollMs: 50 },
  { name: 'a Citus coordinator with 2 workers', start: () => startPostgres({ citusWorkers: 2 }), eventPollMs: 10 * 60_000 },
];

describe.each(TARGETS)('SSE across two servers on $name', ({ start, eventPollMs }) => {
  let pg: { url: string; stop(): Promise<void> };
  const servers: { ms: MemspaceEngine; app: FastifyInstance; base: string }[] = [];

  beforeAll(async () => {
    pg = await start();
    for (let i = 0; i < 2; i++) {
      const ms = await openEngine(loadConfig({ backend: 'postgres', pgUrl: pg.url, pgPoolSize: 4 }, {}));
      const app = await buildApp({ memspace: ms, auth: false, eventPollMs });
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      servers.push({ ms, app, base });
    }
    for (const name of ['red', 'blue']) await servers[0]!.ms.spaces.create({ name, embedder: 'none', dimension: 4 });
  }, 60_000);

  afterAll(async () => {
    for (const s of servers) {
      await s.app.close();
      await s.ms.close();
    }
    await pg?.stop();
  });

/** An open stream: `next(n)` reads until n more events have arrived; `close()` drops the connection. */
async function subscribe(url: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const ready: StreamEvent[] = [];
  return {
    async next(count: number): Promise<StreamEvent[]> {
      while (ready.length < count) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((l) => !l.startsWith(':'))
              .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
          );
          if (fields['id'] !== undefined) ready.push({ id: Number(fields['id']), event: fields['event']!, data: JSON.parse(fields['data']!) as StreamEvent['data'] });
        }
      }
      return ready.splice(0, count);
    },
    close(): void {
      abort.abort();
    },
  };
}

/** Adds a memory through the HTTP API of the server at `base` and returns its id. */
async function add(base: string, space: string, n: number): Promise<string> {
  const res = await fetch(`${base}/v1/spaces/${space}/memories`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ content: `${space} ${n}`, embedding: axisVector(4, n) }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

  it('a subscriber of the second server receives every write made through the first, in order; another space hears none', async () => {
    const red = await subscribe(`${servers[1]!.base}/v1/spaces/red/events`);
    const blue = await subscribe(`${servers[1]!.base}/v1/spaces/blue/events`);
    const written: string[] = [];
    for (let n = 0; n < 8; n++) written.push(await add(servers[0]!.base, 'red', n));
    const events = await red.next(written.length);
    expect(events.map((e) => e.data.id)).toEqual(written);
    expect(events.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(events.every((e) => e.event === 'memory.created' && e.data.seq === e.id)).toBe(true);
    // The blue subscriber's first event is blue's own first write: none of red's came before it.
    const own = await add(servers[0]!.base, 'blue', 0);
    expect((await blue.next(1)).map((e) => e.data.id)).toEqual([own]);
    red.close();
    blue.close();
  });

  it('resuming with Last-Event-ID on the first server after a disconnect loses and repeats nothing', async () => {
    // A space of its own, with eight events written here, so the event ids below depend neither on
    // what the other test wrote in red nor on whether it ran.
    await servers[0]!.ms.spaces.create({ name: 'green', embedder: 'none', dimension: 4 });
    const written: string[] = [];
    for (let n = 0; n < 8; n++) written.push(await add(servers[0]!.base, 'green', n));
    const history = await subscribe(`${servers[1]!.base}/v1/spaces/green/events`);
    expect((await history.next(8)).map((e) => e.data.id)).toEqual(written);
    history.close();
    const stream = await subscribe(`${servers[1]!.base}/v1/spaces/green/events?after=8`);
    for (let n = 8; n < 11; n++) written.push(await add(servers[0]!.base, 'green', n));
    const first = await stream.next(3);
    stream.close(); // dropped mid-stream
    // Writes through both servers while nobody listens.
    for (let n = 11; n < 15; n++) written.push(await add(servers[n % 2]!.base, 'green', n));
    const resumed = await subscribe(`${servers[0]!.base}/v1/spaces/green/events`, { 'last-event-id': String(first.at(-1)!.id) });
    const rest = await resumed.next(4);
    written.push(await add(servers[1]!.base, 'green', 15)); // and one more, live, through the second
    rest.push(...(await resumed.next(1)));
    resumed.close();
    const all = [...first, ...rest];
    expect(all.map((e) => e.data.id)).toEqual(written.slice(8));
    expect(all.map((e) => e.id)).toEqual([9, 10, 11, 12, 13, 14, 15, 16]);
  });
});
