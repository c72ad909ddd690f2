import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { tempMemspace } from '../support/temp-memspace.js';

type Json = Record<string, unknown>;
let clock = 1_000_000;
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let root: string;
let scoped: string;

beforeAll(async () => {
  ms = await tempMemspace({ now: () => clock });
  root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms, keyRateLimit: 50, now: () => clock });
  for (const name of ['team-a.main', 'team-a.ops', 'team-b.main', 'user1', 'user10']) {
    expect((await call(root, 'POST', '/v1/spaces', { name, embedder: 'none', dimension: 2 })).status).toBe(201);
    await call(root, 'POST', `/v1/spaces/${name}/memories`, { content: `secret of ${name}`, embedding: [1, 0], id: 'm1' });
  }
  const created = await call(root, 'POST', '/v1/keys', {
    name: 'team-a bot',
    grants: [{ prefix: 'team-a.', role: 'write' }, { space: 'user1', role: 'read' }],
    defaultSpace: 'team-a.main',
  });
  expect(created.status).toBe(201);
  scoped = created.body['key'] as string;
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

async function call(key: string | undefined, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  clock += 1000; // a second per request keeps the rate limit out of the way unless a test wants it
  const r = await app.inject({
    method: method as 'GET',
    url,
    headers: { ...(key !== undefined && { authorization: `Bearer ${key}` }), ...headers },
    ...(payload !== undefined && { payload: payload as Json }),
  });
  return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json) };
}
const code = (r: { body: Json }): unknown => (r.body['error'] as Json | undefined)?.['code'];
/** An error body as JSON without its "did you mean" (message and `details.suggestion`). */
const withoutSuggestion = (body: Json): string =>
  JSON.stringify(body)
    .replace(/ Did you mean \\"[^\\]*\\"\?/, '')
    .replace(/,"suggestion":"[^"]*"/, '');

describe('authentication', () => {
  it('refuses requests without a valid key, except health and the API description', async () => {
    expect((await call(undefined, 'GET', '/v1/spaces')).status).toBe(401);
    expect(code(await call(undefined, 'POST', '/v1/spaces/team-a.main/search', { query: 'x' }))).toBe('UNAUTHENTICATED');
    expect(code(await call('msk_forged', 'GET', '/v1/spaces'))).toBe('UNAUTHENTICATED');
    expect(code(await call(undefined, 'GET', '/v1/spaces', undefined, { authorization: 'Basic dXNlcjpwYXNz' }))).toBe('UNAUTHENTICATED');
    for (const url of ['/v1/health', '/openapi.json', '/docs']) expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
  });

  it('accepts Bearer, Token and X-API-Key', async () => {
    expect((await call(undefined, 'GET', '/v1/spaces', undefined, { authorization: `Token ${scoped}` })).status).toBe(200);
    expect((await call(undefined, 'GET', '/v1/spaces', undefined, { 'x-api-key': scoped })).status).toBe(200);
  });

  it('stores keys hashed: the catalogue never holds a secret', async () => {
    await ms.registry.close();
    const catalog = readFileSync(join(ms.dataDir, 'catalog.db'));
    const wal = (() => {
      try {
        return readFileSync(join(ms.dataDir, 'catalog.db-wal'));
      } catch {
        return Buffer.alloc(0);
      }
    })();
    for (const secret of [root, scoped]) {
      expect(catalog.includes(Buffer.from(secret.slice(4)))).toBe(false);
      expect(wal.includes(Buffer.from(secret.slice(4)))).toBe(false);
    }
    expect(((await call(root, 'GET', '/v1/keys')).body['items'] as Json[]).every((k) => !('key' in k) && !('hash' in k))).toBe(true);
  });
});

