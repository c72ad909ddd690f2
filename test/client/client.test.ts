import { createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemspaceClient, MemspaceError, type ChangeEvent, type ErrorCode, type ExportLine } from '../../src/client/index.js';
import { buildApp } from '../../src/server/app.js';
import { scoreByWords, startFakeReranker } from '../support/fake-reranker.js';
import { axisVector, tempMemspace } from '../support/temp-memspace.js';

const DIM = 4;
const v = (axis: number): number[] => axisVector(DIM, axis);

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let baseUrl: string;
let root: string;
let client: MemspaceClient;

/** Every request the clients below sent, as it went on the wire. */
const sent: { method: string; url: URL; headers: Headers }[] = [];
const spy: typeof fetch = (input, init) => {
  sent.push({ method: init?.method ?? 'GET', url: new URL(input instanceof Request ? input.url : input), headers: new Headers(init?.headers) });
  return fetch(input, init);
};
const lastSent = (): { method: string; url: URL; headers: Headers } => sent.at(-1)!;

beforeAll(async () => {
  ms = await tempMemspace();
  root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms, eventPollMs: 3_600_000 }); // streams wake by the change bell alone
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  client = new MemspaceClient({ baseUrl: `${baseUrl}/`, apiKey: root, fetch: spy });
  for (const name of ['a', 'b', 'ev']) await client.spaces.create({ name, embedder: 'none', dimension: DIM });
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

/** Creates a space of caller-given vectors for one test alone, so no test depends on another's data. */
async function ownSpace(name: string): Promise<string> {
  await client.spaces.create({ name, embedder: 'none', dimension: DIM });
  return name;
}

/** The MemspaceError a call fails with; fails the test if it succeeds or fails otherwise. */
async function failure(promise: Promise<unknown>, code: ErrorCode): Promise<MemspaceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MemspaceError);
  expect((error as MemspaceError).code, (error as Error).message).toBe(code);
  expect(typeof (error as MemspaceError).message).toBe('string');
  return error as MemspaceError;
}

