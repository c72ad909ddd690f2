import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEntry, Memory, Relation, SearchHit } from '../../src/core/views.js';
import { scoreByWords, startFakeReranker } from '../support/fake-reranker.js';
import { connectHttp, fails, listenApp, ok, type ListeningApp } from '../support/mcp.js';
import { tempMemspace } from '../support/temp-memspace.js';

// The memspace tools over Streamable HTTP, in a space whose vectors the caller gives
// (embedder none, 4 dimensions), so no model is loaded.

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let server: ListeningApp;
let client: Client;

beforeAll(async () => {
  ms = await tempMemspace();
  const root = (await ms.keys.ensureRootKey())!;
  await ms.spaces.create({ name: 'notes', embedder: 'none', dimension: 4 });
  server = await listenApp(ms);
  client = (await connectHttp(server.mcpUrl, root, 'notes')).client;
});
afterAll(async () => {
  await client.close();
  await server.close();
  await ms.cleanup();
});

describe('memspace MCP tools', () => {
  it('lists every tool with a JSON Schema of its arguments', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual([
      'add_memory',
      'search_memories',
      'give_feedback',
      'rerank_documents',
      'get_memory',
      'update_memory',
      'delete_memory',
      'list_memories',
      'memory_history',
      'relate_memories',
      'list_spaces',
      'suggest_space', // the key sees several spaces (test/mcp/route-tools.test.ts)
      'create_entities',
      'create_relations',
      'add_observations',
      'delete_entities',
      'delete_observations',
      'delete_relations',
      'read_graph',
      'search_nodes',
      'open_nodes',
    ]);
    const add = tools.find((t) => t.name === 'add_memory')!;
    expect(add.inputSchema.required).toEqual(['content']);
    expect(Object.keys(add.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining(['content', 'metadata', 'tags', 'userId', 'agentId', 'runId', 'kind', 'importance', 'expiresAt', 'embedding', 'id']),
    );
    expect(add.annotations).toMatchObject({ readOnlyHint: false });
    expect(tools.find((t) => t.name === 'search_memories')!.annotations).toMatchObject({ readOnlyHint: true });
  });

  it('add, get, update, history, relate, search, list and delete memories', async () => {
    const alice = await ok<Memory>(client, 'add_memory', {
      content: 'Alice prefers morning meetings',
      embedding: [1, 0, 0, 0],
      tags: ['prefs'],
      userId: 'alice',
      metadata: { team: 'platform', level: 3 },
      kind: 'fact',
      importance: 0.9,
    });
    expect(alice).toMatchObject({ content: 'Alice prefers morning meetings', tags: ['prefs'], userId: 'alice', importance: 0.9, metadata: { team: 'platform', level: 3 } });
    const deploy = await ok<Memory>(client, 'add_memory', { content: 'The deploy runs nightly', embedding: [0, 1, 0, 0], id: 'deploy-1' });
    expect(deploy.id).toBe('deploy-1');

    expect((await ok<Memory>(client, 'get_memory', { id: alice.id })).content).toBe('Alice prefers morning meetings');
    const updated = await ok<Memory>(client, 'update_memory', { id: alice.id, content: 'Alice prefers meetings before 10am', embedding: [1, 0.1, 0, 0], tags: ['prefs', 'calendar'] });
    expect(updated).toMatchObject({ content: 'Alice prefers meetings before 10am', tags: ['prefs', 'calendar'] });
    const { history } = await ok<{ history: HistoryEntry[] }>(client, 'memory_history', { id: alice.id });
    expect(history.map((h) => h.action)).toEqual(['create', 'update']);
    expect(history[1]).toMatchObject({ oldContent: 'Alice prefers morning meetings', newContent: 'Alice prefers meetings before 10am' });

    const relation = await ok<Relation>(client, 'relate_memories', { from: alice.id, to: deploy.id, type: 'mentions', weight: 0.5 });
    expect(relation).toMatchObject({ from: alice.id, to: deploy.id, type: 'mentions', weight: 0.5 });

    const keyword = await ok<{ results: SearchHit[] }>(client, 'search_memories', { query: 'nightly deploy', mode: 'keyword' });
    expect(keyword.results.map((h) => h.memory.id)).toEqual(['deploy-1']);
    const vector = await ok<{ results: SearchHit[] }>(client, 'search_memories', { embedding: [1, 0, 0, 0], mode: 'vector', limit: 1, expand: true });
    expect(vector.results[0]!.memory.id).toBe(alice.id);
    expect(vector.results[0]!.related?.map((r) => r.memory.id)).toEqual(['deploy-1']);
    const filtered = await ok<{ results: SearchHit[] }>(client, 'search_memories', { embedding: [1, 1, 0, 0], filter: { 'metadata.level': { gte: 3 } } });
    expect(filtered.results.map((h) => h.memory.id)).toEqual([alice.id]);

    const page = await ok<{ items: Memory[]; nextCursor: string | null }>(client, 'list_memories', { limit: 1, order: 'asc' });
    expect(page.items.map((m) => m.id)).toEqual([alice.id]);
    const next = await ok<{ items: Memory[] }>(client, 'list_memories', { limit: 1, order: 'asc', cursor: page.nextCursor });
    expect(next.items.map((m) => m.id)).toEqual(['deploy-1']);
    expect((await ok<{ items: Memory[] }>(client, 'list_memories', { userId: 'alice' })).items.map((m) => m.id)).toEqual([alice.id]);

    expect(await ok(client, 'delete_memory', { id: 'deploy-1' })).toEqual({ deleted: 'deploy-1' });
    expect((await fails(client, 'get_memory', { id: 'deploy-1' })).code).toBe('NOT_FOUND');
    // History outlives the memory.
    expect((await ok<{ history: HistoryEntry[] }>(client, 'memory_history', { id: 'deploy-1' })).history.map((h) => h.action)).toEqual(['create', 'delete']);
  });

  it('answers bad arguments with tool errors carrying stable codes, and keeps serving', async () => {
    const missing = await fails(client, 'add_memory', { embedding: [1, 0, 0, 0] });
    expect(missing.code).toBe('VALIDATION_FAILED');
    expect(missing.details?.['issues']).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'content' })]));
    expect((await fails(client, 'add_memory', { content: 42 })).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'add_memory', { content: '', embedding: [1, 0, 0, 0] })).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'add_memory', { content: 'x', embedding: [1, 0] })).code).toBe('DIMENSION_MISMATCH');
    expect((await fails(client, 'add_memory', { content: 'no vector' })).code).toBe('VALIDATION_FAILED'); // embedder none
    expect((await fails(client, 'add_memory', { content: 'x', embedding: [1, 0, 0, 0], importance: 7 })).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'add_memory', { content: 'x', embedding: [1, 0, 0, 0], id: 'bad id/../' })).code).toBe('VALIDATION_FAILED');
    await ok(client, 'add_memory', { content: 'twice', embedding: [0, 0, 1, 0], id: 'twice' });
    expect((await fails(client, 'add_memory', { content: 'twice', embedding: [0, 0, 1, 0], id: 'twice' })).code).toBe('CONFLICT');
    expect((await fails(client, 'add_memory', { content: 'x'.repeat(200_001), embedding: [1, 0, 0, 0] })).code).toBe('PAYLOAD_TOO_LARGE');
    // The engine's input limits hold over MCP too: a lone surrogate, metadata nested past 16 levels.
    expect((await fails(client, 'add_memory', { content: 'lone \ud800', embedding: [1, 0, 0, 0] })).details?.['issues']).toEqual([expect.objectContaining({ path: 'content' })]);
    const deep: Record<string, unknown> = {};
    let node = deep;
    for (let i = 1; i < 17; i++) node = (node['x'] = {}) as Record<string, unknown>;
    expect(await fails(client, 'add_memory', { content: 'deep', embedding: [1, 0, 0, 0], metadata: deep })).toMatchObject({ code: 'VALIDATION_FAILED', details: { limit: 16, unit: 'levels' } });
    expect((await fails(client, 'get_memory', {})).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'get_memory', { id: 'nope' })).code).toBe('NOT_FOUND');
    expect((await fails(client, 'update_memory', { id: 'twice' })).code).toBe('VALIDATION_FAILED'); // changes nothing
    expect((await fails(client, 'update_memory', { id: 'nope', content: 'x' })).code).toBe('NOT_FOUND');
    expect((await fails(client, 'delete_memory', { id: 'nope' })).code).toBe('NOT_FOUND');
    expect((await fails(client, 'memory_history', { id: 'nope' })).code).toBe('NOT_FOUND');
    expect((await fails(client, 'relate_memories', { from: 'twice', to: 'twice', type: 'has spaces' })).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'relate_memories', { from: 'twice', to: 'nope', type: 'x' })).code).toBe('NOT_FOUND');
    expect((await fails(client, 'search_memories', {})).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'search_memories', { query: 'x', mode: 'fuzzy' })).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'search_memories', { query: 'x', mode: 'keyword', filter: { kind: { like: 'x' } } })).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'list_memories', { limit: 0 })).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'list_memories', { cursor: 'garbage' })).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'no_such_tool', {})).code).toBe('NOT_FOUND');
    expect((await fails(client, 'create_entities', { entities: 'Alice' })).code).toBe('VALIDATION_FAILED');
    // Still serving.
    expect((await ok<Memory>(client, 'get_memory', { id: 'twice' })).content).toBe('twice');
  });
});

