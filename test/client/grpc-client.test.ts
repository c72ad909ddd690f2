import { Metadata, Server, ServerCredentials, status, type ServerWritableStream, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemspaceClient } from '../../src/client/index.js';
import { MemspaceGrpcClient, MemspaceError, type ChangeEvent, type Memory } from '../../src/client/grpc.js';
import { buildGrpcServer, type MemspaceGrpcServer } from '../../src/grpc/grpc-server.js';
import { memspaceServices } from '../../src/wire/proto.js';
import { toStruct } from '../../src/wire/struct.js';
import { buildApp } from '../../src/server/app.js';
import { failure } from '../support/rejects-with.js';
import { axisVector, tempMemspace } from '../support/temp-memspace.js';

/**
 * The gRPC client against a real listening gRPC server (and, for parity, the HTTP client against
 * the REST app over the same memspace): every method, the same views and errors as HTTP, time
 * limits and aborts, and a key scoped to one space aiming at another. A stub server of the same
 * services stands in where a real one cannot be made to misbehave: hanging calls, bare statuses,
 * event streams that end.
 */

const DIM = 4;
const v = (axis: number): number[] => axisVector(DIM, axis);

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let grpcServer: MemspaceGrpcServer;
let app: FastifyInstance;
let address: string;
let baseUrl: string;
let root: string;
let scoped: string;
let client: MemspaceGrpcClient;
let http: MemspaceClient;

beforeAll(async () => {
  ms = await tempMemspace();
  root = (await ms.keys.ensureRootKey())!;
  grpcServer = buildGrpcServer({ memspace: ms });
  address = `127.0.0.1:${await grpcServer.listen('127.0.0.1', 0)}`;
  app = await buildApp({ memspace: ms, eventPollMs: 3_600_000 });
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  client = new MemspaceGrpcClient({ address, apiKey: root });
  http = new MemspaceClient({ baseUrl, apiKey: root });
  for (const name of ['a', 'b', 'ev']) await client.spaces.create({ name, embedder: 'none', dimension: DIM });
  scoped = (await ms.keys.create({ name: 'b writer', grants: [{ space: 'b', role: 'write' }], defaultSpace: 'b' })).key;
});
afterAll(async () => {
  client?.close();
  await grpcServer?.close();
  await app?.close();
  await ms?.cleanup();
});


async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('MemspaceGrpcClient: spaces', () => {
  it('creates, lists, reads, checks, changes and deletes spaces, as the HTTP client shows them', async () => {
    const created = await client.spaces.create({ name: 'tmp-one', embedder: 'none', dimension: DIM, labels: { team: 'x' }, retentionDays: 30 });
    expect(created).toMatchObject({ name: 'tmp-one', embedder: 'none', dimension: DIM, labels: { team: 'x' }, retentionDays: 30, createdAt: expect.any(String) });
    expect(created).toEqual(await http.spaces.get('tmp-one').then(({ stats: _stats, ...space }) => ({ ...space, state: created.state })));
    await client.spaces.create({ name: 'tmp-two', embedder: 'none', dimension: DIM });

    const first = await client.spaces.list({ limit: 1 });
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).toBe(first.items[0]!.name);
    const names: string[] = [];
    for (let cursor: string | null | undefined; cursor !== null; ) {
      const page = await client.spaces.list({ limit: 2, ...(cursor !== undefined && { cursor }) });
      names.push(...page.items.map((s) => s.name));
      cursor = page.nextCursor;
    }
    expect(names).toEqual((await http.spaces.list({ limit: 100 })).items.map((s) => s.name));
    expect(names).toEqual(expect.arrayContaining(['a', 'b', 'tmp-one', 'tmp-two']));

    const info = await client.spaces.get('tmp-one');
    expect(info).toMatchObject({ name: 'tmp-one', stats: { memories: 0, relations: 0 } });
    expect(info).toEqual(await http.spaces.get('tmp-one'));
    expect(await client.spaceHealth('tmp-one')).toMatchObject({ name: 'tmp-one', state: expect.any(String), open: expect.any(Boolean), memories: 0 });

    const updated = await client.spaces.update('tmp-one', { description: 'scratch', quotas: { maxMemories: 10 }, retentionDays: null });
    expect(updated).toMatchObject({ description: 'scratch', quotas: { maxMemories: 10 }, retentionDays: null });
    await client.spaces.delete('tmp-one');
    await client.spaces.delete('tmp-two');
    await failure(client.spaces.get('tmp-one'), 'SPACE_NOT_FOUND');
  });

  it('refuses what the protocol cannot say instead of ignoring it: a prefix, an empty space name', async () => {
    expect((await failure(client.spaces.list({ prefix: 'tmp' } as object), 'VALIDATION_FAILED')).message).toMatch(/prefix/);
    await failure(client.spaces.get(''), 'INVALID_SPACE');
    await failure(client.spaceHealth(''), 'INVALID_SPACE');
    await failure(client.memories.get('x', { space: '' }), 'INVALID_SPACE');
  });
});

