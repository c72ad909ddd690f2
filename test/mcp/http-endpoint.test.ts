import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_PRINCIPAL } from '../../src/engine/access-guard.js';
import type { Memory } from '../../src/core/views.js';
import { connectHttp, fails, INITIALIZE, listenApp, ok, postMcp, type ListeningApp } from '../support/mcp.js';
import { tempMemspace } from '../support/temp-memspace.js';

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let server: ListeningApp;
let root: string;
/** write in alpha, its default space */
let keyA: string;
/** write in beta, no default space */
let keyB: string;
/** read in alpha */
let reader: string;
const clients: Client[] = [];

beforeAll(async () => {
  ms = await tempMemspace({ config: { embedPoolSize: 1 } });
  root = (await ms.keys.ensureRootKey())!;
  await ms.spaces.create({ name: 'alpha' });
  await ms.spaces.create({ name: 'beta' });
  keyA = (await ms.keys.create({ name: 'a', grants: [{ space: 'alpha', role: 'write' }], defaultSpace: 'alpha' }, { principal: LOCAL_PRINCIPAL })).key;
  keyB = (await ms.keys.create({ name: 'b', grants: [{ space: 'beta', role: 'write' }] }, { principal: LOCAL_PRINCIPAL })).key;
  reader = (await ms.keys.create({ name: 'reader', grants: [{ space: 'alpha', role: 'read' }] }, { principal: LOCAL_PRINCIPAL })).key;
  server = await listenApp(ms);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  // Sessions still open (and their SSE streams) must not keep the server from closing.
  await server.close();
  await ms.cleanup();
});

async function session(key: string, space?: string): Promise<Client> {
  const { client } = await connectHttp(server.mcpUrl, key, space);
  clients.push(client);
  return client;
}

const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
const errorOf = (body: unknown): { code: string; message: string } => (body as { error: { code: string; message: string } }).error;

describe('MCP over Streamable HTTP: choosing the space', () => {
  it('opens a session in the X-Memory-Space space, else the key default space, else default', async () => {
    expect((await ok(await session(root), 'list_spaces'))['current']).toBe('default');
    expect((await ok(await session(root, 'beta'), 'list_spaces'))['current']).toBe('beta');
    expect((await ok(await session(keyA), 'list_spaces'))['current']).toBe('alpha');
    // Any case reaches the one space; the session uses the catalogue's spelling.
    expect((await ok(await session(root, 'ALPHA'), 'list_spaces'))['current']).toBe('alpha');
  });

  it('refuses a space the key cannot see exactly as one that does not exist: SPACE_NOT_FOUND', async () => {
    const hidden = await postMcp(server.mcpUrl, { ...bearer(keyA), 'x-memory-space': 'beta' }, INITIALIZE);
    const missing = await postMcp(server.mcpUrl, { ...bearer(keyA), 'x-memory-space': 'gamma' }, INITIALIZE);
    expect([hidden.status, errorOf(hidden.body).code]).toEqual([404, 'SPACE_NOT_FOUND']);
    expect([missing.status, errorOf(missing.body).code]).toEqual([404, 'SPACE_NOT_FOUND']);
    expect(errorOf(hidden.body).message.replaceAll('beta', 'X')).toBe(errorOf(missing.body).message.replaceAll('gamma', 'X'));
    expect(hidden.sessionId).toBeNull();
    // keyB names no space and has no default space: `default`, which it cannot see.
    expect(errorOf((await postMcp(server.mcpUrl, bearer(keyB), INITIALIZE)).body).code).toBe('SPACE_NOT_FOUND');
    await expect(connectHttp(server.mcpUrl, keyA, 'beta')).rejects.toThrow(/SPACE_NOT_FOUND/);
    // The owner of beta learns that someone tried.
    const denied = await ms.spaces.audit('beta', { action: 'request.denied' });
    expect(denied.items.some((e) => e.details?.['tool'] === 'initialize' && e.details['code'] === 'SPACE_NOT_FOUND')).toBe(true);
  });

  it('refuses invalid space names and unknown keys', async () => {
    for (const name of ['..', 'a/b', '_system', 'x'.repeat(65)]) {
      const r = await postMcp(server.mcpUrl, { ...bearer(root), 'x-memory-space': name }, INITIALIZE);
      expect([r.status, errorOf(r.body).code], name).toEqual([400, 'INVALID_SPACE']);
    }
    expect(errorOf((await postMcp(server.mcpUrl, {}, INITIALIZE)).body).code).toBe('UNAUTHENTICATED');
    expect((await postMcp(server.mcpUrl, bearer('msk_forged'), INITIALIZE)).status).toBe(401);
    // The other ways of presenting a key work as on every route.
    expect((await postMcp(server.mcpUrl, { 'x-api-key': keyA }, INITIALIZE)).status).toBe(200);
    expect((await postMcp(server.mcpUrl, { authorization: `Token ${keyA}` }, INITIALIZE)).status).toBe(200);
  });

  it('list_spaces shows only the spaces the key can see', async () => {
    const names = async (client: Client): Promise<string[]> => (await ok<{ items: { name: string }[] }>(client, 'list_spaces')).items.map((s) => s.name);
    expect(await names(await session(keyA))).toEqual(['alpha']);
    expect(await names(await session(keyB, 'beta'))).toEqual(['beta']);
    expect(await names(await session(root))).toEqual(expect.arrayContaining(['alpha', 'beta', 'default']));
  });
});

