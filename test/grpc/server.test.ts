import { type Client, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemspaceEngine } from '../../src/memspace.js';
import { buildGrpcServer, type MemspaceGrpcServer } from '../../src/grpc/grpc-server.js';
import { fromStruct, type ProtoStruct, toStruct } from '../../src/wire/struct.js';
import { startFakeReranker, type RerankAnswer, type SeenRerank } from '../support/fake-reranker.js';
import { failure, fieldsOf, type GrpcTestClients, grpcTestClients, type Json } from '../support/grpc.js';
import { axisVector, tempMemspace } from '../support/temp-memspace.js';

/**
 * The gRPC front end from a real `@grpc/grpc-js` client over a listening socket: the Spaces and
 * Memories methods, the REST security model (keys in metadata, the space from the field or the
 * `x-memory-space` metadata, scoped keys blind to other spaces), errors as statuses with
 * memspace's code in an ErrorInfo, and the cross-space attack cases.
 */

const DIM = 4;
const v = (axis: number): number[] => axisVector(DIM, axis);

let ms: MemspaceEngine & { cleanup(): Promise<void> };
let server: MemspaceGrpcServer;
let spaces: Client;
let memories: Client;
let clients: GrpcTestClients;
let root: string;
let scoped: string;

const rpc = (client: Client, method: string, request: Json, key: string | null = root, extra: Record<string, string> = {}): Promise<Json> => clients.rpc(client, method, request, key, extra);
const streamed = (method: string, request: Json, key = root): Promise<Json[]> => clients.streamed(memories, method, request, key);

beforeAll(async () => {
  ms = await tempMemspace();
  root = (await ms.keys.ensureRootKey())!;
  for (const name of ['alpha', 'beta']) await ms.spaces.create({ name, embedder: 'none', dimension: DIM });
  scoped = (await ms.keys.create({ name: 'beta reader', grants: [{ space: 'beta', role: 'write' }], defaultSpace: 'beta' })).key;
  server = buildGrpcServer({ memspace: ms });
  const port = await server.listen('127.0.0.1', 0);
  clients = grpcTestClients(`127.0.0.1:${port}`);
  ({ spaces, memories } = clients);
});

afterAll(async () => {
  clients?.close();
  await server?.close();
  await ms?.cleanup();
});

describe('gRPC: spaces', () => {
  it('creates, gets, lists, updates, checks and deletes a space', async () => {
    const created = await rpc(spaces, 'Create', { name: 'Gamma', description: 'a test space', embedder: 'none', dimension: DIM, settings: null });
    expect(created['name']).toBe('Gamma');
    expect(fieldsOf(created)).toMatchObject({ description: 'a test space', dimension: DIM });
    expect((await rpc(spaces, 'Get', { space: 'gamma' }))['name']).toBe('Gamma');
    const listed = await rpc(spaces, 'List', { limit: 100 });
    expect((listed['spaces'] as Json[]).map((s) => s['name'])).toEqual(expect.arrayContaining(['alpha', 'beta', 'Gamma']));
    const updated = await rpc(spaces, 'Update', { space: 'Gamma', changes: { fields: { description: { stringValue: 'changed' } } } });
    expect(fieldsOf(updated)['description']).toBe('changed');
    expect(fromStruct((await rpc(spaces, 'Health', { space: 'Gamma' })) as ProtoStruct)).toMatchObject({ memories: 0 });
    expect(await rpc(spaces, 'Delete', { space: 'Gamma' })).toEqual({ deleted: 1 });
    expect(await failure(rpc(spaces, 'Get', { space: 'Gamma' }))).toMatchObject({ code: status.NOT_FOUND, reason: 'SPACE_NOT_FOUND' });
  });

  it('answers bad input with INVALID_ARGUMENT or ALREADY_EXISTS and memspace’s code, never INTERNAL', async () => {
    expect(await failure(rpc(spaces, 'Create', { name: '../x', embedder: 'none', dimension: DIM }))).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(await failure(rpc(spaces, 'Create', { name: 'alpha', embedder: 'none', dimension: DIM }))).toMatchObject({ code: status.ALREADY_EXISTS, reason: 'CONFLICT' });
    expect(await failure(rpc(spaces, 'Update', { space: 'alpha', changes: { fields: { retentionDays: { stringValue: 'soon' } } } }))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      reason: 'VALIDATION_FAILED',
    });
  });

  it('refuses calls without a valid key as UNAUTHENTICATED', async () => {
    expect(await failure(rpc(spaces, 'List', {}, null))).toMatchObject({ code: status.UNAUTHENTICATED, reason: 'UNAUTHENTICATED' });
    expect(await failure(rpc(spaces, 'List', {}, 'msk_not_a_key'))).toMatchObject({ code: status.UNAUTHENTICATED });
  });
});

