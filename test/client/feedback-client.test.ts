import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemspaceClient } from '../../src/client/index.js';
import { buildApp } from '../../src/server/app.js';
import { tempMemspace } from '../support/temp-memspace.js';
import { WordsEmbedder, wordsProvider } from '../support/words-embedder.js';
import { failure } from '../support/rejects-with.js';

// The feedback calls of the SDK (client.feedback, client.resetFeedback, client.rerank) against a
// listening server. The spaces embed with a bag-of-words stand-in for a model, so the rerank
// (which embeds the documents) runs without one, and equal texts tie on similarity: what orders
// them is then the feedback alone.

const words = new WordsEmbedder('openai:test-words', 64);
const embedders = wordsProvider(words);

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let baseUrl: string;
let client: MemspaceClient;

beforeAll(async () => {
  ms = await tempMemspace({ embedders });
  const root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms });
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  client = new MemspaceClient({ baseUrl, apiKey: root });
  for (const name of ['fb-a', 'fb-b']) await client.spaces.create({ name, embedder: words.id, dimension: words.dimension });
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

describe('client.feedback, client.rerank and client.resetFeedback', () => {
  it('records signals on memories, and a search weighing feedback lifts the helpful one', async () => {
    const first = await client.memories.add({ content: 'the deploy runs at night' }, { space: 'fb-a' });
    const second = await client.memories.add({ content: 'the deploy runs at night' }, { space: 'fb-a' });
    const result = await client.feedback('fb-a', {
      query: 'when does the deploy run?',
      results: [
        { id: second.id, signal: 'helpful' },
        { id: first.id, signal: 'wrong' },
      ],
    });
    expect(result.recorded).toBe(2);
    expect(result.pheromones).toEqual([
      { id: second.id, level: 1 },
      { id: first.id, level: -1 },
    ]);
    // The helpful memory's vector and the query.
    expect(result.narrative).toEqual({ updates: 2, updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) });

    const hits = await client.search({ query: 'deploy at night', mode: 'vector', rank: { feedback: 1 } }, { space: 'fb-a' });
    expect(hits.map((h) => h.memory.id)).toEqual([second.id, first.id]);
    expect(hits[0]!.scores.feedback).toBeGreaterThan(0);
    expect(hits[1]!.scores.feedback).toBeLessThan(0);
    expect((await client.spaceHealth('fb-a')).feedback).toMatchObject({ reinforced: 2 });
  });

  it('reranks documents that are not stored: similarity, then what feedback on their ids adds', async () => {
    const documents = [
      { id: 'doc-1', text: 'green tea keeps well in a tin' },
      { id: 'doc-2', text: 'green tea keeps well in a tin' },
      { id: 'doc-3', text: 'trucks need diesel' },
    ];
    const before = await client.rerank('fb-a', { query: 'how to keep green tea', documents, rank: { feedback: 1, narrative: 0 } });
    expect(before.weights).toEqual({ feedback: 1, narrative: 0 });
    expect(before.results.map((d) => d.id)).toEqual(['doc-1', 'doc-2', 'doc-3']);
    // The signals are told whatever the weights: the space's narrative (of the first test) is there, unweighted.
    expect(before.results[0]!.scores).toEqual({ similarity: expect.any(Number), feedback: 0, narrative: expect.any(Number) });

    await client.feedback('fb-a', { results: [{ id: 'doc-2', signal: 'helpful', kind: 'document', text: documents[1]!.text }] });
    const after = await client.rerank('fb-a', { query: 'how to keep green tea', documents, limit: 2, rank: { feedback: 1, narrative: 0 } });
    expect(after.results.map((d) => [d.id, d.index])).toEqual([
      ['doc-2', 1],
      ['doc-1', 0],
    ]);
    expect(after.results[0]!.score).toBeGreaterThan(after.results[1]!.score);
    expect(after.results[0]!.scores.feedback).toBeCloseTo(Math.tanh(0.5), 5);
    // Without weights of its own, a rerank applies the state at 0.5 and 0.5: the narrative too.
    expect((await client.rerank('fb-a', { query: 'tea', documents })).weights).toEqual({ feedback: 0.5, narrative: 0.5 });
  });

  it('resets what feedback taught a space, and says what it deleted', async () => {
    await client.spaces.create({ name: 'fb-reset', embedder: words.id, dimension: words.dimension });
    const memory = await client.memories.add({ content: 'lunch is at noon' }, { space: 'fb-reset' });
    await client.feedback('fb-reset', { query: 'lunch', results: [{ id: memory.id, signal: 'helpful' }], weight: 2 });
    expect(await client.resetFeedback('fb-reset')).toEqual({ pheromones: 1, narrative: true });
    expect(await client.resetFeedback('fb-reset')).toEqual({ pheromones: 0, narrative: false });
    const [hit] = await client.search({ query: 'lunch', mode: 'vector', rank: { feedback: 1 } }, { space: 'fb-reset' });
    expect(hit!.scores.feedback ?? 0).toBe(0);
  });

  it('refuses what the server refuses: a bad request is VALIDATION_FAILED, an unknown memory NOT_FOUND, and nothing is recorded', async () => {
    const memory = await client.memories.add({ content: 'a note' }, { space: 'fb-b' });
    const empty = await failure(client.feedback('fb-b', { results: [] }), 'VALIDATION_FAILED');
    expect(empty.details?.['issues']).toEqual([expect.objectContaining({ path: 'results' })]);
    await failure(client.feedback('fb-b', { results: [{ id: memory.id, signal: 'great' as 'helpful' }] }), 'VALIDATION_FAILED');
    await failure(client.feedback('fb-b', { results: [{ id: memory.id, signal: 'helpful', text: 'a memory has its own vector' }] }), 'VALIDATION_FAILED');
    await failure(client.rerank('fb-b', { query: 'x', documents: [] }), 'VALIDATION_FAILED');
    await failure(client.rerank('fb-b', { query: 'x', documents: [{ id: 'd', text: 'y' }], rank: { feedback: 0.8, narrative: 0.8 } }), 'VALIDATION_FAILED');
    const unknown = await failure(client.feedback('fb-b', { results: [{ id: memory.id, signal: 'helpful' }, { id: 'no-such-memory', signal: 'used' }] }), 'NOT_FOUND');
    expect(unknown.details).toMatchObject({ id: 'no-such-memory' });
    expect((await client.spaceHealth('fb-b')).feedback).toMatchObject({ reinforced: 0, narrativeUpdatedAt: null });
    await failure(client.feedback('..', { results: [{ id: memory.id, signal: 'used' }] }), 'INVALID_SPACE');
  });

  it('keeps spaces apart: a key of one space gets SPACE_NOT_FOUND for another, which stays as it was', async () => {
    const theirs = await client.memories.add({ content: 'their memory' }, { space: 'fb-b' });
    await client.feedback('fb-b', { query: 'theirs', results: [{ id: theirs.id, signal: 'helpful' }] });
    const healthBefore = (await client.spaceHealth('fb-b')).feedback;

    const { key } = await client.keys.create({ name: 'fb-a admin', grants: [{ space: 'fb-a', role: 'admin' }] });
    const scoped = new MemspaceClient({ baseUrl, apiKey: key });
    await failure(scoped.feedback('fb-b', { results: [{ id: theirs.id, signal: 'wrong' }] }), 'SPACE_NOT_FOUND');
    await failure(scoped.feedback('fb-b', { results: [{ id: 'some-document', signal: 'helpful', kind: 'document' }] }), 'SPACE_NOT_FOUND');
    await failure(scoped.rerank('fb-b', { query: 'their', documents: [{ id: theirs.id, text: 'their memory' }] }), 'SPACE_NOT_FOUND');
    await failure(scoped.resetFeedback('fb-b'), 'SPACE_NOT_FOUND');
    // A memory id of the other space is unknown in the key's own.
    await failure(scoped.feedback('fb-a', { results: [{ id: theirs.id, signal: 'helpful' }] }), 'NOT_FOUND');
    expect((await scoped.rerank('fb-a', { query: 'x', documents: [{ id: theirs.id, text: 'their memory' }], rank: { feedback: 1 } })).results[0]!.scores.feedback).toBe(0);

    expect(healthBefore).toMatchObject({ reinforced: 1, narrativeUpdatedAt: expect.any(String) });
    expect((await client.spaceHealth('fb-b')).feedback).toMatchObject({ reinforced: 1, narrativeUpdatedAt: healthBefore!.narrativeUpdatedAt });
  });
});