describe('MCP sessions', () => {
  it('bind a session id to the key that opened it: another key cannot use or end it', async () => {
    const { client, transport } = await connectHttp(server.mcpUrl, keyA);
    clients.push(client);
    const sid = transport.sessionId!;
    expect(sid).toBeTruthy();
    const call = { id: 7, method: 'tools/call', params: { name: 'list_memories', arguments: {} } };
    for (const key of [keyB, root, reader]) {
      const r = await postMcp(server.mcpUrl, { ...bearer(key), 'mcp-session-id': sid }, call);
      expect([r.status, errorOf(r.body).code]).toEqual([404, 'NOT_FOUND']);
    }
    const end = await fetch(server.mcpUrl, { method: 'DELETE', headers: { ...bearer(keyB), 'mcp-session-id': sid } });
    expect(end.status).toBe(404);
    // Unknown ids look exactly the same.
    expect(errorOf((await postMcp(server.mcpUrl, { ...bearer(keyA), 'mcp-session-id': 'no-such-session' }, call)).body).code).toBe('NOT_FOUND');
    // The owner's session still works.
    await ok(client, 'list_memories');
    const own = await postMcp(server.mcpUrl, { ...bearer(keyA), 'mcp-session-id': sid }, call);
    expect(own.status).toBe(200);
  });

  it('keep their space: naming another one is SPACE_CONFLICT, and requests without a session id must initialize', async () => {
    const { client, transport } = await connectHttp(server.mcpUrl, root, 'alpha');
    clients.push(client);
    const call = { id: 8, method: 'tools/call', params: { name: 'list_spaces', arguments: {} } };
    const r = await postMcp(server.mcpUrl, { ...bearer(root), 'mcp-session-id': transport.sessionId!, 'x-memory-space': 'beta' }, call);
    expect([r.status, errorOf(r.body).code]).toEqual([400, 'SPACE_CONFLICT']);
    const same = await postMcp(server.mcpUrl, { ...bearer(root), 'mcp-session-id': transport.sessionId!, 'x-memory-space': 'Alpha' }, call);
    expect(same.status).toBe(200);
    const none = await postMcp(server.mcpUrl, bearer(root), call);
    expect([none.status, errorOf(none.body).code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('end with DELETE', async () => {
    const { client, transport } = await connectHttp(server.mcpUrl, keyA);
    const sid = transport.sessionId!;
    await transport.terminateSession();
    const r = await postMcp(server.mcpUrl, { ...bearer(keyA), 'mcp-session-id': sid }, { id: 9, method: 'tools/call', params: { name: 'list_spaces', arguments: {} } });
    expect(r.status).toBe(404);
    await client.close();
  });
});

describe('MCP authorization and isolation', () => {
  it('a read-only key reads but cannot write (FORBIDDEN, audited)', async () => {
    const writer = await session(keyA);
    const m = await ok<Memory>(writer, 'add_memory', { content: 'the reader may see this' });
    const client = await session(reader, 'alpha');
    expect((await ok<Memory>(client, 'get_memory', { id: m.id })).content).toBe('the reader may see this');
    await ok(client, 'search_memories', { query: 'reader' });
    await ok(client, 'read_graph');
    for (const [tool, args] of [
      ['add_memory', { content: 'nope' }],
      ['update_memory', { id: m.id, content: 'changed' }],
      ['delete_memory', { id: m.id }],
      ['relate_memories', { from: m.id, to: m.id, type: 'self' }],
      ['create_entities', { entities: [{ name: 'X', entityType: 't', observations: [] }] }],
      ['delete_entities', { entityNames: ['X'] }],
    ] as const) {
      expect((await fails(client, tool, args)).code, tool).toBe('FORBIDDEN');
    }
    expect((await ok<Memory>(writer, 'get_memory', { id: m.id })).content).toBe('the reader may see this');
    const denied = await ms.spaces.audit('alpha', { action: 'request.denied' });
    expect(denied.items.some((e) => e.details?.['tool'] === 'delete_memory' && e.details['code'] === 'FORBIDDEN')).toBe(true);
  });

  it("two sessions on different spaces never see or touch each other's data", async () => {
    const a = await session(keyA);
    const b = await session(keyB, 'beta');
    const secret = await ok<Memory>(a, 'add_memory', { content: 'The launch code of project Nightingale is 4471', tags: ['secret'] });
    await ok(a, 'create_entities', { entities: [{ name: 'Nightingale', entityType: 'project', observations: ['launch code 4471'] }] });
    const mine = await ok<Memory>(b, 'add_memory', { content: 'beta keeps its own notes' });

    for (const [tool, args] of [
      ['get_memory', { id: secret.id }],
      ['update_memory', { id: secret.id, content: 'overwritten from beta' }],
      ['delete_memory', { id: secret.id }],
      ['memory_history', { id: secret.id }],
      ['relate_memories', { from: mine.id, to: secret.id, type: 'steals' }],
      ['relate_memories', { from: secret.id, to: mine.id, type: 'steals' }],
      ['add_observations', { observations: [{ entityName: 'Nightingale', contents: ['hacked'] }] }],
      ['create_relations', { relations: [{ from: 'Nightingale', to: 'Nightingale', relationType: 'x' }] }],
    ] as const) {
      expect((await fails(b, tool, args)).code, tool).toBe('NOT_FOUND');
    }
    const hits = await ok<{ results: { memory: Memory }[] }>(b, 'search_memories', { query: 'launch code of project Nightingale', mode: 'keyword' });
    expect(hits.results).toEqual([]);
    const semantic = await ok<{ results: { memory: Memory }[] }>(b, 'search_memories', { query: 'launch code of project Nightingale' });
    expect(semantic.results.map((h) => h.memory.id)).toEqual([mine.id]);
    expect((await ok<{ items: Memory[] }>(b, 'list_memories', { limit: 1000 })).items.map((m) => m.id)).toEqual([mine.id]);
    expect(await ok(b, 'read_graph')).toEqual({ entities: [], relations: [] });
    expect(await ok(b, 'open_nodes', { names: ['Nightingale'] })).toEqual({ entities: [], relations: [] });
    expect(await ok(b, 'search_nodes', { query: 'Nightingale' })).toEqual({ entities: [], relations: [] });
    expect((await ok(b, 'delete_entities', { entityNames: ['Nightingale'] }))['message']).toMatch(/Not found: Nightingale/);
    // A tool cannot be pointed at another space by an argument.
    expect((await fails(b, 'add_memory', { content: 'x', space: 'alpha' })).code).toBe('VALIDATION_FAILED');
    // Ids are unique within a space only: beta may use alpha's id for its own memory.
    await ok(b, 'add_memory', { content: 'same id, other space', id: secret.id });

    const after = await ok<Memory>(a, 'get_memory', { id: secret.id });
    expect(after.content).toBe('The launch code of project Nightingale is 4471');
    expect((await ok<{ history: unknown[] }>(a, 'memory_history', { id: secret.id })).history).toHaveLength(1);
    expect((await ok<{ entities: unknown[] }>(a, 'open_nodes', { names: ['Nightingale'] })).entities).toEqual([
      { name: 'Nightingale', entityType: 'project', observations: ['launch code 4471'] },
    ]);
  });

  it('50 concurrent add_memory calls over two sessions lose nothing', async () => {
    await ms.spaces.create({ name: 'burst', embedder: 'none', dimension: 4 });
    const one = await session(root, 'burst');
    const two = await session(root, 'burst');
    const added = await Promise.all(
      Array.from({ length: 50 }, (_, i) => ok<Memory>(i % 2 === 0 ? one : two, 'add_memory', { content: `note ${i}`, embedding: [1, i, 0, 1], tags: ['burst'] })),
    );
    expect(new Set(added.map((m) => m.id)).size).toBe(50);
    const listed = await ok<{ items: Memory[] }>(one, 'list_memories', { tags: ['burst'], limit: 1000 });
    expect(listed.items.map((m) => m.content).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `note ${i}`).sort());
  });
});