describe('gRPC: memories', () => {
  it('adds, gets, updates, searches, lists, tells the history of and deletes memories', async () => {
    // A space of its own, so the listing below holds this test's memories only, whatever ran before.
    await ms.spaces.create({ name: 'animals', embedder: 'none', dimension: DIM });
    const added = await rpc(memories, 'Add', { space: 'animals', content: 'the cat sat', tags: ['pets'], metadata: { fields: { n: { numberValue: 1 } } }, embedding: v(0), id: 'cat' });
    expect(added).toMatchObject({ id: 'cat', content: 'the cat sat' });
    expect(added).toMatchObject({ tags: ['pets'], kind: 'fact', importance: expect.any(Number), access_count: 0, created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) });
    expect(fromStruct(added['metadata'] as ProtoStruct)).toEqual({ n: 1 });
    // What is null over REST is an empty string here.
    expect(added).toMatchObject({ user_id: '', expires_at: '' });
    const view = await ms.memories.get('animals', 'cat');
    expect(added['updated_at']).toBe(view.updatedAt);
    const batch = await rpc(memories, 'BatchAdd', {
      space: 'animals',
      memories: [
        { content: 'a dog barked', embedding: v(1), fields: { fields: { userId: { stringValue: 'u1' } } } },
        { content: 'a bird sang', embedding: v(2) },
      ],
    });
    expect((batch['memories'] as Json[]).map((m) => m['content'])).toEqual(['a dog barked', 'a bird sang']);
    expect((batch['memories'] as Json[]).map((m) => m['user_id'])).toEqual(['u1', '']);
    expect((await rpc(memories, 'Get', { space: 'animals', id: 'cat' }))['content']).toBe('the cat sat');
    const updated = await rpc(memories, 'Update', { space: 'animals', id: 'cat', changes: { fields: { content: { stringValue: 'the cat slept' } } }, embedding: v(0) });
    expect(updated['content']).toBe('the cat slept');
    const found = await rpc(memories, 'Search', { space: 'animals', embedding: v(0), mode: 'vector', limit: 2 });
    const results = found['results'] as Json[];
    expect((results[0]!['memory'] as Json)['id']).toBe('cat');
    expect(results[0]!['score']).toBeGreaterThan(0.9);
    expect((results[0]!['scores'] as Json)['vector']).toBeGreaterThan(0.9);
    expect((await streamed('List', { space: 'animals' })).map((m) => m['content'])).toEqual(['the cat slept', 'a dog barked', 'a bird sang']);
    const history = (await rpc(memories, 'History', { space: 'animals', id: 'cat' }))['entries'] as ProtoStruct[];
    expect(history.map((e) => fromStruct(e)!['action'])).toEqual(['create', 'update']);
    expect(await rpc(memories, 'Delete', { space: 'animals', id: 'cat' })).toEqual({ deleted: 1 });
    expect(await failure(rpc(memories, 'Get', { space: 'animals', id: 'cat' }))).toMatchObject({ code: status.NOT_FOUND, reason: 'NOT_FOUND' });
  });

  it('streams a whole space across the listing pages, oldest first', async () => {
    await rpc(spaces, 'Create', { name: 'big', embedder: 'none', dimension: DIM });
    const batch = Array.from({ length: 1_200 }, (_, i) => ({ content: `note ${i}`, embedding: v(i), id: `n${String(i).padStart(4, '0')}` }));
    await rpc(memories, 'BatchAdd', { space: 'big', memories: batch });
    const listed = await streamed('List', { space: 'big' });
    expect(listed.map((m) => m['id'])).toEqual(batch.map((m) => m.id));
    const filtered = await streamed('List', { space: 'big', filter: { fields: { id: { stringValue: 'n0007' } } } });
    expect(filtered.map((m) => m['content'])).toEqual(['note 7']);
  });

  it('answers bad input with its code and writes nothing: wrong dimension, duplicate id, an empty batch', async () => {
    expect(await failure(rpc(memories, 'Add', { space: 'alpha', content: 'short', embedding: [1, 0] }))).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'DIMENSION_MISMATCH' });
    await rpc(memories, 'Add', { space: 'alpha', content: 'first', embedding: v(3), id: 'dup' });
    const batch = { space: 'alpha', memories: [{ content: 'new', embedding: v(1), id: 'fresh' }, { content: 'again', embedding: v(1), id: 'dup' }] };
    expect(await failure(rpc(memories, 'BatchAdd', batch))).toMatchObject({ code: status.ALREADY_EXISTS, reason: 'CONFLICT' });
    expect(await failure(rpc(memories, 'Get', { space: 'alpha', id: 'fresh' }))).toMatchObject({ code: status.NOT_FOUND });
    expect(await failure(rpc(memories, 'BatchAdd', { space: 'alpha', memories: [] }))).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'VALIDATION_FAILED' });
  });
});

