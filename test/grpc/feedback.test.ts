import { type Client, credentials, type ServiceError, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemspaceGrpcClient } from '../../src/client/grpc-client.js';
import { MemspaceError } from '../../src/core/errors.js';
import { buildGrpcServer, type MemspaceGrpcServer } from '../../src/grpc/grpc-server.js';
import { memspaceServices } from '../../src/wire/proto.js';
import { fromStruct, type ProtoStruct, toStruct } from '../../src/wire/struct.js';
import { failure, grpcMetadata, type GrpcTestClients, grpcTestClients, type Json } from '../support/grpc.js';
import { tempMemspace } from '../support/temp-memspace.js';
import { WordsEmbedder, wordsProvider } from '../support/words-embedder.js';

/**
 * `memspace.v1.Feedback` (Record, Reset, Rerank) from a real `@grpc/grpc-js` client, and the
 * gRPC client's `feedback`, `resetFeedback` and `rerank`: the REST answers as Structs, errors as
 * statuses with memspace's code, and a key of one space blind to the others. The spaces embed
 * with a bag-of-words stand-in for a model, so equal texts tie on similarity and feedback alone
 * orders them.
 */

const words = new WordsEmbedder('openai:test-words', 64);
const embedders = wordsProvider(words);

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let server: MemspaceGrpcServer;
let address: string;
let clients: GrpcTestClients;
let feedback: Client;
let root: string;
/** write and admin in alpha only */
let alphaKey: string;

