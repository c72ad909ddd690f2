import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedbackResult, RerankResult } from '../../src/core/feedback-api.js';
import type { Memory, SearchHit } from '../../src/core/views.js';
import { LOCAL_PRINCIPAL } from '../../src/engine/access-guard.js';
import { connectHttp, fails, listenApp, ok, type ListeningApp } from '../support/mcp.js';
import { tempMemspace } from '../support/temp-memspace.js';
import { WordsEmbedder, wordsProvider } from '../support/words-embedder.js';

// give_feedback and rerank_documents over Streamable HTTP. The spaces embed with a bag-of-words
// stand-in for a model, so documents are embedded without one, and equal texts tie on
// similarity: what orders them is then the feedback alone.

const words = new WordsEmbedder('openai:test-words', 64);
const embedders = wordsProvider(words);

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let server: ListeningApp;
let root: string;
const clients: Client[] = [];

beforeAll(async () => {
  ms = await tempMemspace({ embedders });
  root = (await ms.keys.ensureRootKey())!;
  for (const name of ['alpha', 'beta']) await ms.spaces.create({ name, embedder: words.id, dimension: words.dimension });
  server = await listenApp(ms);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server.close();
  await ms.cleanup();
});

async function session(key: string, space: string): Promise<Client> {
  const { client } = await connectHttp(server.mcpUrl, key, space);
  clients.push(client);
  return client;
}