describe('MemspaceGrpcClient: memories', () => {
  it('adds, reads, changes, lists, searches, tells the history of and deletes memories, with the views of the HTTP client', async () => {
    const tea = await client.memories.add({ content: 'Alice prefers tea', embedding: v(0), tags: ['prefs'], userId: 'alice', metadata: { topic: 'drinks', n: 1 }, importance: 0.9 }, { space: 'a' });
    expect(tea).toMatchObject({ id: expect.any(String), content: 'Alice prefers tea', userId: 'alice', tags: ['prefs'], kind: 'fact', importance: 0.9, metadata: { topic: 'drinks', n: 1 } });
    expect(await client.memories.get(tea.id, { space: 'a' })).toEqual(await http.memories.get(tea.id, { space: 'a' }));

    const batch = await client.memories.addBatch(
      [
        { content: 'Bob drinks coffee', embedding: v(1), id: 'bob' },
        { content: 'Carol likes juice', embedding: v(2), kind: 'episode' },
      ],
      { space: 'a' },
    );
    expect(batch.map((m) => m.content)).toEqual(['Bob drinks coffee', 'Carol likes juice']);
    expect(batch[0]!.id).toBe('bob');

    const changed = await client.memories.update(tea.id, { content: 'Alice prefers green tea', tags: ['prefs', 'tea'], embedding: v(0) }, { space: 'a' });
    expect(changed).toMatchObject({ content: 'Alice prefers green tea', tags: ['prefs', 'tea'] });
    expect(await client.memories.history(tea.id, { space: 'a' })).toEqual(await http.memories.history(tea.id, { space: 'a' }));
    expect((await client.memories.history(tea.id, { space: 'a' })).map((h) => h.action)).toEqual(['create', 'update']);

    const all = await collect(client.memories.all({}, { space: 'a' }));
    expect(all.map((m) => m.id)).toEqual([tea.id, 'bob', batch[1]!.id]);
    expect(all).toEqual(await collect(http.memories.all({}, { space: 'a' })));
    expect((await collect(client.memories.all({ filter: { kind: { eq: 'episode' } } }, { space: 'a' }))).map((m) => m.content)).toEqual(['Carol likes juice']);

    const hits = await client.search({ embedding: v(1), mode: 'vector', limit: 2 }, { space: 'a' });
    expect(hits[0]).toMatchObject({ memory: { id: 'bob' }, score: expect.any(Number), scores: { vector: expect.any(Number) } });
    expect(hits).toEqual(await http.search({ embedding: v(1), mode: 'vector', limit: 2 }, { space: 'a' }));
    const words = await client.search({ query: 'coffee', mode: 'keyword', userId: undefined, threshold: 0 }, { space: 'a' });
    expect(words.map((h) => h.memory.id)).toEqual(['bob']);

    await client.memories.delete('bob', { space: 'a' });
    await failure(client.memories.get('bob', { space: 'a' }), 'NOT_FOUND');
  });

  it("uses the client's space as x-memory-space when a call names none, and the key's default space without either", async () => {
    const inB = new MemspaceGrpcClient({ address, apiKey: root, space: 'b' });
    try {
      const note = await inB.memories.add({ content: 'a note in b', embedding: v(1) });
      expect((await client.memories.get(note.id, { space: 'b' })).content).toBe('a note in b');
      expect((await inB.memories.get(note.id)).id).toBe(note.id);
      // A call that names its space wins over the client's, as a path does over HTTP.
      await failure(inB.memories.get(note.id, { space: 'a' }), 'NOT_FOUND');
    } finally {
      inB.close();
    }
    const byDefault = new MemspaceGrpcClient({ address, apiKey: scoped });
    try {
      const note = await byDefault.memories.add({ content: 'default space of the key', embedding: v(2) });
      expect((await client.memories.get(note.id, { space: 'b' })).content).toBe('default space of the key');
    } finally {
      byDefault.close();
    }
  });

  it('streams adds from an async iterable and returns the summary; a failing source rejects with its own error', async () => {
    async function* notes(n: number): AsyncGenerator<{ content: string; embedding: number[]; id: string }> {
      for (let i = 0; i < n; i++) yield { content: `streamed ${i}`, embedding: v(i), id: `s${i}` };
    }
    await client.spaces.create({ name: 'streamed', embedder: 'none', dimension: DIM });
    const summary = await client.memories.addStream(notes(250), { space: 'streamed' });
    expect(summary).toEqual({ added: 250, ids: Array.from({ length: 250 }, (_, i) => `s${i}`) });
    expect((await collect(client.memories.all({}, { space: 'streamed' }))).map((m) => m.id)).toEqual(summary.ids);
    expect(await client.memories.addStream([{ content: 'from an array', embedding: v(0) }], { space: 'streamed' })).toMatchObject({ added: 1 });

    const broken = new Error('the source broke');
    async function* failing(): AsyncGenerator<{ content: string; embedding: number[] }> {
      yield { content: 'before the failure', embedding: v(1) };
      throw broken;
    }
    await expect(client.memories.addStream(failing(), { space: 'streamed' })).rejects.toBe(broken);
    // The server's own refusal mid-stream: a memory of the wrong dimension.
    const wrong = await failure(client.memories.addStream([{ content: 'ok', embedding: v(0) }, { content: 'short', embedding: [1, 0] }], { space: 'streamed' }), 'DIMENSION_MISMATCH');
    expect(wrong.details).toMatchObject({ expected: DIM });
  });

  it('throws the errors of the HTTP client: same code, message and details', async () => {
    const pairs: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
      ['wrong dimension', () => client.memories.add({ content: 'x', embedding: [1, 0] }, { space: 'a' }), () => http.memories.add({ content: 'x', embedding: [1, 0] }, { space: 'a' })],
      ['empty content', () => client.memories.add({ content: '', embedding: v(0) }, { space: 'a' }), () => http.memories.add({ content: '', embedding: v(0) }, { space: 'a' })],
      ['taken name', () => client.spaces.create({ name: 'A', embedder: 'none', dimension: DIM }), () => http.spaces.create({ name: 'A', embedder: 'none', dimension: DIM })],
      ['bad setting', () => client.spaces.update('a', { retentionDays: -3 }), () => http.spaces.update('a', { retentionDays: -3 })],
      ['bad embedder', () => client.spaces.create({ name: 'x1', embedder: '' }), () => http.spaces.create({ name: 'x1', embedder: '' })],
      ['missing memory', () => client.memories.get('nope', { space: 'a' }), () => http.memories.get('nope', { space: 'a' })],
      ['missing space', () => client.memories.get('nope', { space: 'nowhere' }), () => http.memories.get('nope', { space: 'nowhere' })],
      ['hostile space', () => client.memories.get('nope', { space: '../a' }), () => http.memories.get('nope', { space: '..%2fa' })],
      ['empty update', () => client.memories.update('x', {}, { space: 'a' }), () => http.memories.update('x', {}, { space: 'a' })],
      ['no query', () => client.search({ mode: 'keyword' }, { space: 'a' }), () => http.search({ mode: 'keyword' }, { space: 'a' })],
    ];
    for (const [what, viaGrpc, viaHttp] of pairs) {
      const [g, h] = [await viaGrpc().catch((e: unknown) => e), await viaHttp().catch((e: unknown) => e)];
      expect(g, what).toBeInstanceOf(MemspaceError);
      expect({ code: (g as MemspaceError).code }, what).toEqual({ code: (h as MemspaceError).code });
      if (what !== 'hostile space') expect({ message: (g as MemspaceError).message, details: (g as MemspaceError).details }, what).toEqual({ message: (h as MemspaceError).message, details: (h as MemspaceError).details });
    }
    await failure(client.memories.addBatch([], { space: 'a' }), 'VALIDATION_FAILED');
    await failure(client.search({ query: 'tea', expand: true }, { space: 'a' }), 'VALIDATION_FAILED');
    const forged = new MemspaceGrpcClient({ address, apiKey: 'msk_forged' });
    try {
      await failure(forged.spaces.list(), 'UNAUTHENTICATED');
    } finally {
      forged.close();
    }
  });
});