describe('MemspaceClient against a live server', () => {
  it('reports health', async () => {
    expect(await client.health()).toMatchObject({ status: 'ok', openSpaces: expect.any(Number) });
  });

  it('creates, lists, reads, changes and deletes spaces', async () => {
    const created = await client.spaces.create({ name: 'tmp-one', embedder: 'none', dimension: DIM, labels: { team: 'x' } });
    expect(created).toMatchObject({ name: 'tmp-one', embedder: 'none', dimension: DIM, labels: { team: 'x' }, createdAt: expect.any(String) });
    await client.spaces.create({ name: 'tmp-two', embedder: 'none', dimension: DIM });
    expect((await client.spaces.list({ prefix: 'tmp' })).items.map((s) => s.name)).toEqual(['tmp-one', 'tmp-two']);
    const first = await client.spaces.list({ prefix: 'tmp', limit: 1 });
    expect(first).toMatchObject({ items: [{ name: 'tmp-one' }], nextCursor: 'tmp-one' });
    expect((await client.spaces.list({ prefix: 'tmp', cursor: first.nextCursor! })).items.map((s) => s.name)).toEqual(['tmp-two']);
    expect(await client.spaces.get('tmp-one')).toMatchObject({ name: 'tmp-one', stats: { memories: 0, relations: 0 } });
    expect(await client.spaces.update('tmp-one', { description: 'scratch', quotas: { maxMemories: 10 } })).toMatchObject({ description: 'scratch', quotas: { maxMemories: 10 } });
    expect(lastSent().method).toBe('PATCH');
    await client.spaces.delete('tmp-one');
    await client.spaces.delete('tmp-two');
    await failure(client.spaces.get('tmp-one'), 'SPACE_NOT_FOUND');
  });

  it('works on memories in both route forms: a named space in the path, the default space in the header', async () => {
    const tea = await client.memories.add({ content: 'Alice prefers tea', embedding: v(0), tags: ['prefs'], userId: 'alice', metadata: { topic: 'drinks' } }, { space: 'a' });
    expect(tea).toMatchObject({ id: expect.any(String), content: 'Alice prefers tea', userId: 'alice', tags: ['prefs'], kind: 'fact' });
    expect(lastSent().url.pathname).toBe('/v1/spaces/a/memories');
    expect(lastSent().headers.get('x-memory-space')).toBeNull();
    expect(lastSent().headers.get('authorization')).toBe(`Bearer ${root}`);

    const inB = new MemspaceClient({ baseUrl, apiKey: root, space: 'b', fetch: spy });
    const note = await inB.memories.add({ content: 'a note in b', embedding: v(1) });
    expect(lastSent().url.pathname).toBe('/v1/memories');
    expect(lastSent().headers.get('x-memory-space')).toBe('b');
    expect((await inB.memories.get(note.id)).content).toBe('a note in b');
    expect((await client.memories.get(note.id, { space: 'b' })).content).toBe('a note in b');
    await failure(client.memories.get(note.id, { space: 'a' }), 'NOT_FOUND');
    // A named space wins over the client's default: the path form, no header.
    expect((await inB.memories.get(tea.id, { space: 'a' })).id).toBe(tea.id);
    expect(lastSent().headers.get('x-memory-space')).toBeNull();

    const batch = await client.memories.addBatch([{ content: 'b1', embedding: v(2) }, { content: 'b2', embedding: v(3), userId: 'bob' }], { space: 'a' });
    expect(batch.map((m) => m.content)).toEqual(['b1', 'b2']);

    const byScope = await client.memories.list({ userId: 'alice', tags: ['prefs', 'other'], limit: 5 }, { space: 'a' });
    expect(byScope.items.map((m) => m.id)).toEqual([tea.id]);
    expect(lastSent().url.searchParams.getAll('tag')).toEqual(['prefs', 'other']);
    const byFilter = await client.memories.list({ filter: { 'metadata.topic': { eq: 'drinks' } } }, { space: 'a' });
    expect(byFilter.items.map((m) => m.id)).toEqual([tea.id]);
    expect(JSON.parse(lastSent().url.searchParams.get('filter')!)).toEqual({ 'metadata.topic': { eq: 'drinks' } });
    const page1 = await client.memories.list({ order: 'asc', limit: 2 }, { space: 'a' });
    expect(page1.items.map((m) => m.content)).toEqual(['Alice prefers tea', 'b1']);
    const page2 = await client.memories.list({ order: 'asc', limit: 2, cursor: page1.nextCursor! }, { space: 'a' });
    expect(page2.items.map((m) => m.content)).toEqual(['b2']);

    const changed = await client.memories.update(tea.id, { content: 'Alice prefers green tea', embedding: v(0), importance: 0.9 }, { space: 'a' });
    expect(changed).toMatchObject({ content: 'Alice prefers green tea', importance: 0.9 });
    expect((await client.memories.history(tea.id, { space: 'a' })).map((h) => h.action)).toEqual(['create', 'update']);

    await client.memories.delete(batch[0]!.id, { space: 'a' });
    expect(lastSent()).toMatchObject({ method: 'DELETE' });
    await failure(client.memories.get(batch[0]!.id, { space: 'a' }), 'NOT_FOUND');
    expect(await client.memories.deleteByFilter({ userId: 'bob' }, { space: 'a' })).toEqual({ deleted: 1 });
  });

  it('reads a whole space with memories.all, oldest first, a page of 1000 at a time', async () => {
    await client.spaces.create({ name: 'many', embedder: 'none', dimension: DIM });
    const ids = Array.from({ length: 1_001 }, (_, i) => `m${String(i).padStart(4, '0')}`);
    await client.memories.addBatch(ids.map((id, i) => ({ id, content: `note ${i}`, embedding: v(i), kind: i % 2 === 0 ? 'even' : 'odd' })), { space: 'many' });
    const before = sent.length;
    const all: string[] = [];
    for await (const m of client.memories.all({}, { space: 'many' })) all.push(m.id);
    expect(all).toEqual(ids);
    expect(sent.slice(before).map((r) => [r.url.searchParams.get('order'), r.url.searchParams.get('limit'), r.url.searchParams.has('cursor')])).toEqual([
      ['asc', '1000', false],
      ['asc', '1000', true],
    ]);
    const odd: string[] = [];
    for await (const m of client.memories.all({ filter: { kind: 'odd' } }, { space: 'many' })) odd.push(m.id);
    expect(odd).toEqual(ids.filter((_, i) => i % 2 === 1));
    await client.spaces.delete('many');
  });

  it('searches by keywords and by vector', async () => {
    const space = await ownSpace('searched');
    await client.memories.addBatch(
      [
        { content: 'Alice prefers green tea', embedding: v(0), userId: 'alice' },
        { content: 'Bob prefers coffee', embedding: v(0), userId: 'bob' },
      ],
      { space },
    );
    const keyword = await client.search({ query: 'green tea', mode: 'keyword' }, { space });
    expect(keyword[0]).toMatchObject({ memory: { content: 'Alice prefers green tea' }, score: expect.any(Number), scores: { keyword: expect.any(Number) } });
    const vector = await client.search({ embedding: v(0), mode: 'vector', limit: 1, filter: { userId: 'alice' } }, { space });
    expect(vector.map((h) => h.memory.content)).toEqual(['Alice prefers green tea']);
  });

  it('turns the run-neighbour and date signals off per search', async () => {
    const space = await ownSpace('signals');
    await client.memories.addBatch(
      [
        { content: 'Sam: which band played the party?', embedding: v(0), runId: 'chat', metadata: { date: '2023-05-20' } },
        { content: 'Kim: Matt Patterson', embedding: v(1), runId: 'chat' },
      ],
      { space },
    );
    const search = (extra: { neighbors?: boolean; dates?: boolean }) => client.search({ query: 'the party in May 2023', embedding: v(0), mode: 'vector', limit: 2, ...extra }, { space });
    const both = await search({});
    expect(both.map((h) => [h.memory.content, h.scores.date, h.scores.neighbor !== undefined])).toEqual([
      ['Sam: which band played the party?', 0.2, false],
      ['Kim: Matt Patterson', undefined, true],
    ]);
    const off = await search({ neighbors: false, dates: false });
    expect(off.every((h) => h.scores.date === undefined && h.scores.neighbor === undefined)).toBe(true);
  });

  it('adds, lists and deletes relations', async () => {
    const space = await ownSpace('related');
    const [x, y] = await client.memories.addBatch([{ content: 'x', embedding: v(0) }, { content: 'y', embedding: v(1) }], { space });
    const rel = await client.relations.add({ from: x!.id, to: y!.id, type: 'mentions', weight: 0.5 }, { space });
    expect(rel).toMatchObject({ from: x!.id, to: y!.id, type: 'mentions', weight: 0.5 });
    expect((await client.relations.list(x!.id, { direction: 'out' }, { space })).map((r) => r.id)).toEqual([rel.id]);
    expect(await client.relations.list(x!.id, { direction: 'in' }, { space })).toEqual([]);
    await client.relations.delete(rel.id, { space });
    expect(await client.relations.list(y!.id, {}, { space })).toEqual([]);
  });

  it('exports and imports JSON Lines, from objects or strings', async () => {
    const space = await ownSpace('exported');
    await client.memories.addBatch([{ content: 'first to go', embedding: v(0) }, { content: 'second to go', embedding: v(1) }], { space });
    const lines: ExportLine[] = [];
    for await (const line of client.export({ space })) lines.push(line);
    expect(lines[0]).toMatchObject({ type: 'space', name: space, dimension: DIM });
    const memories = lines.filter((l) => l.type === 'memory');
    expect(memories).toHaveLength(2);
    expect(memories.every((m) => m.embedding?.length === DIM)).toBe(true);

    async function* objects(): AsyncGenerator<ExportLine> {
      yield* lines;
    }
    const first = await client.import(objects(), { space: 'exported-copy' });
    expect(first).toMatchObject({ mode: 'restore', memories: { imported: memories.length, skipped: 0 }, relations: { imported: 0, skipped: 0 } });
    expect(first.audit.imported).toBe(lines.filter((l) => l.type === 'audit').length);
    expect(lastSent().headers.get('content-type')).toBe('application/x-ndjson');
    const again = await client.import(lines.map((l) => JSON.stringify(l)), { space: 'exported-copy' });
    expect(again.memories).toEqual({ imported: 0, skipped: memories.length });
    expect((await client.memories.get(memories[0]!.id, { space: 'exported-copy' })).content).toBe(memories[0]!.content);

    // Leaving an export early closes it; a failing source is the error the caller sees.
    for await (const line of client.export({ space })) {
      expect(line.type).toBe('space');
      break;
    }
    const broken = (function* () {
      yield lines[0]!;
      throw new Error('source broke');
    })();
    await expect(client.import(broken, { space: 'exported-broken' })).rejects.toThrow('source broke');
    await failure(client.import(['{"type":"memory"'], { space: 'exported-copy' }), 'VALIDATION_FAILED');
  });

  it('lists and verifies the audit trail', async () => {
    const space = await ownSpace('audited');
    const added = await client.memories.add({ content: 'on the record', embedding: v(0) }, { space });
    const trail = await client.audit.list({ action: 'memory.create', limit: 100 }, { space });
    expect(trail.items).toEqual([expect.objectContaining({ action: 'memory.create', ids: [added.id], seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) })]);
    expect(await client.audit.verify({ space })).toMatchObject({ ok: true, entries: expect.any(Number) });
  });

  it('creates, lists and revokes keys; a key scoped to one space cannot see another', async () => {
    const mine = await ownSpace('keyed-mine');
    const theirs = await ownSpace('keyed-theirs');
    const inTheirs = await client.memories.add({ content: 'secret of theirs', embedding: v(2) }, { space: theirs });
    const created = await client.keys.create({ name: 'a writer', grants: [{ space: mine, role: 'write' }] });
    expect(created).toMatchObject({ name: 'a writer', grants: [{ space: mine, role: 'write' }], defaultSpace: null, revokedAt: null });
    expect(created.key).toMatch(/^msk_/);
    const listed = await client.keys.list();
    expect(listed.map((k) => k.name)).toEqual(expect.arrayContaining(['root', 'a writer']));
    expect(listed.every((k) => !('key' in k))).toBe(true);

    const scoped = new MemspaceClient({ baseUrl, apiKey: created.key });
    expect((await scoped.spaces.list()).items.map((s) => s.name)).toEqual([mine]);
    const byScoped = await scoped.memories.add({ content: 'by the scoped key', embedding: v(1) }, { space: mine });
    expect((await scoped.memories.get(byScoped.id, { space: mine })).content).toBe('by the scoped key');
    await failure(scoped.memories.get(inTheirs.id, { space: theirs }), 'SPACE_NOT_FOUND');
    await failure(scoped.search({ query: 'secret', mode: 'keyword' }, { space: theirs }), 'SPACE_NOT_FOUND');
    await failure(scoped.spaces.get(theirs), 'SPACE_NOT_FOUND');
    await failure(scoped.memories.add({ content: 'x', embedding: v(1) }, { space: theirs }), 'SPACE_NOT_FOUND');
    await failure(scoped.audit.list({}, { space: mine }), 'FORBIDDEN');
    expect((await client.memories.list({}, { space: theirs })).items.map((m) => m.content)).toEqual(['secret of theirs']);

    await client.keys.revoke(created.id);
    await failure(scoped.spaces.list(), 'UNAUTHENTICATED');
    await failure(client.keys.revoke(created.id), 'NOT_FOUND');
  });

  it('shares a space and searches across spaces, each hit naming its space', async () => {
    await client.spaces.create({ name: 'docs', isolation: 'shared', embedder: 'none', dimension: DIM });
    await client.spaces.create({ name: 'team', embedder: 'none', dimension: DIM });
    await client.memories.addBatch([{ content: 'public handbook', embedding: v(1), tags: ['public'] }, { content: 'private handbook', embedding: v(1) }], { space: 'docs' });
    await client.memories.add({ content: 'team handbook notes', embedding: v(1) }, { space: 'team' });
    const reader = await client.keys.create({ name: 'team reader', grants: [{ space: 'team', role: 'read' }] });
    const teamClient = new MemspaceClient({ baseUrl, apiKey: reader.key });
    await failure(teamClient.searchAcross(['team', 'docs'], { query: 'handbook', mode: 'keyword' }), 'SPACE_NOT_FOUND');
    const share = await client.shares.create({ to: 'team', tags: ['public'] }, { space: 'docs' });
    expect(share).toMatchObject({ space: 'docs', to: 'team', toKind: 'space', tags: ['public'] });
    expect((await client.shares.list({ space: 'docs' })).map((x) => x.id)).toEqual([share.id]);
    const hits = await teamClient.searchAcross(['team', 'docs'], { query: 'handbook', mode: 'keyword' });
    expect(hits.map((h) => `${h.space}:${h.memory.content}`).sort()).toEqual(['docs:public handbook', 'team:team handbook notes']);
    await client.shares.delete(share.id, { space: 'docs' });
    await failure(teamClient.searchAcross(['docs'], { query: 'handbook' }), 'SPACE_NOT_FOUND');
  });

  it("throws the server's errors as MemspaceError with its code, message and details", async () => {
    await failure(client.spaces.get('nowhere'), 'SPACE_NOT_FOUND');
    await failure(client.memories.list({}, { space: 'nowhere' }), 'SPACE_NOT_FOUND');
    const invalid = await failure(client.memories.add({ content: '', embedding: v(0) }, { space: 'a' }), 'VALIDATION_FAILED');
    expect(invalid.details?.['issues']).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'content' })]));
    await failure(client.memories.list({ filter: { userId: { like: 'a' } } }, { space: 'a' }), 'VALIDATION_FAILED');
    await failure(new MemspaceClient({ baseUrl, apiKey: 'msk_forged' }).spaces.list(), 'UNAUTHENTICATED');
    await failure(new MemspaceClient({ baseUrl }).spaces.list(), 'UNAUTHENTICATED');
    const conflict = await failure(client.spaces.create({ name: 'A', embedder: 'none', dimension: DIM }), 'CONFLICT');
    expect(conflict.toJSON().error.code).toBe('CONFLICT');
    await failure(client.memories.add({ content: 'x', embedding: [1, 2] }, { space: 'a' }), 'DIMENSION_MISMATCH');
    // A URL resolves `..` away (even as %2E%2E), which would reach another route: refused before sending.
    const before = sent.length;
    await failure(client.memories.get('x', { space: '..' }), 'INVALID_SPACE');
    await failure(client.memories.delete('..', { space: 'a' }), 'VALIDATION_FAILED');
    expect(sent.length).toBe(before);
    await failure(new MemspaceClient({ baseUrl, apiKey: root, space: '../a' }).memories.list(), 'INVALID_SPACE');
  });

  it('fails with BACKEND_UNAVAILABLE when nothing listens, keeping the cause', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failure(new MemspaceClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: root }).spaces.list(), 'BACKEND_UNAVAILABLE');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.cause).toBeDefined();
  });

  it('fails with BACKEND_UNAVAILABLE on a timeout, and with the caller\'s reason on an abort', async () => {
    const silent: typeof fetch = (_input, init) => new Promise((_resolve, reject) => init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason)));
    const slow = new MemspaceClient({ baseUrl, fetch: silent, timeoutMs: 20 });
    const timedOut = await failure(slow.health(), 'BACKEND_UNAVAILABLE');
    expect(timedOut.details).toEqual({ timeoutMs: 20 });
    const caller = new AbortController();
    const pending = slow.health({ signal: caller.signal, timeoutMs: 0 });
    caller.abort(new Error('changed my mind'));
    await expect(pending).rejects.toThrow('changed my mind');
  });

  it('fails with INTERNAL, naming the status, on answers that are not memspace\'s', async () => {
    const gateway = new MemspaceClient({ baseUrl, fetch: async () => new Response('<html>Bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }) });
    const bad = await failure(gateway.health(), 'INTERNAL');
    expect(bad.details).toMatchObject({ status: 502, body: '<html>Bad gateway</html>' });
    const odd = new MemspaceClient({ baseUrl, fetch: async () => Response.json({ error: { code: 'NO_SUCH_CODE', message: 'x' } }, { status: 418 }) });
    expect((await failure(odd.health(), 'INTERNAL')).details).toMatchObject({ status: 418 });
    const shapeless = new MemspaceClient({ baseUrl, fetch: async () => Response.json([1, 2, 3]) });
    expect((await failure(shapeless.spaces.get('a'), 'INTERNAL')).details).toMatchObject({ status: 200 });
    const notJson = new MemspaceClient({ baseUrl, fetch: async () => new Response('ok') });
    await failure(notJson.memories.get('x'), 'INTERNAL');
  });
});

describe('MemspaceClient.events', () => {
  const write = async (space: string, content: string, viaClient: boolean): Promise<string> =>
    viaClient ? (await client.memories.add({ content, embedding: v(0) }, { space })).id : (await ms.memories.add(space, { content, embedding: v(0) })).id;

  it('resumes by itself after a dropped connection: every event once, in order', async () => {
    const space = await ownSpace('ev-resume');
    const written: string[] = [];
    for (let i = 0; i < 3; i++) written.push(await write(space, `before ${i}`, true));
    const stop = new AbortController();
    const stream = client.events(space, { signal: stop.signal })[Symbol.asyncIterator]();
    const seen: ChangeEvent[] = [];
    const take = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const next = await stream.next();
        expect(next.done).toBe(false);
        seen.push(next.value as ChangeEvent);
      }
    };
    try {
      await take(3);
      const opened = sent.filter((r) => r.url.pathname === `/v1/spaces/${space}/events`);
      expect(opened).toHaveLength(1);
      expect(opened[0]!.headers.get('last-event-id')).toBeNull();

      app.server.closeAllConnections(); // drop the stream mid-way
      for (let i = 0; i < 4; i++) written.push(await write(space, `after ${i}`, false));
      await take(4);

      const reopened = sent.filter((r) => r.url.pathname === `/v1/spaces/${space}/events`);
      expect(reopened.length).toBeGreaterThanOrEqual(2);
      expect(reopened[1]!.headers.get('last-event-id')).toBe(String(seen[2]!.seq));
      written.push(await write(space, 'later', true));
      await take(1);

      expect(seen.map((e) => e.id)).toEqual(written);
      expect(seen.every((e, i) => e.op === 'memory.created' && typeof e.at === 'string' && (i === 0 || e.seq > seen[i - 1]!.seq))).toBe(true);
    } finally {
      stop.abort();
    }
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it("starts after `after`, follows the client's space through the header, and ends when the loop breaks", async () => {
    const space = await ownSpace('ev-after');
    const written: string[] = [];
    for (let i = 0; i < 3; i++) written.push(await write(space, `event ${i}`, false));
    const inEv = new MemspaceClient({ baseUrl, apiKey: root, space, fetch: spy });
    const all: ChangeEvent[] = [];
    for await (const event of inEv.events(undefined, { after: 0 })) {
      all.push(event);
      if (all.length === 3) break;
    }
    expect(all.map((e) => e.id)).toEqual(written);
    expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((x, y) => x - y));
    const rest: ChangeEvent[] = [];
    for await (const event of inEv.events(undefined, { after: all[1]!.seq })) {
      expect(lastSent().url.pathname).toBe('/v1/events');
      expect(lastSent().headers.get('x-memory-space')).toBe(space);
      rest.push(event);
      break;
    }
    expect(rest[0]).toEqual(all[2]);
  });

  it('replaces a silent connection and one that ends with a retryable error; stops on any other error', async () => {
    // A scripted server: each connection sends its text, then stays open until the client drops it.
    // A connection's whole text is queued before the client reads it, and reading queued bytes
    // takes no timer turn, so the 30 ms idle timeout can fire only once a connection has gone
    // silent: a loaded machine makes this test slower, never different.
    const scripts = [
      'id: 1\nevent: memory.created\ndata: {"seq":1,"op":"memory.created","id":"m1","at":"2026-01-01T00:00:00.000Z"}\n\n',
      ': ping\n\nevent: error\ndata: {"error":{"code":"BACKEND_UNAVAILABLE","message":"disk busy"}}\n\n',
      'id: 2\ndata: {"seq":1,"op":"memory.created","id":"m1","at":"2026-01-01T00:00:00.000Z"}\n\ndata: {"seq":2,"op":"memory.deleted","id":"m1","at":"2026-01-01T00:00:01.000Z"}\n\n',
      'event: error\ndata: {"error":{"code":"SPACE_NOT_FOUND","message":"space \\"s\\" not found"}}\n\n',
    ];
    const asked: (string | null)[] = [];
    const scripted: typeof fetch = async (_input, init) => {
      asked.push(new Headers(init?.headers).get('last-event-id'));
      const text = scripts.shift() ?? '';
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(text));
          init!.signal!.addEventListener('abort', () => controller.error(init!.signal!.reason));
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    };
    const fake = new MemspaceClient({ baseUrl: 'http://memspace.invalid', fetch: scripted });
    const seen: ChangeEvent[] = [];
    const error = await (async () => {
      for await (const event of fake.events('s', { idleTimeoutMs: 30, minBackoffMs: 1 })) seen.push(event);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(seen.map((e) => [e.seq, e.op])).toEqual([
      [1, 'memory.created'],
      [2, 'memory.deleted'], // the repeated seq 1 was skipped
    ]);
    expect(asked).toEqual([null, '1', '1', '2']); // silent, then an error event, then the refusal
    expect(error).toBeInstanceOf(MemspaceError);
    expect((error as MemspaceError).code).toBe('SPACE_NOT_FOUND');
  });

  it('throws when the server refuses the stream, instead of retrying', async () => {
    await failure(client.events('nowhere').next(), 'SPACE_NOT_FOUND');
    await failure(new MemspaceClient({ baseUrl, apiKey: 'msk_forged' }).events('ev').next(), 'UNAUTHENTICATED');
  });
});

describe('MemspaceClient search with rerank', () => {
  it('sends rerank: the hits come back in the order of the server\'s reranker, with its scores', async () => {
    const reranker = await startFakeReranker(scoreByWords({ coffee: 0.9, tea: 0.4 }, 0.1));
    const own = await tempMemspace({ config: { rerankBaseUrl: reranker.url, rerankModel: 'fake-reranker' } });
    const ownApp = await buildApp({ memspace: own });
    try {
      const ownClient = new MemspaceClient({ baseUrl: await ownApp.listen({ host: '127.0.0.1', port: 0 }), apiKey: (await own.keys.ensureRootKey())! });
      await ownClient.spaces.create({ name: 'drinks', embedder: 'none', dimension: DIM });
      for (const [content, axis] of [['Alice drinks tea', 0], ['Bob drinks water', 1], ['Carol drinks coffee', 2]] as const) {
        await ownClient.memories.add({ content, embedding: v(axis) }, { space: 'drinks' });
      }
      const hits = await ownClient.search({ query: 'who drinks what', embedding: v(0), limit: 2, rerank: true }, { space: 'drinks' });
      expect(hits.map((h) => [h.memory.content, h.score, h.scores.rerank])).toEqual([
        ['Carol drinks coffee', 0.9, 0.9],
        ['Alice drinks tea', 0.4, 0.4],
      ]);
      expect(reranker.requests.map((r) => r.query)).toEqual(['who drinks what']);
      const across = await ownClient.searchAcross(['drinks'], { query: 'who drinks what', embedding: v(0), limit: 1, rerank: true });
      expect(across.map((h) => [h.space, h.memory.content])).toEqual([['drinks', 'Carol drinks coffee']]);
      // Without a reranker on the server the request is refused, not searched as if rerank were absent.
      const refused = await failure(client.search({ query: 'tea', embedding: v(0), rerank: true }, { space: 'a' }), 'VALIDATION_FAILED');
      expect(refused.message).toMatch(/rerank needs a reranker/);
    } finally {
      await ownApp.close();
      await own.cleanup();
      await reranker.close();
    }
  });
});