describe('gRPC: isolation between spaces', () => {
  beforeAll(async () => {
    await rpc(memories, 'Add', { space: 'alpha', content: 'alpha secret plan', embedding: v(0), id: 'shared' });
    await rpc(memories, 'Add', { space: 'beta', content: 'beta public note', embedding: v(0), id: 'shared' });
  });

  it('refuses a space field and metadata naming different spaces, and hostile names', async () => {
    const conflict = await failure(rpc(memories, 'Get', { space: 'alpha', id: 'shared' }, root, { 'x-memory-space': 'beta' }));
    expect(conflict).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'SPACE_CONFLICT' });
    expect((await rpc(memories, 'Get', { space: '', id: 'shared' }, root, { 'x-memory-space': 'BETA' }))['content']).toBe('beta public note');
    for (const name of ['../alpha', 'alpha/x', '%2e%2e', 'alpha\u0000']) {
      expect(await failure(rpc(memories, 'Get', { space: name, id: 'shared' })), name).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'INVALID_SPACE' });
    }
  });

  it('a key scoped to beta sees beta only: other spaces are NOT_FOUND like missing ones, on every method', async () => {
    expect((await rpc(memories, 'Get', { space: '', id: 'shared' }, scoped))['content']).toBe('beta public note'); // its default space
    const attempts: [Client, string, Json][] = [
      [memories, 'Get', { space: 'alpha', id: 'shared' }],
      [memories, 'Add', { space: 'alpha', content: 'planted', embedding: v(1) }],
      [memories, 'Update', { space: 'alpha', id: 'shared', changes: { fields: { content: { stringValue: 'changed' } } } }],
      [memories, 'Delete', { space: 'alpha', id: 'shared' }],
      [memories, 'Search', { space: 'alpha', embedding: v(0), mode: 'vector' }],
      [memories, 'History', { space: 'alpha', id: 'shared' }],
      [spaces, 'Get', { space: 'alpha' }],
      [spaces, 'Delete', { space: 'alpha' }],
    ];
    for (const [client, method, request] of attempts) {
      const f = await failure(rpc(client, method, request, scoped));
      expect([status.NOT_FOUND, status.PERMISSION_DENIED], method).toContain(f.code);
      expect(f.message, method).not.toContain('secret');
    }
    await expect(streamed('List', { space: 'alpha' }, scoped)).rejects.toMatchObject({ code: status.NOT_FOUND });
    const listed = (await rpc(spaces, 'List', {}, scoped))['spaces'] as Json[];
    expect(listed.map((s) => s['name'])).toEqual(['beta']);
    expect((await rpc(memories, 'Get', { space: 'alpha', id: 'shared' }))['content']).toBe('alpha secret plan'); // untouched
  });

  it('audits as REST does: a mutation with the key as actor, a refusal with the method that was refused', async () => {
    const scopedId = (await ms.keys.list()).find((k) => k.name === 'beta reader')!.id;
    const added = await rpc(memories, 'Add', { space: 'beta', content: 'audited over gRPC', embedding: v(2) }, scoped);
    const beta = (await ms.spaces.audit('beta', { limit: 100 })).items;
    // Found by its id, not as the newest entry, so what other tests wrote in beta does not matter.
    expect(beta.filter((e) => e.ids.includes(added['id'] as string))).toEqual([expect.objectContaining({ action: 'memory.create', actor: scopedId })]);
    // Refusals are counted per (key, space, method, code) and written as one entry, so one made in
    // a space of this test's own is the only entry of that trail, whatever the other tests refused.
    await ms.spaces.create({ name: 'audited', embedder: 'none', dimension: DIM });
    await failure(rpc(memories, 'Delete', { space: 'audited', id: 'anything' }, scoped));
    const denied = (await ms.spaces.audit('audited', { action: 'request.denied' })).items;
    expect(denied).toEqual([
      expect.objectContaining({ action: 'request.denied', actor: scopedId, details: expect.objectContaining({ rpc: 'memspace.v1.Memories/Delete', code: 'SPACE_NOT_FOUND', count: 1 }) }),
    ]);
  });

  it('never returns another space’s memory from search or listing, with the same id and text, and returns the space its own', async () => {
    for (const mode of ['vector', 'keyword', 'hybrid']) {
      // "note" is in beta's own memory, so each mode has beta's memory to find.
      const found = await rpc(memories, 'Search', { space: 'beta', query: 'alpha secret plan note', embedding: v(0), mode, limit: 50 });
      expect((found['results'] as Json[]).map((h) => (h['memory'] as Json)['content']), mode).toContain('beta public note');
      expect(JSON.stringify(found), mode).not.toContain('alpha secret');
    }
    const listed = await streamed('List', { space: 'beta' });
    expect(listed.map((m) => m['content'])).toContain('beta public note');
    expect(JSON.stringify(listed)).not.toContain('alpha secret');
  });
});