describe('MemspaceGrpcClient.events', () => {
  it('streams the change feed from `after`, resumable, the same events as the SSE stream, and ends when the signal aborts', async () => {
    const first = await client.memories.add({ content: 'one', embedding: v(0) }, { space: 'ev' });
    await client.memories.update(first.id, { content: 'one, changed', embedding: v(3) }, { space: 'ev' });
    await client.memories.delete(first.id, { space: 'ev' });

    const stop = new AbortController();
    const seen: ChangeEvent[] = [];
    const later = (async () => {
      for await (const event of client.events('ev', { signal: stop.signal })) {
        seen.push(event);
        if (seen.length === 3) void client.memories.add({ content: 'two', embedding: v(1), id: 'two' }, { space: 'ev' });
        if (seen.length === 4) stop.abort();
      }
    })();
    await later; // ends without an error once aborted
    expect(seen.map((e) => [e.op, e.id])).toEqual([
      ['memory.created', first.id],
      ['memory.updated', first.id],
      ['memory.deleted', first.id],
      ['memory.created', 'two'],
    ]);
    expect(seen.every((e, i) => e.seq > (seen[i - 1]?.seq ?? 0) && !Number.isNaN(Date.parse(e.at)))).toBe(true);

    const sse: ChangeEvent[] = [];
    const sseStop = new AbortController();
    for await (const event of http.events('ev', { signal: sseStop.signal })) {
      sse.push(event);
      if (sse.length === 4) sseStop.abort();
    }
    expect(seen).toEqual(sse);

    const resumed: ChangeEvent[] = [];
    const resumeStop = new AbortController();
    for await (const event of client.events('ev', { after: seen[1]!.seq, signal: resumeStop.signal })) {
      resumed.push(event);
      if (resumed.length === 2) resumeStop.abort();
    }
    expect(resumed).toEqual(seen.slice(2));
  });

  it('throws when the server refuses the stream, instead of retrying', async () => {
    await failure(client.events('nowhere').next(), 'SPACE_NOT_FOUND');
    const forged = new MemspaceGrpcClient({ address, apiKey: 'msk_forged' });
    try {
      await failure(forged.events('ev').next(), 'UNAUTHENTICATED');
    } finally {
      forged.close();
    }
  });
});

