import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { MemspaceClient } from '../../src/client/index.js';
import { tempMemspace } from '../support/temp-memspace.js';

type Json = Record<string, unknown>;
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let root: string;
const keys: Record<string, { key: string; id: string }> = {};

beforeAll(async () => {
  ms = await tempMemspace();
  root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms, metrics: { processMetrics: false } });
  for (const name of ['alpha', 'beta']) expect((await call(root, '/v1/spaces', undefined, 'POST', { name, embedder: 'none', dimension: 2 })).status).toBe(201);
  for (const [name, grants] of Object.entries({ ann: [{ space: 'alpha', role: 'admin' }], bob: [{ space: 'alpha', role: 'write' }], bea: [{ space: 'beta', role: 'admin' }] })) {
    const created = await ms.keys.create({ name, grants: grants as { space: string; role: 'admin' }[] });
    keys[name] = { key: created.key, id: created.id };
  }
  for (let i = 0; i < 3; i++) {
    for (const who of ['ann', 'bob']) await call(keys[who]!.key, '/v1/spaces/alpha/memories', undefined, 'POST', { content: `${who} ${i}`, embedding: [1, 0] });
  }
  await call(keys['bea']!.key, '/v1/spaces/beta/memories', undefined, 'POST', { content: 'bea', embedding: [0, 1] });
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

async function call(key: string, url: string, query?: Record<string, string>, method = 'GET', payload?: Json): Promise<{ status: number; body: Json }> {
  const r = await app.inject({ method: method as 'GET', url, ...(query && { query }), headers: { authorization: `Bearer ${key}` }, ...(payload && { payload }) });
  return { status: r.statusCode, body: JSON.parse(r.body) as Json };
}
const items = (r: { body: Json }): Json[] => r.body['items'] as Json[];

describe('GET /v1/spaces/{space}/audit?actor=&order=', () => {
  it("lists one key's entries only, oldest or newest first, paged in that order", async () => {
    const ann = await call(keys['ann']!.key, '/v1/spaces/alpha/audit', { actor: keys['ann']!.id });
    expect(ann.status).toBe(200);
    expect(items(ann).map((e) => [e['seq'], e['actor'], e['action']])).toEqual([
      [1, keys['ann']!.id, 'memory.create'],
      [3, keys['ann']!.id, 'memory.create'],
      [5, keys['ann']!.id, 'memory.create'],
    ]);
    const first = await call(root, '/v1/spaces/alpha/audit', { actor: keys['bob']!.id, order: 'desc', limit: '2' });
    expect(items(first).map((e) => e['seq'])).toEqual([6, 4]);
    const rest = await call(root, '/v1/spaces/alpha/audit', { actor: keys['bob']!.id, order: 'desc', limit: '2', cursor: first.body['nextCursor'] as string });
    expect(items(rest).map((e) => e['seq'])).toEqual([2]);
    expect(rest.body['nextCursor']).toBeNull();
    expect(items(await call(root, '/v1/spaces/alpha/audit', { actor: 'key_nobody' }))).toEqual([]);
  });

  it('refuses a bad actor or order with VALIDATION_FAILED', async () => {
    for (const query of [{ actor: '' }, { actor: 'a\u0007b' }, { actor: 'x'.repeat(300) }, { order: 'newest' }] as Record<string, string>[]) {
      const r = await call(root, '/v1/spaces/alpha/audit', query);
      expect(r.status, JSON.stringify(query)).toBe(400);
      expect((r.body['error'] as Json)['code']).toBe('VALIDATION_FAILED');
    }
  });

  it("keeps spaces apart: another space's actor finds nothing, and another space's trail stays unseen", async () => {
    expect(items(await call(root, '/v1/spaces/beta/audit', { actor: keys['ann']!.id }))).toEqual([]);
    expect(items(await call(root, '/v1/spaces/alpha/audit', { actor: keys['bea']!.id }))).toEqual([]);
    const refused = await call(keys['ann']!.key, '/v1/spaces/beta/audit', { actor: keys['bea']!.id });
    expect([refused.status, (refused.body['error'] as Json)['code']]).toEqual([404, 'SPACE_NOT_FOUND']);
    const writer = await call(keys['bob']!.key, '/v1/spaces/alpha/audit', { actor: keys['bob']!.id });
    expect((writer.body['error'] as Json)['code']).toBe('FORBIDDEN');
  });

  it('the SDK passes actor and order through', async () => {
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const client = new MemspaceClient({ baseUrl: url, apiKey: keys['bea']!.key, space: 'beta' });
    const page = await client.audit.list({ actor: keys['bea']!.id, order: 'desc' });
    expect(page.items.map((e) => [e.seq, e.action])).toEqual([[1, 'memory.create']]);
  });
});