describe('gRPC: search signals', () => {
  it('lifts run neighbours and dated memories, and takes neighbors and dates off in the options', async () => {
    await ms.spaces.create({ name: 'chat', embedder: 'none', dimension: DIM });
    await ms.memories.addMany('chat', [
      { content: 'Sam: which band played the party?', embedding: v(0), runId: 'party', metadata: { date: '2023-05-20' } },
      { content: 'Kim: Matt Patterson', embedding: v(1), runId: 'party' },
    ]);
    const search = async (options: Json) => {
      const found = await rpc(memories, 'Search', { space: 'chat', query: 'the party in May 2023', embedding: v(0), mode: 'vector', limit: 2, options: toStruct(options) });
      return (found['results'] as Json[]).map((h) => h['scores'] as Json);
    };
    const [first, second] = await search({});
    expect(first).toMatchObject({ date: 0.2 });
    expect(second).toMatchObject({ neighbor: expect.any(Number) });
    expect((await search({ neighbors: false, dates: false })).some((scores) => 'neighbor' in scores || 'date' in scores)).toBe(false);
  });
});

describe('gRPC: search with rerank', () => {
  it('takes rerank in the options: the reranker orders the hits and its score shows in scores; its failure is UNAVAILABLE', async () => {
    let answer: (r: SeenRerank) => RerankAnswer = (r) => r.documents.map((d) => (d.includes('bird') ? 0.9 : 0.2));
    const reranker = await startFakeReranker((r) => answer(r));
    const own = await tempMemspace({ config: { rerankBaseUrl: reranker.url, rerankModel: 'fake-reranker' } });
    const ownServer = buildGrpcServer({ memspace: own, auth: false });
    const ownClients = grpcTestClients(`127.0.0.1:${await ownServer.listen('127.0.0.1', 0)}`);
    try {
      await own.spaces.create({ name: 'animals', embedder: 'none', dimension: DIM });
      for (const [content, axis] of [['the cat sat', 0], ['a dog barked', 1], ['a bird sang', 2]] as const) await own.memories.add('animals', { content, embedding: v(axis) });
      const search = { space: 'animals', query: 'which animal?', embedding: v(0), mode: 'vector', limit: 2, options: toStruct({ rerank: true }) };
      const results = (await ownClients.rpc(ownClients.memories, 'Search', search, null))['results'] as Json[];
      expect(results.map((r) => [(r['memory'] as Json)['content'], r['score']])).toEqual([
        ['a bird sang', 0.9],
        ['the cat sat', 0.2],
      ]);
      expect(results[0]!['scores']).toMatchObject({ rerank: 0.9, relevance: expect.any(Number), vector: expect.any(Number) });
      expect(reranker.requests.map((r) => r.query)).toEqual(['which animal?']);
      answer = () => 500;
      expect(await failure(ownClients.rpc(ownClients.memories, 'Search', search, null))).toMatchObject({ code: status.UNAVAILABLE, reason: 'BACKEND_UNAVAILABLE' });
    } finally {
      ownClients.close();
      await ownServer.close();
      await own.cleanup();
      await reranker.close();
    }
  });
});

describe('gRPC: failures that are not the caller’s', () => {
  it('answers INTERNAL without the cause, and tells the server’s log what it was', async () => {
    const heard: [unknown, string][] = [];
    const broken = { spaces: { get: () => Promise.reject(new Error('disk on fire at /var/lib/secret')) } } as unknown as MemspaceEngine;
    const other = buildGrpcServer({ memspace: broken, auth: false, onInternalError: (error, rpc) => heard.push([error, rpc]) });
    const clients = grpcTestClients(`127.0.0.1:${await other.listen('127.0.0.1', 0)}`);
    try {
      const f = await failure(clients.rpc(clients.spaces, 'Get', { space: 'alpha' }, null));
      expect(f).toMatchObject({ code: status.INTERNAL, reason: 'INTERNAL', message: 'internal error' });
      expect(heard.map(([error, rpc]) => [(error as Error).message, rpc])).toEqual([['disk on fire at /var/lib/secret', 'memspace.v1.Spaces/Get']]);
    } finally {
      clients.close();
      await other.close();
    }
  });
});