describe('MemspaceGrpcClient: isolation between spaces', () => {
  let secret: Memory;
  let asB: MemspaceGrpcClient;
  beforeAll(async () => {
    secret = await client.memories.add({ content: 'alpha secret plan', embedding: v(0), id: 'shared' }, { space: 'a' });
    await client.memories.add({ content: 'beta public note', embedding: v(0), id: 'shared' }, { space: 'b' });
    asB = new MemspaceGrpcClient({ address, apiKey: scoped });
  });
  afterAll(() => asB?.close());

  it('a key scoped to b cannot get, search, list, watch, change or delete space a: not found, as the server says', async () => {
    const inA = { space: 'a' };
    const attempts: [string, () => Promise<unknown>][] = [
      ['get', () => asB.memories.get('shared', inA)],
      ['search', () => asB.search({ query: 'secret', embedding: v(0) }, inA)],
      ['all', () => collect(asB.memories.all({}, inA))],
      ['events', () => asB.events('a').next()],
      ['history', () => asB.memories.history('shared', inA)],
      ['update', () => asB.memories.update('shared', { content: 'changed' }, inA)],
      ['delete', () => asB.memories.delete('shared', inA)],
      ['add', () => asB.memories.add({ content: 'planted', embedding: v(1) }, inA)],
      ['addStream', () => asB.memories.addStream([{ content: 'planted', embedding: v(1) }], inA)],
      ['spaces.get', () => asB.spaces.get('a')],
      ['spaceHealth', () => asB.spaceHealth('a')],
      ['spaces.delete', () => asB.spaces.delete('a')],
    ];
    for (const [what, attempt] of attempts) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error, what).toBeInstanceOf(MemspaceError);
      expect(['SPACE_NOT_FOUND', 'NOT_FOUND'], `${what}: ${(error as MemspaceError).code}`).toContain((error as MemspaceError).code);
      expect((error as Error).message, what).not.toContain('secret');
    }
    // Naming space a as the client's space (x-memory-space) is refused the same way.
    const aimed = new MemspaceGrpcClient({ address, apiKey: scoped, space: 'a' });
    try {
      await failure(aimed.memories.get('shared'), 'SPACE_NOT_FOUND');
    } finally {
      aimed.close();
    }
    expect((await asB.spaces.list()).items.map((s) => s.name)).toEqual(['b']);
    expect((await asB.memories.get('shared')).content).toBe('beta public note');
    expect(await client.memories.get('shared', { space: 'a' })).toMatchObject({ content: secret.content });
  });

  it('never returns space a from a search or listing of b, with the same id and text, and returns b its own', async () => {
    for (const mode of ['vector', 'keyword', 'hybrid'] as const) {
      // "note" is in b's own memory, so each mode has b's memory to find.
      const found = await asB.search({ query: 'alpha secret plan note', embedding: v(0), mode, limit: 50 });
      expect(found.map((h) => h.memory.content), mode).toContain('beta public note');
      expect(JSON.stringify(found), mode).not.toContain('alpha secret');
    }
    const listed = await collect(asB.memories.all());
    expect(listed.map((m) => m.content)).toContain('beta public note');
    expect(JSON.stringify(listed)).not.toContain('alpha secret');
  });
});

