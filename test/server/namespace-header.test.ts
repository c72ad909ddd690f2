import type { Client as GrpcClient } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGrpcServer, type MemspaceGrpcServer } from '../../src/grpc/grpc-server.js';
import type { MemspaceEngine } from '../../src/memspace.js';
import { failure, type GrpcTestClients, grpcTestClients, type Json } from '../support/grpc.js';
import { INITIALIZE, listenApp, ok, postMcp, type ListeningApp } from '../support/mcp.js';
import { tempMemspace } from '../support/temp-memspace.js';

/**
 * `X-Namespace`, the alias of `X-Memory-Space`: it names the space wherever the header does
 * (REST, the mem0 API, `/mcp`, gRPC metadata `x-namespace`), with the same precedence and the
 * same rules: two names that differ are `SPACE_CONFLICT`, an invalid one `INVALID_SPACE`, and a
 * space the key cannot see answers as a missing one.
 */

let ms: MemspaceEngine & { cleanup(): Promise<void> };
let http: ListeningApp;
let base: string;
let root: string;
/** write in alpha, default space alpha; cannot see beta */
let alphaKey: string;

async function call(key: string, method: string, path: string, headers: Record<string, string | string[]> = {}, payload?: unknown): Promise<{ status: number; body: Json }> {
  const r = await http.app.inject({ method: method as 'GET', url: path, headers: { authorization: `Bearer ${key}`, ...headers }, ...(payload !== undefined && { payload: payload as Json }) });
  return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json) };
}
const code = (r: { body: Json }): unknown => (r.body['error'] as Json | undefined)?.['code'];

beforeAll(async () => {
  ms = await tempMemspace();
  root = (await ms.keys.ensureRootKey())!;
  for (const name of ['alpha', 'beta']) {
    await ms.spaces.create({ name, embedder: 'none', dimension: 2 });
    await ms.memories.add(name, { id: 'm1', content: `note of ${name}`, embedding: [1, 0], userId: 'u' });
  }
  alphaKey = (await ms.keys.create({ name: 'alpha writer', grants: [{ space: 'alpha', role: 'write' }], defaultSpace: 'alpha' })).key;
  http = await listenApp(ms);
  base = http.mcpUrl.replace(/\/mcp$/, '');
});
afterAll(async () => {
  await http?.close();
  await ms?.cleanup();
});

