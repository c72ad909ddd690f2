import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemspaceClient } from '../../src/client/index.js';
import { buildApp } from '../../src/server/app.js';
import { postgresEngine } from '../support/engine-backends.js';
import { tempMemspace } from '../support/temp-memspace.js';

type Json = Record<string, unknown>;
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let root: string;

async function call(key: string | null, method: string, url: string, payload?: unknown): Promise<{ status: number; body: Json }> {
  const r = await app.inject({ method: method as 'GET', url, headers: key === null ? {} : { authorization: `Bearer ${key}` }, ...(payload !== undefined && { payload: payload as Json }) });
  return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json) };
}
const code = (r: { body: Json }): unknown => (r.body['error'] as Json | undefined)?.['code'];
const keyOf = async (name: string, grants: Json[]): Promise<string> => (await call(root, 'POST', '/v1/keys', { name, grants })).body['key'] as string;

beforeAll(async () => {
  ms = await tempMemspace();
  root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms });
  for (const name of ['docs', 'partner', 'other', 'team-a', 'broken']) await call(root, 'POST', '/v1/spaces', { name, isolation: 'shared', embedder: 'none', dimension: 2 });
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

describe('GET /v1/operators/registry', () => {
  it('lists the open spaces, most recently used first, the counters and the damaged spaces, for an operator', async () => {
    await call(root, 'GET', '/v1/spaces/other/memories');
    await call(root, 'POST', '/v1/spaces/docs/memories', { content: 'a fact', embedding: [1, 0] });
    const record = (await ms.backend.spaces.get('broken'))!;
    await ms.backend.spaces.update({ ...record, state: 'damaged' });
    const r = await call(root, 'GET', '/v1/operators/registry');
    expect(r.status).toBe(200);
    const open = r.body['openSpaces'] as Json[];
    expect(open[0]).toMatchObject({ name: 'docs', recency: 1, memories: 1, lastWriteAt: expect.any(String) });
    expect(open.map((s) => s['name'])).toContain('other');
    expect(r.body).toMatchObject({ open: open.length, cap: expect.any(Number), evictions: 0, openTruncated: false, damagedTruncated: false });
    expect(r.body['damaged']).toEqual([{ name: 'broken', error: null }]);
    await ms.backend.spaces.update({ ...record, state: 'idle' });
  });

  it('refuses any other key with FORBIDDEN, and a request without a key', async () => {
    const admin = await keyOf('team-admin', [{ prefix: 'team-', role: 'admin' }]);
    const reader = await keyOf('other-reader', [{ space: 'other', role: 'read' }]);
    for (const key of [admin, reader]) {
      const r = await call(key, 'GET', '/v1/operators/registry');
      expect(r.status).toBe(403);
      expect(code(r)).toBe('FORBIDDEN');
      expect(JSON.stringify(r.body)).not.toMatch(/docs|partner|broken/);
    }
    expect(code(await call(null, 'GET', '/v1/operators/registry'))).toBe('UNAUTHENTICATED');
  });
});