/** A unary call of the Feedback service; the answer's Struct as JSON. */
function call(method: string, request: Json, key: string | null = root, extra: Record<string, string> = {}): Promise<Json> {
  return new Promise((resolve, reject) => {
    const fn = (feedback as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!.bind(feedback);
    fn(request, grpcMetadata(key, extra), (error: ServiceError | null, response: ProtoStruct) => (error === null ? resolve(fromStruct(response) ?? {}) : reject(error)));
  });
}

beforeAll(async () => {
  ms = await tempMemspace({ embedders });
  root = (await ms.keys.ensureRootKey())!;
  for (const name of ['alpha', 'beta']) await ms.spaces.create({ name, embedder: words.id, dimension: words.dimension });
  alphaKey = (await ms.keys.create({ name: 'alpha admin', grants: [{ space: 'alpha', role: 'admin' }], defaultSpace: 'alpha' })).key;
  server = buildGrpcServer({ memspace: ms });
  address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
  clients = grpcTestClients(address);
  feedback = new (memspaceServices().Feedback)(address, credentials.createInsecure());
});
afterAll(async () => {
  feedback?.close();
  clients?.close();
  await server?.close();
  await ms?.cleanup();
});

describe('gRPC Feedback', () => {
  it('records signals, answers the REST body, and a search weighing feedback lifts the helpful memory', async () => {
    const [first, second] = await ms.memories.addMany('alpha', [{ content: 'the deploy runs at night' }, { content: 'the deploy runs at night' }]);
    const recorded = await call('Record', {
      space: 'alpha',
      query: 'when is the deploy?',
      results: [
        { id: second!.id, signal: 'helpful' },
        { id: first!.id, signal: 'wrong', kind: 'memory' },
      ],
    });
    expect(recorded).toEqual({
      recorded: 2,
      pheromones: [
        { id: second!.id, level: 1 },
        { id: first!.id, level: -1 },
      ],
      narrative: { updates: 2, updatedAt: expect.stringMatching(/Z$/) },
    });
    const found = await clients.rpc(clients.memories, 'Search', { space: 'alpha', query: 'deploy', mode: 'vector', options: toStruct({ rank: { feedback: 1 } }) }, root);
    const results = found['results'] as Json[];
    expect(results.map((h) => (h['memory'] as Json)['id'])).toEqual([second!.id, first!.id]);
    expect((results[0]!['scores'] as Json)['feedback']).toBeGreaterThan(0);
    // The weight (used: 0.5 a time, lifting the wrong one's -1 to 0), and no narrative when nothing helpful came.
    expect(await call('Record', { space: 'alpha', results: [{ id: first!.id, signal: 'used' }], weight: 2 })).toMatchObject({ pheromones: [{ id: first!.id, level: expect.closeTo(0, 3) }], narrative: null });
  });

  it('reranks documents with the feedback on their ids; rank travels in the options', async () => {
    const documents = [
      { id: 'doc-1', text: 'keep green tea in a dark tin' },
      { id: 'doc-2', text: 'keep green tea in a dark tin' },
      { id: 'doc-3', text: 'diesel prices rose' },
    ];
    const rerank = { space: 'alpha', query: 'how to store green tea', documents, options: toStruct({ rank: { feedback: 1 } }) };
    expect(((await call('Rerank', rerank))['results'] as Json[]).map((d) => d['id'])).toEqual(['doc-1', 'doc-2', 'doc-3']);
    await call('Record', { space: 'alpha', results: [{ id: 'doc-2', signal: 'helpful', kind: 'document', text: 'keep green tea in a dark tin' }] });
    const after = await call('Rerank', { ...rerank, limit: 2 });
    expect((after['results'] as Json[]).map((d) => [d['id'], d['index']])).toEqual([
      ['doc-2', 1],
      ['doc-1', 0],
    ]);
    expect(after['weights']).toEqual({ feedback: 1, narrative: 0 });
    expect((after['results'] as Json[])[0]!['scores']).toEqual({ similarity: expect.any(Number), feedback: expect.closeTo(Math.tanh(0.5), 5), narrative: expect.any(Number) });
  });

  it('resets a space\'s feedback (admin), and the x-memory-space metadata names the space as over REST', async () => {
    await ms.spaces.create({ name: 'gamma', embedder: words.id, dimension: words.dimension });
    const memory = await ms.memories.add('gamma', { content: 'lunch is at noon' });
    await call('Record', { space: '', query: 'lunch', results: [{ id: memory.id, signal: 'helpful' }] }, root, { 'x-memory-space': 'gamma' });
    expect(await call('Reset', { space: 'gamma' })).toEqual({ pheromones: 1, narrative: true });
    expect(await call('Reset', { space: '' }, root, { 'x-memory-space': 'gamma' })).toEqual({ pheromones: 0, narrative: false });
  });

  it('answers invalid arguments with INVALID_ARGUMENT and memspace\'s code, an unknown memory with NOT_FOUND; nothing is recorded', async () => {
    await ms.spaces.create({ name: 'delta', embedder: words.id, dimension: words.dimension });
    const memory = await ms.memories.add('delta', { content: 'a note' });
    const invalid = { code: status.INVALID_ARGUMENT, reason: 'VALIDATION_FAILED' };
    expect(await failure(call('Record', { space: 'delta', results: [] }))).toMatchObject(invalid);
    expect(await failure(call('Record', { space: 'delta', results: [{ id: memory.id, signal: 'great' }] }))).toMatchObject(invalid);
    expect(await failure(call('Record', { space: 'delta', results: [{ id: memory.id, signal: 'used' }], weight: -1 }))).toMatchObject(invalid);
    expect(await failure(call('Record', { space: 'delta', results: [{ id: memory.id, signal: 'used', text: 'a memory has its own vector' }] }))).toMatchObject(invalid);
    expect(await failure(call('Rerank', { space: 'delta', query: 'x', documents: [] }))).toMatchObject(invalid);
    expect(await failure(call('Rerank', { space: 'delta', query: '', documents: [{ id: 'a', text: 'b' }] }))).toMatchObject(invalid);
    expect(await failure(call('Rerank', { space: 'delta', query: 'x', documents: [{ id: 'a', text: 'b' }], options: toStruct({ rank: { feedback: 0.9, narrative: 0.9 } }) }))).toMatchObject(invalid);
    expect(await failure(call('Record', { space: '../delta', results: [{ id: memory.id, signal: 'used' }] }))).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'INVALID_SPACE' });
    const unknown = await failure(call('Record', { space: 'delta', results: [{ id: memory.id, signal: 'used' }, { id: 'nope', signal: 'used' }] }));
    expect(unknown).toMatchObject({ code: status.NOT_FOUND, reason: 'NOT_FOUND' });
    expect((await ms.health.spaceHealth('delta')).feedback).toMatchObject({ reinforced: 0, narrativeUpdatedAt: null });
  });

  it('keeps spaces apart: a key of alpha gets NOT_FOUND for beta on every method, and beta is left as it was', async () => {
    const theirs = await ms.memories.add('beta', { content: 'beta only' });
    await call('Record', { space: 'beta', query: 'beta', results: [{ id: theirs.id, signal: 'helpful' }] });
    const before = (await ms.health.spaceHealth('beta')).feedback!;

    const attempts: [string, Json][] = [
      ['Record', { space: 'beta', results: [{ id: theirs.id, signal: 'wrong' }] }],
      ['Record', { space: 'beta', results: [{ id: 'doc-9', signal: 'helpful', kind: 'document' }] }],
      ['Reset', { space: 'beta' }],
      ['Rerank', { space: 'beta', query: 'beta', documents: [{ id: theirs.id, text: 'beta only' }] }],
    ];
    for (const [method, request] of attempts) expect(await failure(call(method, request, alphaKey)), method).toMatchObject({ code: status.NOT_FOUND, reason: 'SPACE_NOT_FOUND' });
    expect(await failure(call('Record', { space: '', results: [{ id: theirs.id, signal: 'wrong' }] }, alphaKey, { 'x-memory-space': 'beta' }))).toMatchObject({ reason: 'SPACE_NOT_FOUND' });
    // In its own space (its default), beta's memory id is unknown.
    expect(await failure(call('Record', { space: '', results: [{ id: theirs.id, signal: 'wrong' }] }, alphaKey))).toMatchObject({ code: status.NOT_FOUND, reason: 'NOT_FOUND' });
    expect(await failure(call('Reset', { space: 'beta' }, null))).toMatchObject({ code: status.UNAUTHENTICATED });

    const after = (await ms.health.spaceHealth('beta')).feedback!;
    expect([after.reinforced, after.narrativeUpdatedAt]).toEqual([before.reinforced, before.narrativeUpdatedAt]);
    expect(before.reinforced).toBe(1);
  });
});