describe('a key scoped to team-a.* (write) and user1 (read)', () => {
  it('works inside its grants and uses its default space', async () => {
    expect((await call(scoped, 'POST', '/v1/spaces/team-a.ops/memories', { content: 'ok', embedding: [0, 1] })).status).toBe(201);
    expect((await call(scoped, 'GET', '/v1/memories/m1')).body['content']).toBe('secret of team-a.main'); // default space
    expect((await call(scoped, 'GET', '/v1/spaces/user1/memories/m1')).body['content']).toBe('secret of user1');
  });

  it('learns nothing of spaces outside its grants: the same 404 as a space that does not exist', async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/v1/spaces/{s}'],
      ['PATCH', '/v1/spaces/{s}', { description: 'mine now' }],
      ['DELETE', '/v1/spaces/{s}'],
      ['GET', '/v1/spaces/{s}/memories'],
      ['GET', '/v1/spaces/{s}/memories/m1'],
      ['PATCH', '/v1/spaces/{s}/memories/m1', { importance: 1 }],
      ['DELETE', '/v1/spaces/{s}/memories/m1'],
      ['GET', '/v1/spaces/{s}/memories/m1/history'],
      ['POST', '/v1/spaces/{s}/memories', { content: 'x', embedding: [1, 0] }],
      ['POST', '/v1/spaces/{s}/memories/delete', { filter: {} }],
      ['POST', '/v1/spaces/{s}/search', { query: 'secret', mode: 'keyword' }],
      ['GET', '/v1/spaces/{s}/events'],
      ['GET', '/v1/spaces/{s}/export'],
    ];
    for (const [method, template, body] of routes) {
      const missing = await call(scoped, method, template.replace('{s}', 'team-z.none'), body);
      for (const hidden of ['team-b.main', 'user10', 'team-a', 'TEAM-B.MAIN']) {
        const r = await call(scoped, method, template.replace('{s}', hidden), body);
        const label = `${method} ${template} ${hidden}`;
        expect(r.status, label).toBe(404);
        expect(code(r), label).toBe('SPACE_NOT_FOUND');
        // "Did you mean" depends on the name asked, and may only ever name a space the key can see.
        const suggestion = ((r.body['error'] as Json)['details'] as Json | undefined)?.['suggestion'];
        if (suggestion !== undefined) expect(['team-a.main', 'team-a.ops', 'user1'], label).toContain(suggestion);
        expect(withoutSuggestion(r.body).replaceAll(hidden, 'X')).toBe(withoutSuggestion(missing.body).replaceAll('team-z.none', 'X'));
      }
    }
    // Through the header and query forms too.
    expect(code(await call(scoped, 'GET', '/v1/memories/m1', undefined, { 'x-memory-space': 'team-b.main' }))).toBe('SPACE_NOT_FOUND');
    expect(code(await call(scoped, 'POST', '/v1/search?space=team-b.main', { query: 'secret' }))).toBe('SPACE_NOT_FOUND');
    expect(code(await call(scoped, 'POST', '/v1/search', { query: 'secret', space: 'team-b.main' }))).toBe('SPACE_NOT_FOUND');
    // Nothing was changed behind the 404s.
    expect((await call(root, 'GET', '/v1/spaces/team-b.main/memories/m1')).body['content']).toBe('secret of team-b.main');
    expect((await call(root, 'GET', '/v1/spaces/team-b.main')).body['description']).toBe('');
  });

  it('lists and counts only the spaces it can see', async () => {
    const all = await call(scoped, 'GET', '/v1/spaces?limit=1000');
    expect((all.body['items'] as Json[]).map((s) => s['name']).sort()).toEqual(['team-a.main', 'team-a.ops', 'user1']);
    const paged = await call(scoped, 'GET', '/v1/spaces?limit=1');
    expect((paged.body['items'] as Json[]).length).toBe(1);
    expect(((await call(scoped, 'GET', '/v1/spaces?prefix=team-b')).body['items'] as Json[]).length).toBe(0);
  });

  it('is FORBIDDEN beyond its role in spaces it can see', async () => {
    expect(code(await call(scoped, 'POST', '/v1/spaces/user1/memories', { content: 'x', embedding: [1, 0] }))).toBe('FORBIDDEN');
    expect(code(await call(scoped, 'DELETE', '/v1/spaces/user1/memories/m1'))).toBe('FORBIDDEN');
    expect(code(await call(scoped, 'DELETE', '/v1/spaces/team-a.ops'))).toBe('FORBIDDEN'); // write, not admin
    expect(code(await call(scoped, 'POST', '/v1/spaces', { name: 'team-a.new', embedder: 'none', dimension: 2 }))).toBe('FORBIDDEN');
    expect(code(await call(scoped, 'POST', '/v1/spaces', { name: 'team-b.main', embedder: 'none', dimension: 2 }))).toBe('FORBIDDEN'); // not CONFLICT: existence stays hidden
    expect(code(await call(scoped, 'POST', '/v1/keys', { name: 'x', grants: [{ space: 'team-a.main', role: 'read' }] }))).toBe('FORBIDDEN');
  });
});

