import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { tempMemspace } from '../support/temp-memspace.js';

type Json = Record<string, unknown>;
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let root: string;
/** Admin of project p only. */
let pAdmin: string;
/** Admin of space p.one only (a space of p). */
let spaceAdmin: string;

async function call(key: string, method: string, url: string, payload?: unknown): Promise<{ status: number; body: Json }> {
  const r = await app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${key}` }, ...(payload !== undefined && { payload: payload as Json }) });
  return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json) };
}
const code = (r: { body: Json }): unknown => (r.body['error'] as Json | undefined)?.['code'];
const names = (r: { body: Json }): string[] => ((r.body['items'] as Json[] | undefined) ?? []).map((i) => i['name'] as string).sort();

beforeAll(async () => {
  ms = await tempMemspace();
  root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms });
  for (const name of ['p', 'q']) expect((await call(root, 'POST', '/v1/projects', { name, defaults: { embedder: 'none', dimension: 2 } })).status).toBe(201);
  for (const [name, project] of [['p.one', 'p'], ['q.one', 'q'], ['loose', undefined]] as const) {
    const made = await call(root, 'POST', '/v1/spaces', { name, embedder: 'none', dimension: 2, ...(project !== undefined && { project }) });
    expect(made.status).toBe(201);
    await call(root, 'POST', `/v1/spaces/${name}/memories`, { content: `${name} canary secret`, embedding: [1, 0] });
  }
  pAdmin = (await call(root, 'POST', '/v1/keys', { name: 'p-admin', grants: [{ project: 'p', role: 'admin' }] })).body['key'] as string;
  spaceAdmin = (await call(root, 'POST', '/v1/keys', { name: 'p.one-admin', grants: [{ space: 'p.one', role: 'admin' }] })).body['key'] as string;
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

describe('/v1/projects', () => {
  it('creates, lists, reads with totals, changes and deletes projects', async () => {
    const made = await call(root, 'POST', '/v1/projects', { name: 'Routes', description: 'd', labels: { a: 'b' }, quotas: { maxMemories: 10 } });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: 'Routes', owner: expect.stringMatching(/^key_/), quotas: { maxMemories: 10, maxBytes: null }, defaults: {} });
    expect((await call(root, 'POST', '/v1/projects', { name: 'routes' })).status).toBe(409);
    expect(names(await call(root, 'GET', '/v1/projects?limit=1000'))).toEqual(['Routes', 'p', 'q']);
    const page = await call(root, 'GET', '/v1/projects?limit=1');
    expect(page.body['nextCursor']).toBe('p');
    const info = await call(root, 'GET', '/v1/projects/routes');
    expect(info.body).toMatchObject({ name: 'Routes', totals: { memories: 0, spaces: { total: 0 } }, quotaUse: { maxMemories: { used: 0, limit: 10 } } });
    const patched = await call(root, 'PATCH', '/v1/projects/routes', { description: 'new', defaults: { isolation: 'shared' }, quotas: { maxMemories: null } });
    expect(patched.body).toMatchObject({ description: 'new', defaults: { isolation: 'shared' }, quotas: { maxMemories: null } });
    await call(root, 'POST', '/v1/spaces', { name: 'routes.a', project: 'routes', embedder: 'none', dimension: 2 });
    expect(names(await call(root, 'GET', '/v1/spaces?project=ROUTES'))).toEqual(['routes.a']);
    const conflict = await call(root, 'DELETE', '/v1/projects/routes');
    expect(conflict.status).toBe(409);
    expect(conflict.body['error']).toMatchObject({ code: 'CONFLICT', details: { project: 'Routes', spaces: 1 } });
    expect((await call(root, 'DELETE', '/v1/projects/routes?cascade=true')).status).toBe(204);
    expect(code(await call(root, 'GET', '/v1/spaces/routes.a'))).toBe('SPACE_NOT_FOUND');
    expect(code(await call(root, 'GET', '/v1/projects/routes'))).toBe('NOT_FOUND');
  });

  it('answers bad input with stable 4xx codes', async () => {
    expect(code(await call(root, 'POST', '/v1/projects', { name: '../x' }))).toBe('INVALID_SPACE');
    expect(code(await call(root, 'POST', '/v1/projects', { name: 'ok', defaults: { isolation: 'open' } }))).toBe('VALIDATION_FAILED');
    expect(code(await call(root, 'POST', '/v1/projects', { name: 'ok', quotas: { maxMemories: -1 } }))).toBe('VALIDATION_FAILED');
    expect(code(await call(root, 'POST', '/v1/projects', { name: 'ok', extra: 1 }))).toBe('VALIDATION_FAILED');
    expect(code(await call(root, 'PATCH', '/v1/projects/p', { defaults: { quotas: { maxBytes: 'lots' } } }))).toBe('VALIDATION_FAILED');
    expect(code(await call(root, 'DELETE', '/v1/projects/p?cascade=yes'))).toBe('VALIDATION_FAILED');
    expect(code(await call(root, 'GET', '/v1/projects?limit=0'))).toBe('VALIDATION_FAILED');
    expect(code(await call(root, 'POST', '/v1/spaces', { name: 'nowhere', project: 'missing', embedder: 'none', dimension: 2 }))).toBe('NOT_FOUND');
    expect(code(await call(root, 'PATCH', '/v1/spaces/loose', { inherit: ['isolation'] }))).toBe('VALIDATION_FAILED');
    expect(code(await call(root, 'PATCH', '/v1/spaces/p.one', { inherit: ['colour'] }))).toBe('VALIDATION_FAILED');
    expect(code(await call(root, 'POST', '/v1/keys', { name: 'k', grants: [{ project: '..', role: 'read' }] }))).toBe('VALIDATION_FAILED');
  });

  it('lists every project route in the OpenAPI document', async () => {
    const doc = (await call(root, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, Json>> };
    expect(Object.keys(doc.paths['/v1/projects'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/v1/projects/{project}'] ?? {}).sort()).toEqual(['delete', 'get', 'patch']);
    expect(JSON.stringify(doc.paths['/v1/projects']!['post'])).toContain('defaults');
  });
});

describe('a key with a project grant (adversarial)', () => {
  it('reads, writes and searches the spaces of its project, including new ones it creates under any free name', async () => {
    expect((await call(pAdmin, 'GET', '/v1/spaces/p.one/memories')).status).toBe(200);
    expect((await call(pAdmin, 'POST', '/v1/spaces', { name: 'anything', project: 'p' })).status).toBe(201);
    expect((await call(pAdmin, 'POST', '/v1/spaces/anything/memories', { content: 'mine', embedding: [0, 1] })).status).toBe(201);
    expect(names(await call(pAdmin, 'GET', '/v1/spaces'))).toEqual(['anything', 'p.one']);
    expect((await call(pAdmin, 'GET', '/v1/projects/p')).body).toMatchObject({ totals: { memories: 2, spaces: { total: 2 } } });
  });

  it('cannot see, read, write, search, subscribe to or delete spaces of another project or of none', async () => {
    for (const victim of ['q.one', 'loose']) {
      for (const [method, url, body] of [
        ['GET', `/v1/spaces/${victim}`, undefined],
        ['GET', `/v1/spaces/${victim}/memories`, undefined],
        ['POST', `/v1/spaces/${victim}/memories`, { content: 'planted', embedding: [1, 0] }],
        ['POST', `/v1/spaces/${victim}/search`, { query: 'canary', mode: 'keyword' }],
        ['GET', `/v1/spaces/${victim}/events`, undefined],
        ['GET', `/v1/spaces/${victim}/audit`, undefined],
        ['PATCH', `/v1/spaces/${victim}`, { description: 'x' }],
        ['DELETE', `/v1/spaces/${victim}`, undefined],
      ] as const) {
        const r = await call(pAdmin, method, url, body);
        expect([r.status, code(r)], `${method} ${url}`).toEqual([404, 'SPACE_NOT_FOUND']);
        expect(JSON.stringify(r.body)).not.toContain('canary');
      }
    }
    const cross = await call(pAdmin, 'POST', '/v1/search', { spaces: ['p.one', 'q.one'], query: 'canary', mode: 'keyword' });
    expect(code(cross)).toBe('SPACE_NOT_FOUND');
    expect(JSON.stringify(cross.body)).not.toContain('q.one canary');
    // Nothing was planted or deleted.
    expect((await call(root, 'GET', '/v1/spaces/q.one/memories')).body['items']).toHaveLength(1);
  });

  it('cannot see project q, create spaces in it, change or delete it, nor grant it', async () => {
    for (const [method, url, body] of [
      ['GET', '/v1/projects/q', undefined],
      ['PATCH', '/v1/projects/q', { description: 'x' }],
      ['DELETE', '/v1/projects/q?cascade=true', undefined],
      ['POST', '/v1/spaces', { name: 'intruder', project: 'q' }],
    ] as const) {
      const r = await call(pAdmin, method, url, body);
      expect([r.status, code(r)], `${method} ${url}`).toEqual([404, 'NOT_FOUND']);
    }
    // Indistinguishable from a project that does not exist.
    expect((await call(pAdmin, 'GET', '/v1/projects/nonexistent')).body).toEqual({ error: { code: 'NOT_FOUND', message: 'project "nonexistent" not found', details: { project: 'nonexistent' } } });
    expect((await call(pAdmin, 'GET', '/v1/projects/q')).body).toEqual({ error: { code: 'NOT_FOUND', message: 'project "q" not found', details: { project: 'q' } } });
    expect(names(await call(pAdmin, 'GET', '/v1/projects'))).toEqual(['p']);
    expect(code(await call(pAdmin, 'POST', '/v1/keys', { name: 'k', grants: [{ project: 'q', role: 'read' }] }))).toBe('FORBIDDEN');
    expect(code(await call(pAdmin, 'POST', '/v1/keys', { name: 'k', grants: [{ prefix: '', role: 'read' }] }))).toBe('FORBIDDEN');
    expect(code(await call(pAdmin, 'POST', '/v1/projects', { name: 'mine' }))).toBe('FORBIDDEN');
    // It may hand out its own project, at its role or below.
    expect((await call(pAdmin, 'POST', '/v1/keys', { name: 'p-reader', grants: [{ project: 'p', role: 'read' }] })).status).toBe(201);
    expect((await call(root, 'GET', '/v1/projects/q')).status).toBe(200);
  });

  it("a key of one space of the project sees neither the project nor its totals, nor the project's other spaces", async () => {
    expect((await call(spaceAdmin, 'GET', '/v1/spaces/p.one')).status).toBe(200);
    expect(code(await call(spaceAdmin, 'GET', '/v1/projects/p'))).toBe('NOT_FOUND');
    expect(code(await call(spaceAdmin, 'PATCH', '/v1/projects/p', { quotas: { maxMemories: 1 } }))).toBe('NOT_FOUND');
    expect(code(await call(spaceAdmin, 'GET', '/v1/spaces/anything'))).toBe('SPACE_NOT_FOUND');
    expect(code(await call(spaceAdmin, 'POST', '/v1/spaces', { name: 'p.two', project: 'p' }))).toBe('NOT_FOUND');
  });
});