describe('the gRPC client\'s feedback calls', () => {
  it('feedback, rerank and resetFeedback as the HTTP client has them, failures as MemspaceErrors', async () => {
    const client = new MemspaceGrpcClient({ address, apiKey: root });
    const scoped = new MemspaceGrpcClient({ address, apiKey: alphaKey });
    try {
      await client.spaces.create({ name: 'epsilon', embedder: words.id, dimension: words.dimension });
      const memory = await client.memories.add({ content: 'standup at half past nine' }, { space: 'epsilon' });
      const given = await client.feedback('epsilon', { query: 'standup', results: [{ id: memory.id, signal: 'helpful' }], weight: 3 });
      expect(given).toEqual({ recorded: 1, pheromones: [{ id: memory.id, level: 3 }], narrative: { updates: 2, updatedAt: expect.any(String) } });
      const documents = [
        { id: 'a', text: 'standup moved to ten' },
        { id: memory.id, text: 'standup at half past nine' },
      ];
      const ranked = await client.rerank('epsilon', { query: 'when is standup', documents, limit: 1, rank: { feedback: 1 } });
      expect(ranked.results.map((d) => d.id)).toEqual([memory.id]);
      expect(ranked.weights).toEqual({ feedback: 1, narrative: 0 });

      // Values a typed field cannot carry travel in the options and get the error REST gives.
      for (const input of [{ results: [{ id: memory.id, signal: 'used' as const }], weight: 0 }, { results: [{ id: memory.id, signal: 'used' as const, kind: '' as 'memory' }] }, { query: '', results: [{ id: memory.id, signal: 'used' as const }] }]) {
        await expect(client.feedback('epsilon', input), JSON.stringify(input)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      }
      await expect(client.rerank('epsilon', { query: 'x', documents, limit: 0 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      const refused = await scoped.feedback('epsilon', { results: [{ id: memory.id, signal: 'wrong' }] }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(MemspaceError);
      expect(refused).toMatchObject({ code: 'SPACE_NOT_FOUND' });
      await expect(scoped.resetFeedback('epsilon')).rejects.toMatchObject({ code: 'SPACE_NOT_FOUND' });
      await expect(scoped.rerank('epsilon', { query: 'x', documents })).rejects.toMatchObject({ code: 'SPACE_NOT_FOUND' });
      await expect(client.feedback('', { results: [{ id: memory.id, signal: 'used' }] })).rejects.toMatchObject({ code: 'INVALID_SPACE' });

      expect(await client.resetFeedback('epsilon')).toEqual({ pheromones: 1, narrative: true });
    } finally {
      client.close();
      scoped.close();
    }
  });
});