describe('key management', () => {
  it('lets an admin of a prefix hand out only what it holds, and revocation works at once', async () => {
    const acmeAdmin = (await call(root, 'POST', '/v1/keys', { name: 'acme admin', grants: [{ prefix: 'acme.', role: 'admin' }] })).body['key'] as string;
    const made = await call(acmeAdmin, 'POST', '/v1/keys', { name: 'sales bot', grants: [{ space: 'acme.sales', role: 'write' }] });
    expect(made.status).toBe(201);
    expect(made.body['key']).toMatch(/^msk_[A-Za-z0-9_-]{40,}$/);
    for (const grants of [[{ space: 'acmecorp', role: 'read' }], [{ prefix: 'acme', role: 'read' }], [{ prefix: '', role: 'read' }], [{ space: 'team-a.main', role: 'read' }]]) {
      expect(code(await call(acmeAdmin, 'POST', '/v1/keys', { name: 'x', grants })), JSON.stringify(grants)).toBe('FORBIDDEN');
    }
    expect(((await call(acmeAdmin, 'GET', '/v1/keys')).body['items'] as Json[]).map((k) => k['name']).sort()).toEqual(['acme admin', 'sales bot']);
    const scopedId = ((await call(root, 'GET', '/v1/keys')).body['items'] as Json[]).find((k) => k['name'] === 'team-a bot')!['id'] as string;
    expect(code(await call(acmeAdmin, 'DELETE', `/v1/keys/${scopedId}`))).toBe('NOT_FOUND');

    expect(code(await call(acmeAdmin, 'POST', '/v1/keys', { name: 'bad', grants: [{ space: '../x', role: 'read' }] }))).toBe('VALIDATION_FAILED');
    const salesId = made.body['id'] as string;
    expect((await call(made.body['key'] as string, 'GET', '/v1/spaces')).status).toBe(200);
    expect((await call(acmeAdmin, 'DELETE', `/v1/keys/${salesId}`)).status).toBe(204);
    expect(code(await call(made.body['key'] as string, 'GET', '/v1/spaces'))).toBe('UNAUTHENTICATED');
  });

  it('limits each key to its rate with QUOTA_EXCEEDED, and other keys keep going', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) {
      const r = await app.inject({ method: 'GET', url: '/v1/spaces', headers: { authorization: `Bearer ${scoped}` } }); // same instant
      statuses.push(r.statusCode);
      if (r.statusCode === 429) expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'QUOTA_EXCEEDED', details: { quota: 'keyRequestsPerSecond', limit: 50 } } });
    }
    expect(statuses.filter((s) => s === 200).length).toBe(50);
    expect(statuses.filter((s) => s === 429).length).toBe(10);
    expect((await app.inject({ method: 'GET', url: '/v1/spaces', headers: { authorization: `Bearer ${root}` } })).statusCode).toBe(200);
    clock += 1000;
    expect((await app.inject({ method: 'GET', url: '/v1/spaces', headers: { authorization: `Bearer ${scoped}` } })).statusCode).toBe(200);
  });
});

describe('audit through HTTP', () => {
  it('records who wrote what, with the request id, readable by the space admin only', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/spaces/team-a.main/memories',
      headers: { authorization: `Bearer ${scoped}`, 'content-type': 'application/json' },
      payload: { content: 'audited', embedding: [1, 1] },
    });
    const requestId = r.headers['x-request-id'];
    const memoryId = (JSON.parse(r.body) as Json)['id'];
    const trail = await call(root, 'GET', '/v1/spaces/team-a.main/audit?action=memory.create&limit=100');
    const entry = (trail.body['items'] as Json[]).find((e) => (e['ids'] as string[]).includes(memoryId as string));
    const scopedId = ((await call(root, 'GET', '/v1/keys')).body['items'] as Json[]).find((k) => k['name'] === 'team-a bot')!['id'];
    expect(entry).toMatchObject({ action: 'memory.create', actor: scopedId, requestId });
    expect(JSON.stringify(trail.body)).not.toContain('audited'); // never content
    expect((await call(root, 'GET', '/v1/spaces/team-a.main/audit/verify')).body).toMatchObject({ ok: true });
    expect(code(await call(scoped, 'GET', '/v1/spaces/team-a.main/audit'))).toBe('FORBIDDEN'); // write is not admin
    expect(code(await call(scoped, 'GET', '/v1/spaces/team-b.main/audit'))).toBe('SPACE_NOT_FOUND');
  });

  it('records denied requests in the trail of the space they named', async () => {
    await call(scoped, 'GET', '/v1/spaces/team-b.main/memories/m1');
    await call(scoped, 'DELETE', '/v1/spaces/user1/memories/m1');
    const scopedId = ((await call(root, 'GET', '/v1/keys')).body['items'] as Json[]).find((k) => k['name'] === 'team-a bot')!['id'];
    const teamB = (await call(root, 'GET', '/v1/spaces/team-b.main/audit?action=request.denied')).body['items'] as Json[];
    expect(teamB.at(-1)).toMatchObject({ action: 'request.denied', actor: scopedId, details: { method: 'GET', code: 'SPACE_NOT_FOUND' } });
    const user1 = (await call(root, 'GET', '/v1/spaces/user1/audit?action=request.denied')).body['items'] as Json[];
    expect(user1.at(-1)).toMatchObject({ actor: scopedId, details: { method: 'DELETE', code: 'FORBIDDEN' } });
    // In the caller's own space, only what it was refused there: the earlier look at the audit.
    const own = (await call(root, 'GET', '/v1/spaces/team-a.main/audit?action=request.denied')).body['items'] as Json[];
    expect(own.map((e) => (e['details'] as Json)['route'])).toEqual(['/v1/spaces/:space/audit']);
  });
});