describe('MCP give_feedback and rerank_documents', () => {
  it('lists both tools: give_feedback writes, rerank_documents only reads', async () => {
    const { tools } = await (await session(root, 'alpha')).listTools();
    const give = tools.find((t) => t.name === 'give_feedback')!;
    expect(give.inputSchema.required).toEqual(['results']);
    expect(Object.keys(give.inputSchema.properties ?? {})).toEqual(['query', 'results', 'weight']);
    expect(give.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    const rerank = tools.find((t) => t.name === 'rerank_documents')!;
    expect(rerank.inputSchema.required).toEqual(['query', 'documents']);
    expect(rerank.annotations).toMatchObject({ readOnlyHint: true });
  });

  it('records feedback on memories; a search weighing it lifts the helpful one', async () => {
    const client = await session(root, 'alpha');
    const first = await ok<Memory>(client, 'add_memory', { content: 'standup is at half past nine' });
    const second = await ok<Memory>(client, 'add_memory', { content: 'standup is at half past nine' });
    const given = await ok<FeedbackResult>(client, 'give_feedback', {
      query: 'when is standup?',
      results: [
        { id: second.id, signal: 'helpful' },
        { id: first.id, signal: 'wrong' },
      ],
    });
    expect(given).toEqual({
      recorded: 2,
      pheromones: [
        { id: second.id, level: 1 },
        { id: first.id, level: -1 },
      ],
      narrative: { updates: 2, updatedAt: expect.any(String) },
    });
    const { results } = await ok<{ results: SearchHit[] }>(client, 'search_memories', { query: 'standup', mode: 'vector', rank: { feedback: 1 } });
    expect(results.map((h) => h.memory.id)).toEqual([second.id, first.id]);
    expect(results[0]!.scores.feedback).toBeGreaterThan(0);
  });

  it('reranks documents with the feedback given on their ids', async () => {
    const client = await session(root, 'alpha');
    const documents = [
      { id: 'doc-1', text: 'keep green tea in a dark tin' },
      { id: 'doc-2', text: 'keep green tea in a dark tin' },
      { id: 'doc-3', text: 'diesel prices rose' },
    ];
    const ask = { query: 'how to store green tea', documents, rank: { feedback: 1 } };
    expect((await ok<RerankResult>(client, 'rerank_documents', ask)).results.map((d) => d.id)).toEqual(['doc-1', 'doc-2', 'doc-3']);
    await ok(client, 'give_feedback', { results: [{ id: 'doc-2', signal: 'helpful', kind: 'document', text: 'keep green tea in a dark tin' }] });
    const after = await ok<RerankResult>(client, 'rerank_documents', { ...ask, limit: 2 });
    expect(after.results.map((d) => [d.id, d.index])).toEqual([
      ['doc-2', 1],
      ['doc-1', 0],
    ]);
    expect(after.weights).toEqual({ feedback: 1, narrative: 0 });
  });

  it('answers bad arguments with tool errors: VALIDATION_FAILED, NOT_FOUND for an unknown memory; nothing recorded', async () => {
    await ms.spaces.create({ name: 'gamma', embedder: words.id, dimension: words.dimension });
    const client = await session(root, 'gamma');
    const memory = await ok<Memory>(client, 'add_memory', { content: 'a note' });
    expect((await fails(client, 'give_feedback', { results: [] })).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'give_feedback', {})).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'give_feedback', { results: [{ id: memory.id, signal: 'great' }] })).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'give_feedback', { results: [{ id: memory.id, signal: 'used' }], weight: 0 })).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'give_feedback', { results: [{ id: memory.id, signal: 'used', text: 'memories have their own' }] })).code).toBe('VALIDATION_FAILED');
    expect(await fails(client, 'give_feedback', { results: [{ id: memory.id, signal: 'used' }, { id: 'nope', signal: 'used' }] })).toMatchObject({ code: 'NOT_FOUND', details: { id: 'nope' } });
    expect((await fails(client, 'rerank_documents', { query: 'x', documents: [] })).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'rerank_documents', { query: 'x', documents: [{ id: 'a', text: 'b' }], rank: { feedback: 0.9, narrative: 0.9 } })).code).toBe('VALIDATION_FAILED');
    expect((await ms.health.spaceHealth('gamma')).feedback).toMatchObject({ reinforced: 0, narrativeUpdatedAt: null });
  });

  it('keeps a session to its space: an id of another space is NOT_FOUND, a space argument refused, the other space unchanged', async () => {
    const alpha = await session(root, 'alpha');
    const theirs = await ok<Memory>(alpha, 'add_memory', { content: 'alpha only' });
    const before = await ms.health.spaceHealth('alpha');
    const keyB = (await ms.keys.create({ name: 'b', grants: [{ space: 'beta', role: 'write' }] }, { principal: LOCAL_PRINCIPAL })).key;
    const beta = await session(keyB, 'beta');

    expect(await fails(beta, 'give_feedback', { results: [{ id: theirs.id, signal: 'wrong' }] })).toMatchObject({ code: 'NOT_FOUND', details: { id: theirs.id } });
    expect((await fails(beta, 'give_feedback', { space: 'alpha', results: [{ id: theirs.id, signal: 'wrong' }] })).code).toBe('VALIDATION_FAILED');
    expect((await fails(beta, 'rerank_documents', { space: 'alpha', query: 'x', documents: [{ id: 'doc-2', text: 'tea' }] })).code).toBe('VALIDATION_FAILED');
    // Feedback on a document id lands in the session's space alone.
    await ok(beta, 'give_feedback', { results: [{ id: 'doc-1', signal: 'helpful', kind: 'document' }], weight: 10 });
    const seenFromAlpha = await ok<RerankResult>(alpha, 'rerank_documents', { query: 'tea', documents: [{ id: 'doc-1', text: 'tea' }], rank: { feedback: 1 } });
    expect(seenFromAlpha.results[0]!.scores.feedback).toBe(0);

    const after = await ms.health.spaceHealth('alpha');
    expect(after.feedback).toMatchObject({ reinforced: before.feedback!.reinforced, narrativeUpdatedAt: before.feedback!.narrativeUpdatedAt });
    const [hit] = (await ok<{ results: SearchHit[] }>(alpha, 'search_memories', { query: 'alpha only', mode: 'vector', limit: 1, rank: { feedback: 1 } })).results;
    expect([hit!.memory.id, hit!.scores.feedback ?? 0]).toEqual([theirs.id, 0]);
  });

  it('lets a read-only key rerank but not give feedback (FORBIDDEN)', async () => {
    const reader = (await ms.keys.create({ name: 'reader', grants: [{ space: 'alpha', role: 'read' }] }, { principal: LOCAL_PRINCIPAL })).key;
    const client = await session(reader, 'alpha');
    expect((await fails(client, 'give_feedback', { results: [{ id: 'doc-1', signal: 'helpful', kind: 'document' }] })).code).toBe('FORBIDDEN');
    expect((await ok<RerankResult>(client, 'rerank_documents', { query: 'tea', documents: [{ id: 'doc-1', text: 'tea' }] })).results).toHaveLength(1);
  });
});