/**
 * A server of the memspace services that misbehaves on purpose: `Spaces.Get` hangs or answers a
 * bare status as its `space` field says, `Memories.List` sends one memory then hangs, and
 * `Events.Watch` sends the events of `watchScript` (one array per call) and ends.
 */
async function stubServer(): Promise<{ address: string; watches: { after: number }[]; watchScript: number[][]; close(): void }> {
  const services = memspaceServices();
  const server = new Server();
  const watches: { after: number }[] = [];
  const watchScript: number[][] = [];
  const bare = (code: status, details: string, metadata = new Metadata()) => ({ code, details, metadata });
  server.addService(services.Spaces.service, {
    Get: (call: ServerUnaryCall<{ space: string }, unknown>, callback: sendUnaryData<unknown>) => {
      const space = call.request.space;
      if (space === 'hang') return;
      if (space === 'unavailable') return callback(bare(status.UNAVAILABLE, 'draining'));
      if (space === 'too-big') return callback(bare(status.RESOURCE_EXHAUSTED, 'Received message larger than max (5000000 vs. 4194304)'));
      if (space === 'limited') return callback(bare(status.RESOURCE_EXHAUSTED, 'slow down'));
      if (space === 'proxy') return callback(bare(status.NOT_FOUND, 'no route'));
      if (space === 'foreign') {
        const metadata = new Metadata();
        metadata.set('grpc-status-details-bin', Buffer.from('not a google.rpc.Status'));
        return callback(bare(status.PERMISSION_DENIED, 'denied by a gateway', metadata));
      }
      callback(null, { name: space, fields: toStruct({ stats: {} }) }); // not a space as memspace describes one
    },
  });
  server.addService(services.Memories.service, {
    List: (call: ServerWritableStream<unknown, unknown>) => {
      const at = new Date(1_700_000_000_000).toISOString();
      call.write({ id: 'm1', content: 'first', tags: [], metadata: toStruct({}), kind: 'fact', importance: 0.5, created_at: at, updated_at: at });
    },
  });
  server.addService(services.Events.service, {
    Watch: (call: ServerWritableStream<{ after: number }, unknown>) => {
      watches.push({ after: call.request.after });
      const seqs = watchScript.shift();
      if (seqs === undefined) return; // hangs until cancelled
      for (const seq of seqs) call.write({ seq, op: 'memory.created', id: `m${seq}`, at: new Date(1_700_000_000_000 + seq).toISOString() });
      call.end();
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { address: `127.0.0.1:${port}`, watches, watchScript, close: () => server.forceShutdown() };
}

describe('MemspaceGrpcClient: time limits, aborts and statuses without memspace details', () => {
  let stub: Awaited<ReturnType<typeof stubServer>>;
  let odd: MemspaceGrpcClient;
  beforeAll(async () => {
    stub = await stubServer();
    odd = new MemspaceGrpcClient({ address: stub.address, timeoutMs: 5_000 });
  });
  afterAll(() => {
    odd?.close();
    stub?.close();
  });

  it('fails with BACKEND_UNAVAILABLE past its deadline: the call’s timeoutMs, the client’s, or a deadline', async () => {
    const late = await failure(odd.spaces.get('hang', { timeoutMs: 50 }), 'BACKEND_UNAVAILABLE');
    expect(late.details).toEqual({ grpcStatus: 'DEADLINE_EXCEEDED', timeoutMs: 50 });
    expect(late.message).toMatch(/did not answer Spaces\/Get/);
    const quick = new MemspaceGrpcClient({ address: stub.address, timeoutMs: 30 });
    try {
      expect((await failure(quick.spaces.get('hang'), 'BACKEND_UNAVAILABLE')).details).toMatchObject({ timeoutMs: 30 });
    } finally {
      quick.close();
    }
    await failure(odd.spaces.get('hang', { deadline: Date.now() - 1 }), 'BACKEND_UNAVAILABLE');
    await failure(collect(odd.memories.all({}, { timeoutMs: 50 })), 'BACKEND_UNAVAILABLE');
  });

  it("rejects with the signal's reason when the caller aborts, before or during a call or a stream", async () => {
    const reason = new Error('user gave up');
    await expect(odd.spaces.get('hang', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    const stop = new AbortController();
    const pending = odd.spaces.get('hang', { signal: stop.signal });
    stop.abort(reason);
    await expect(pending).rejects.toBe(reason);

    const streamStop = new AbortController();
    const got: string[] = [];
    const reading = (async () => {
      for await (const m of odd.memories.all({}, { signal: streamStop.signal })) {
        got.push(m.id);
        streamStop.abort(reason);
      }
    })();
    await expect(reading).rejects.toBe(reason);
    expect(got).toEqual(['m1']);
  });

  it('maps bare statuses to memspace codes, keeping the status; refuses a closed client', async () => {
    expect((await failure(odd.spaces.get('unavailable'), 'BACKEND_UNAVAILABLE')).details).toEqual({ grpcStatus: 'UNAVAILABLE' });
    await failure(odd.spaces.get('too-big'), 'PAYLOAD_TOO_LARGE');
    await failure(odd.spaces.get('limited'), 'QUOTA_EXCEEDED');
    expect((await failure(odd.spaces.get('proxy'), 'NOT_FOUND')).message).toMatch(/NOT_FOUND: no route/);
    await failure(odd.spaces.get('foreign'), 'FORBIDDEN');
    // A method the server does not serve, as an older server would answer.
    expect((await failure(odd.spaces.list(), 'INTERNAL')).details).toEqual({ grpcStatus: 'UNIMPLEMENTED' });
    // An answer of the wrong shape is INTERNAL, never handed on.
    expect((await failure(odd.spaces.get('odd-shape'), 'INTERNAL')).message).toMatch(/unexpected space/);
    const closed = new MemspaceGrpcClient({ address: stub.address });
    closed.close();
    closed.close();
    await failure(closed.spaces.get('x'), 'BACKEND_UNAVAILABLE');
    await failure(closed.events('s').next(), 'BACKEND_UNAVAILABLE'); // at once, not retried forever
  });

  it('fails with BACKEND_UNAVAILABLE when nothing listens, keeping the cause', async () => {
    const nowhere = new MemspaceGrpcClient({ address: '127.0.0.1:1' });
    try {
      const error = await failure(nowhere.spaces.list(), 'BACKEND_UNAVAILABLE');
      expect(error.cause).toMatchObject({ code: status.UNAVAILABLE });
    } finally {
      nowhere.close();
    }
  });

  it('watches again after a stream ends, from the last event seen: every event once, in order', async () => {
    stub.watchScript.push([1, 2], [2, 3], [4]);
    const stop = new AbortController();
    const seen: ChangeEvent[] = [];
    for await (const event of odd.events('s', { after: 0, signal: stop.signal, minBackoffMs: 1, maxBackoffMs: 2 })) {
      seen.push(event);
      if (seen.length === 4) stop.abort();
    }
    expect(seen.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(seen[0]).toEqual({ seq: 1, op: 'memory.created', id: 'm1', at: new Date(1_700_000_000_001).toISOString() });
    expect(stub.watches.map((w) => w.after)).toEqual([0, 2, 3]);
  });
});