describe('search_memories with the signals turned off', () => {
  it('passes neighbors and dates to the engine', async () => {
    await ok(client, 'add_memory', { content: 'Sam: who played the theremin?', runId: 'party', embedding: [1, 0, 0, 0] });
    await ok(client, 'add_memory', { content: 'Kim: Matt Patterson', runId: 'party', embedding: [0, 1, 0, 0] });
    const search = async (extra: Record<string, unknown>) =>
      (await ok<{ results: SearchHit[] }>(client, 'search_memories', { query: 'theremin', mode: 'keyword', ...extra })).results.map((r) => r.memory.content);
    expect(await search({})).toEqual(['Sam: who played the theremin?', 'Kim: Matt Patterson']);
    expect(await search({ neighbors: false })).toEqual(['Sam: who played the theremin?']);
    expect(await fails(client, 'search_memories', { query: 'theremin', dates: 'no' })).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('search_memories with rerank', () => {
  it('passes rerank to the engine: the server\'s reranker orders the results; without one it is VALIDATION_FAILED', async () => {
    const reranker = await startFakeReranker(scoreByWords({ nightly: 0.7, deploy: 0.3 }, 0.05));
    const own = await tempMemspace({ config: { rerankBaseUrl: reranker.url, rerankModel: 'fake-reranker' } });
    await own.spaces.create({ name: 'notes', embedder: 'none', dimension: 4 });
    const ownServer = await listenApp(own);
    const ownClient = (await connectHttp(ownServer.mcpUrl, (await own.keys.ensureRootKey())!, 'notes')).client;
    try {
      for (const content of ['the deploy went fine', 'builds run nightly', 'lunch is at noon']) await ok(ownClient, 'add_memory', { content, embedding: [1, 0, 0, 0] });
      const { results } = await ok<{ results: SearchHit[] }>(ownClient, 'search_memories', { query: 'when do builds run?', embedding: [1, 0, 0, 0], limit: 2, rerank: true });
      expect(results.map((r) => [r.memory.content, r.score, r.scores.rerank])).toEqual([
        ['builds run nightly', 0.7, 0.7],
        ['the deploy went fine', 0.3, 0.3],
      ]);
      expect(reranker.requests.map((r) => r.query)).toEqual(['when do builds run?']);
      expect(await fails(client, 'search_memories', { query: 'x', embedding: [1, 0, 0, 0], rerank: true })).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/rerank needs a reranker/) });
    } finally {
      await ownClient.close();
      await ownServer.close();
      await own.cleanup();
      await reranker.close();
    }
  });
});
