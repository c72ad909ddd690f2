import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { axisVector, tempMemspace } from '../support/temp-memspace.js';

interface StreamEvent {
  id: number;
  event: string;
  data: { seq: number; op: string; id: string };
}

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  ms = await tempMemspace();
  // No polling within a test's time: every event must come through the backend's change bell.
  app = await buildApp({ memspace: ms, eventPollMs: 3_600_000, auth: false });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  for (const name of ['red', 'blue']) await ms.spaces.create({ name, embedder: 'none', dimension: 4 });
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

/** Reads events from a stream until `count` have arrived, then drops the connection. */
async function read(url: string, count: number, headers: Record<string, string> = {}): Promise<StreamEvent[]> {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: StreamEvent[] = [];
  let buffer = '';
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0 && events.length < count) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
      if (fields['id'] !== undefined) events.push({ id: Number(fields['id']), event: fields['event']!, data: JSON.parse(fields['data']!) as StreamEvent['data'] });
    }
  }
  abort.abort(); // drop the connection mid-stream
  return events;
}

describe('change stream (SSE)', () => {
  it('resumes with Last-Event-ID after a dropped connection, losing and repeating nothing', async () => {
    const add = (n: number) => ms.memories.add('red', { content: `red ${n}`, embedding: axisVector(4, n) });
    const written: string[] = [];
    for (let i = 0; i < 5; i++) written.push((await add(i)).id);
    const first = await read(`${base}/v1/spaces/red/events`, 3);
    expect(first.map((e) => e.data.id)).toEqual(written.slice(0, 3));
    // More writes while nobody listens, then resume from the last event seen.
    const more = (async () => {
      for (let i = 5; i < 12; i++) written.push((await add(i)).id);
    })();
    const rest = await read(`${base}/v1/spaces/red/events`, 9, { 'last-event-id': String(first.at(-1)!.id) });
    await more;
    const all = [...first, ...rest];
    expect(all.map((e) => e.data.id)).toEqual(written);
    expect(all.every((e, i) => e.event === 'memory.created' && (i === 0 || e.id > all[i - 1]!.id))).toBe(true);
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
  });

  it('streams only its own space, in both route forms', async () => {
    const blue = await ms.memories.add('blue', { content: 'blue only', embedding: [1, 0, 0, 0] });
    const viaHeader = await read(`${base}/v1/events`, 1, { 'x-memory-space': 'blue' });
    expect(viaHeader.map((e) => e.data.id)).toEqual([blue.id]);
    const red = await read(`${base}/v1/spaces/red/events?after=0`, 12);
    expect(red.some((e) => e.data.id === blue.id)).toBe(false);
  });

  it('ends open streams when the server shuts down, instead of waiting for clients to leave', async () => {
    const other = await buildApp({ memspace: ms, eventPollMs: 10, auth: false });
    const url = await other.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${url}/v1/spaces/red/events`);
    const reader = res.body!.getReader();
    await reader.read(); // the stream is open
    await other.close(); // would hang while the stream is open
    let done = false;
    while (!done) done = (await reader.read()).done;
    expect(done).toBe(true);
  });

  it('answers errors before streaming', async () => {
    expect((await fetch(`${base}/v1/spaces/nowhere/events`)).status).toBe(404);
    expect((await fetch(`${base}/v1/spaces/red/events`, { headers: { 'last-event-id': 'abc' } })).status).toBe(400);
    expect((await fetch(`${base}/v1/events`, { headers: { 'x-memory-space': '../red' } })).status).toBe(400);
  });
});

describe('change stream (SSE) and its key', () => {
  /** Everything a stream sends until the server ends it. */
  async function untilEnd(res: Response): Promise<string> {
    let text = '';
    for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) text += chunk;
    return text;
  }

  it('ends with an UNAUTHENTICATED error event once its key is revoked, and with SPACE_NOT_FOUND once its space is deleted', async () => {
    // Polling every hour: the revocation must reach the stream by itself, not by a poll.
    const authed = await buildApp({ memspace: ms, eventPollMs: 3_600_000 });
    const url = await authed.listen({ host: '127.0.0.1', port: 0 });
    try {
      const reader = await ms.keys.create({ name: 'red reader', grants: [{ space: 'red', role: 'read' }] });
      const res = await fetch(`${url}/v1/spaces/red/events?after=latest`, { headers: { authorization: `Bearer ${reader.key}` } });
      expect(res.status).toBe(200);
      const ended = untilEnd(res);
      await ms.keys.revoke(reader.id);
      const text = await ended;
      expect(text).toContain('event: error');
      expect(text).toContain('"code":"UNAUTHENTICATED"');

      await ms.spaces.create({ name: 'doomed', embedder: 'none', dimension: 4 });
      const watcher = await ms.keys.create({ name: 'doomed reader', grants: [{ space: 'doomed', role: 'read' }] });
      const doomed = await fetch(`${url}/v1/spaces/doomed/events`, { headers: { authorization: `Bearer ${watcher.key}` } });
      const gone = untilEnd(doomed);
      await ms.spaces.delete('doomed');
      expect(await gone).toContain('"code":"SPACE_NOT_FOUND"');
    } finally {
      await authed.close();
    }
  });
});

describe('change stream (SSE) and the feed horizon', () => {
  const DAY = 86_400_000;
  let clock = Date.parse('2026-06-01T00:00:00Z');
  let feedMs: Awaited<ReturnType<typeof tempMemspace>>;
  let feedApp: FastifyInstance;
  let url: string;
  /** Ids of the memories added to `old`, whose feed keeps only the newest two events after compaction. */
  const added: string[] = [];

  beforeAll(async () => {
    feedMs = await tempMemspace({ now: () => clock, config: { feedRetentionDays: 7, feedMinEvents: 2 } });
    feedApp = await buildApp({ memspace: feedMs, eventPollMs: 3_600_000, auth: false });
    url = await feedApp.listen({ host: '127.0.0.1', port: 0 });
    await feedMs.spaces.create({ name: 'old', embedder: 'none', dimension: 4 });
    for (let i = 0; i < 5; i++) added.push((await feedMs.memories.add('old', { content: `old ${i}`, embedding: axisVector(4, i) })).id);
    clock += 8 * DAY;
    await feedMs.sweeper.sweepSpace('old'); // holds seqs 4 and 5
  });
  afterAll(async () => {
    await feedApp.close();
    await feedMs.cleanup();
  });

  /** What a stream sends until `done` accepts it, then the connection is dropped. */
  async function streamText(path: string, headers: Record<string, string>, done: (text: string) => boolean, whileOpen?: () => Promise<unknown>): Promise<string> {
    const abort = new AbortController();
    const res = await fetch(`${url}${path}`, { headers, signal: abort.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const pending = whileOpen?.();
    while (!done(text)) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      text += value;
    }
    await pending;
    abort.abort();
    return text;
  }
  const ids = (text: string): number[] => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));

  it('answers 410 CURSOR_EXPIRED with the oldest event held, as a status before any stream, for a position compacted away', async () => {
    const asked: [string, Record<string, string>][] = [
      ['/v1/spaces/old/events', { 'last-event-id': '2' }],
      ['/v1/spaces/old/events?after=2', {}],
    ];
    for (const [path, headers] of asked) {
      const res = await fetch(`${url}${path}`, { headers });
      expect(res.status).toBe(410);
      expect(res.headers.get('content-type')).toContain('application/json');
      const body = (await res.json()) as { error: { code: string; message: string; details: Record<string, unknown> } };
      expect(body.error).toMatchObject({ code: 'CURSOR_EXPIRED', details: { after: 2, oldest: 4, latest: 5 } });
      expect(body.error.message).toContain('oldest event is 4');
    }
    // Resuming after the last event compacted loses nothing; no resume point starts at the oldest event held.
    const resumed = await streamText('/v1/spaces/old/events', { 'last-event-id': '3' }, (t) => ids(t).length >= 2);
    expect(ids(resumed)).toEqual([4, 5]);
    const fromStart = await streamText('/v1/spaces/old/events', {}, (t) => ids(t).length >= 2);
    expect(ids(fromStart)).toEqual([4, 5]);
    expect(fromStart).toContain(added[4]!);
  });

  it('starts at the head with after=latest, telling where as the last event id, and sends only later changes', async () => {
    let fresh = '';
    const text = await streamText(
      '/v1/spaces/old/events?after=latest',
      {},
      (t) => t.includes('event: memory.created'),
      async () => {
        fresh = (await feedMs.memories.add('old', { content: 'fresh', embedding: axisVector(4, 1) })).id;
      },
    );
    // The position comes first, without data (no event), then the new change alone.
    expect(text.startsWith(': memspace change stream\n\nid: 5\n\n')).toBe(true);
    expect(ids(text)).toEqual([5, 6]);
    expect(text).toContain(`"id":"${fresh}"`);
    for (const id of added) expect(text).not.toContain(id);
  });

  it('refuses an after that is neither a sequence number nor latest with VALIDATION_FAILED', async () => {
    for (const after of ['abc', '-1', '1.5', '', 'LATEST', '1e3', '1&after=2']) {
      const res = await fetch(`${url}/v1/spaces/old/events?after=${after}`);
      expect(res.status, after).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code, after).toBe('VALIDATION_FAILED');
    }
  });

  it("reveals nothing of another space through its cursor: one past this feed's head is refused with this feed's bounds only", async () => {
    await feedMs.spaces.create({ name: 'busy', embedder: 'none', dimension: 4 });
    const busy: string[] = [];
    for (let i = 0; i < 12; i++) busy.push((await feedMs.memories.add('busy', { content: `busy secret ${i}`, embedding: axisVector(4, i) })).id);
    const reader = await feedMs.keys.create({ name: 'old reader', grants: [{ space: 'old', role: 'read' }] });
    const authed = await buildApp({ memspace: feedMs, eventPollMs: 3_600_000 });
    const authedUrl = await authed.listen({ host: '127.0.0.1', port: 0 });
    try {
      const auth = { authorization: `Bearer ${reader.key}` };
      // A cursor of busy (seq 12) on old, whose newest event is 6.
      const res = await fetch(`${authedUrl}/v1/spaces/old/events`, { headers: { ...auth, 'last-event-id': '12' } });
      expect(res.status).toBe(410);
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'CURSOR_EXPIRED', details: { after: 12, oldest: 4, latest: 6 } } });
      expect(text).not.toContain('busy');
      for (const id of busy) expect(text).not.toContain(id);
      // The same key reads its own space from a position it holds, and sees old's changes only.
      const own = await fetch(`${authedUrl}/v1/spaces/old/events`, { headers: { ...auth, 'last-event-id': '4' } });
      expect(own.status).toBe(200);
      const reader2 = own.body!.pipeThrough(new TextDecoderStream()).getReader();
      let stream = '';
      while (!/^id: 6$/m.test(stream)) stream += (await reader2.read()).value ?? '';
      await reader2.cancel();
      expect(ids(stream)).toEqual([5, 6]);
      for (const id of busy) expect(stream).not.toContain(id);
      // busy itself stays out of this key's sight, whatever the cursor.
      expect((await fetch(`${authedUrl}/v1/spaces/busy/events`, { headers: { ...auth, 'last-event-id': '1' } })).status).toBe(404);
    } finally {
      await authed.close();
    }
  });
});