describe('X-Namespace over REST', () => {
  it('names the space of a request, in any case, as X-Memory-Space does', async () => {
    const got = await call(root, 'GET', '/v1/memories/m1', { 'x-namespace': 'BETA' });
    expect([got.status, got.body['content']]).toEqual([200, 'note of beta']);
    const added = await call(root, 'POST', '/v1/memories', { 'x-namespace': 'beta' }, { content: 'written by alias', embedding: [0, 1] });
    expect(added.status).toBe(201);
    expect((await ms.memories.get('beta', added.body['id'] as string)).content).toBe('written by alias');
    // Both headers, equal but for case: fine.
    expect((await call(root, 'GET', '/v1/memories/m1', { 'x-namespace': 'Beta', 'x-memory-space': 'beta' })).body['content']).toBe('note of beta');
  });

  it('refuses it naming another space than the path, X-Memory-Space, the query or the body: SPACE_CONFLICT', async () => {
    const conflicts = [
      call(root, 'GET', '/v1/memories/m1', { 'x-namespace': 'beta', 'x-memory-space': 'alpha' }),
      call(root, 'GET', '/v1/spaces/alpha/memories/m1', { 'x-namespace': 'beta' }),
      call(root, 'GET', '/v1/memories/m1?space=alpha', { 'x-namespace': 'beta' }),
      call(root, 'POST', '/v1/search', { 'x-namespace': 'beta' }, { space: 'alpha', query: 'note' }),
      call(root, 'POST', '/v1/search', { 'x-namespace': 'beta' }, { spaces: ['alpha'], query: 'note' }),
    ];
    for (const r of await Promise.all(conflicts)) expect([r.status, code(r)]).toEqual([400, 'SPACE_CONFLICT']);
    // Nothing was written by a refused write either.
    const refused = await call(root, 'POST', '/v1/memories', { 'x-namespace': 'beta', 'x-memory-space': 'alpha' }, { content: 'never', embedding: [1, 1] });
    expect(code(refused)).toBe('SPACE_CONFLICT');
    expect((await ms.memories.list('alpha')).items.map((m) => m.content)).not.toContain('never');
    expect((await ms.memories.list('beta')).items.map((m) => m.content)).not.toContain('never');
  });

  it('never falls back from an invalid name, and hides spaces the key cannot see as missing ones', async () => {
    for (const name of ['../beta', '_system', '']) {
      const r = await call(root, 'GET', '/v1/memories/m1', { 'x-namespace': name });
      expect([r.status, code(r)], name).toEqual([400, 'INVALID_SPACE']);
    }
    // A header sent twice reaches the server joined ("alpha, beta"): no name, and no fallback to either.
    const twice = await call(root, 'GET', '/v1/memories/m1', { 'x-namespace': ['alpha', 'beta'] });
    expect([twice.status, code(twice)]).toEqual([400, 'INVALID_SPACE']);
    const hidden = await call(alphaKey, 'GET', '/v1/memories/m1', { 'x-namespace': 'beta' });
    const missing = await call(alphaKey, 'GET', '/v1/memories/m1', { 'x-namespace': 'betb' });
    expect([hidden.status, code(hidden)]).toEqual([404, 'SPACE_NOT_FOUND']);
    expect(JSON.stringify(hidden.body).replaceAll('beta', 'X')).toBe(JSON.stringify(missing.body).replaceAll('betb', 'X'));
    // Without any header the key's default space, as before.
    expect((await call(alphaKey, 'GET', '/v1/memories/m1')).body['content']).toBe('note of alpha');
  });

  it('is documented on every scoped route without a space in its path', async () => {
    const doc = (await call(root, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, { parameters: { name: string; in: string }[] }>> };
    const headerNames = (path: string, method: string): string[] => doc.paths[path]![method]!.parameters.filter((p) => p.in === 'header').map((p) => p.name);
    expect(headerNames('/v1/memories', 'post')).toEqual(expect.arrayContaining(['X-Memory-Space', 'X-Namespace']));
    expect(headerNames('/v1/spaces/{space}/memories', 'post')).toEqual([]);
  });

  it('names the space of the mem0 API and of an MCP session', async () => {
    const listed = await call(root, 'GET', '/v1/memories/?user_id=u', { 'x-namespace': 'beta' });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain('note of beta');
    expect(code(await call(root, 'GET', '/v1/memories/?user_id=u', { 'x-namespace': 'beta', 'x-memory-space': 'alpha' }))).toBe('SPACE_CONFLICT');

    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${root}`, 'x-namespace': 'beta' } } });
    const client = new Client({ name: 'alias-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      expect((await ok(client, 'list_spaces'))['current']).toBe('beta');
    } finally {
      await client.close();
    }
    const conflict = await postMcp(`${base}/mcp`, { authorization: `Bearer ${root}`, 'x-namespace': 'beta', 'x-memory-space': 'alpha' }, INITIALIZE);
    expect(conflict.status).toBe(400);
    const hidden = await postMcp(`${base}/mcp`, { authorization: `Bearer ${alphaKey}`, 'x-namespace': 'beta' }, INITIALIZE);
    expect([hidden.status, (hidden.body as { error: { code: string } }).error.code]).toEqual([404, 'SPACE_NOT_FOUND']);
  });
});

describe('x-namespace metadata over gRPC', () => {
  let server: MemspaceGrpcServer;
  let clients: GrpcTestClients;
  let memories: GrpcClient;
  const rpc = (request: Json, key: string, metadata: Record<string, string>): Promise<Json> => clients.rpc(memories, 'Get', request, key, metadata);

  beforeAll(async () => {
    server = buildGrpcServer({ memspace: ms });
    const port = await server.listen('127.0.0.1', 0);
    clients = grpcTestClients(`127.0.0.1:${port}`);
    ({ memories } = clients);
  });
  afterAll(async () => {
    clients?.close();
    await server?.close();
  });

  it('names the space as x-memory-space does, and conflicts with a different one', async () => {
    expect((await rpc({ space: '', id: 'm1' }, root, { 'x-namespace': 'BETA' }))['content']).toBe('note of beta');
    expect((await rpc({ space: '', id: 'm1' }, root, { 'x-namespace': 'beta', 'x-memory-space': 'Beta' }))['content']).toBe('note of beta');
    for (const [request, metadata] of [
      [{ space: '', id: 'm1' }, { 'x-namespace': 'beta', 'x-memory-space': 'alpha' }],
      [{ space: 'alpha', id: 'm1' }, { 'x-namespace': 'beta' }],
    ] as const) {
      expect(await failure(rpc(request, root, metadata))).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'SPACE_CONFLICT' });
    }
    expect(await failure(rpc({ space: '', id: 'm1' }, root, { 'x-namespace': '../beta' }))).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'INVALID_SPACE' });
  });

  it('hides a space the key cannot see as a missing one', async () => {
    expect(await failure(rpc({ space: '', id: 'm1' }, alphaKey, { 'x-namespace': 'beta' }))).toMatchObject({ code: status.NOT_FOUND, reason: 'SPACE_NOT_FOUND' });
    expect((await rpc({ space: '', id: 'm1' }, alphaKey, {}))['content']).toBe('note of alpha');
  });
});