describe('GET /v1/spaces/{space}/shares/incoming', () => {
  it('lists the shares other spaces gave to this one, for its readers, and forgets a share once deleted', async () => {
    const share = await call(root, 'POST', '/v1/spaces/docs/shares', { to: 'partner', tags: ['public'] });
    expect(share.status).toBe(201);
    const reader = await keyOf('partner-reader', [{ space: 'partner', role: 'read' }]);
    const r = await call(reader, 'GET', '/v1/spaces/partner/shares/incoming');
    expect(r.status).toBe(200);
    expect(r.body['items']).toEqual([{ id: share.body['id'], space: 'docs', to: 'partner', toKind: 'space', role: 'read', tags: ['public'], createdAt: expect.any(String) }]);
    // The header form of a scoped route answers the same.
    expect((await app.inject({ method: 'GET', url: '/v1/shares/incoming', headers: { authorization: `Bearer ${reader}`, 'x-memory-space': 'partner' } })).json()).toEqual(r.body);
    // The source lists it as outgoing; nothing comes in to docs.
    expect(((await call(root, 'GET', '/v1/spaces/docs/shares/incoming')).body['items'] as Json[]).length).toBe(0);
    // The SDK's call answers the same.
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    expect(await new MemspaceClient({ baseUrl: url, apiKey: reader, space: 'partner' }).shares.incoming()).toEqual(r.body['items']);
    await call(root, 'DELETE', `/v1/spaces/docs/shares/${share.body['id'] as string}`);
    expect((await call(reader, 'GET', '/v1/spaces/partner/shares/incoming')).body['items']).toEqual([]);
  });

  it('leaves out a share that no longer works: its space turned strict stays unseen', async () => {
    await call(root, 'POST', '/v1/spaces/other/shares', { to: 'partner' });
    const reader = await keyOf('partner-reader-2', [{ space: 'partner', role: 'read' }]);
    expect(((await call(reader, 'GET', '/v1/spaces/partner/shares/incoming')).body['items'] as Json[]).map((s) => s['space'])).toEqual(['other']);
    await call(root, 'PATCH', '/v1/spaces/other', { isolation: 'strict' });
    const r = await call(reader, 'GET', '/v1/spaces/partner/shares/incoming');
    expect(r.body['items']).toEqual([]);
    await call(root, 'PATCH', '/v1/spaces/other', { isolation: 'shared' });
  });

  it('answers a space the key cannot read as a missing one, and refuses bad input', async () => {
    const outsider = await keyOf('team-only', [{ prefix: 'team-', role: 'admin' }]);
    const unseen = await call(outsider, 'GET', '/v1/spaces/partner/shares/incoming');
    const missing = await call(outsider, 'GET', '/v1/spaces/team-nope/shares/incoming');
    expect([unseen.status, code(unseen)]).toEqual([404, 'SPACE_NOT_FOUND']);
    expect([missing.status, code(missing)]).toEqual([404, 'SPACE_NOT_FOUND']);
    expect(code(await call(root, 'GET', '/v1/spaces/bad%20name!/shares/incoming'))).toBe('INVALID_SPACE');
    expect(code(await call(root, 'GET', `/v1/spaces/${'x'.repeat(300)}/shares/incoming`))).toBe('INVALID_SPACE');
  });
});

describe('incoming shares on PostgreSQL', () => {
  it('lists shares by their target space, names compared without case', async () => {
    const { ms: pgMs, stop } = await postgresEngine({});
    try {
      for (const name of ['Source', 'target']) await pgMs.spaces.create({ name, isolation: 'shared', embedder: 'none', dimension: 2 });
      const share = await pgMs.shares.create('Source', { to: 'TARGET', tags: ['t'] });
      expect(await pgMs.shares.incoming('target')).toEqual([{ ...share, space: 'Source' }]);
      expect(await pgMs.shares.incoming('Source')).toEqual([]);
    } finally {
      await stop();
    }
  });
});

describe('the SDK operations calls', () => {
  it("read the visible spaces with their figures, a space's last hour and the registry, with the API's refusals", async () => {
    const address = app.server.address();
    const url = address !== null && typeof address === 'object' ? `http://127.0.0.1:${address.port}` : await app.listen({ host: '127.0.0.1', port: 0 });
    const reader = new MemspaceClient({ baseUrl: url, apiKey: await keyOf('sdk-reader', [{ space: 'other', role: 'read' }]) });
    expect((await reader.operations.spacesHealth()).items.map((s) => s.name)).toEqual(['other']);
    await call(root, 'GET', '/v1/spaces/other/memories');
    await ms.health.sampler.sample();
    const history = await reader.operations.healthHistory('other');
    expect(history).toMatchObject({ space: 'other', samples: expect.arrayContaining([expect.objectContaining({ memories: 0 })]) });
    // Another space reads as a missing one; the registry is for operators only.
    await expect(reader.operations.healthHistory('docs')).rejects.toMatchObject({ code: 'SPACE_NOT_FOUND' });
    await expect(reader.operations.registry()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await new MemspaceClient({ baseUrl: url, apiKey: root }).operations.registry()).cap).toBeGreaterThan(0);
  });
});
