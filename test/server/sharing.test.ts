import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { tempMemspace } from '../support/temp-memspace.js';

type Json = Record<string, unknown>;
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let root: string;
let partner: string;
let direct: string;
let directId: string;

async function call(key: string, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const r = await app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${key}`, ...headers }, ...(payload !== undefined && { payload: payload as Json }) });
  return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json) };
}
const code = (r: { body: Json }): unknown => (r.body['error'] as Json | undefined)?.['code'];
const spacesOf = (r: { body: Json }): string[] => ((r.body['results'] as Json[] | undefined) ?? []).map((h) => `${h['space'] as string}:${(h['memory'] as Json)['content'] as string}`);

beforeAll(async () => {
  ms = await tempMemspace();
  root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms });
  for (const [name, isolation] of [['acme.docs', 'shared'], ['acme.secret', 'strict'], ['partner', 'shared'], ['other', 'shared']] as const) {
    await call(root, 'POST', '/v1/spaces', { name, isolation, embedder: 'none', dimension: 2 });
  }
  await call(root, 'POST', '/v1/spaces/acme.docs/memories/batch', {
    memories: [
      { content: 'acme public roadmap', embedding: [1, 0], tags: ['public'] },
      { content: 'acme internal salaries', embedding: [1, 0], tags: ['internal'] },
    ],
  });
  await call(root, 'POST', '/v1/spaces/acme.secret/memories', { content: 'acme merger plan', embedding: [1, 0] });
  await call(root, 'POST', '/v1/spaces/partner/memories', { content: 'partner roadmap notes', embedding: [1, 0] });
  partner = (await call(root, 'POST', '/v1/keys', { name: 'partner', grants: [{ space: 'partner', role: 'read' }] })).body['key'] as string;
  const made = await call(root, 'POST', '/v1/keys', { name: 'auditor', grants: [{ space: 'other', role: 'read' }] });
  direct = made.body['key'] as string;
  directId = made.body['id'] as string;
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

const search = (key: string, spaces: string[]) => call(key, 'POST', '/v1/search', { spaces, query: 'roadmap salaries merger', mode: 'keyword', limit: 10 });

describe('sharing and cross-space search', () => {
  it('without a share, a space outside the grants is SPACE_NOT_FOUND and fails the whole search', async () => {
    expect(code(await search(partner, ['partner', 'acme.docs']))).toBe('SPACE_NOT_FOUND');
    expect(spacesOf(await search(partner, ['partner']))).toEqual(['partner:partner roadmap notes']);
  });

  it('a share to a space lets its readers search the shared one, limited to the shared tags, and every read is audited there', async () => {
    const share = await call(root, 'POST', '/v1/spaces/acme.docs/shares', { to: 'partner', tags: ['public'] });
    expect(share.status).toBe(201);
    const r = await search(partner, ['partner', 'acme.docs']);
    expect(r.status).toBe(200);
    expect(spacesOf(r).sort()).toEqual(['acme.docs:acme public roadmap', 'partner:partner roadmap notes']);
    // The share opens cross-space search only; the shared space's own routes stay closed.
    expect(code(await call(partner, 'GET', '/v1/spaces/acme.docs/memories'))).toBe('SPACE_NOT_FOUND');
    const trail = (await call(root, 'GET', '/v1/spaces/acme.docs/audit?action=read.cross_space')).body['items'] as Json[];
    expect(trail.at(-1)).toMatchObject({ action: 'read.cross_space', details: { share: share.body['id'], results: 1 } });
    expect(((await call(root, 'GET', '/v1/spaces/acme.docs/audit?action=share.create')).body['items'] as Json[]).length).toBe(1);
  });

  it('a share to a key works for that key only; deleting it closes access at once', async () => {
    expect(code(await search(direct, ['acme.docs']))).toBe('SPACE_NOT_FOUND');
    const share = await call(root, 'POST', '/v1/spaces/acme.docs/shares', { to: directId });
    expect(spacesOf(await search(direct, ['acme.docs'])).sort()).toEqual(['acme.docs:acme internal salaries', 'acme.docs:acme public roadmap']);
    expect((await call(root, 'GET', '/v1/spaces/acme.docs/shares')).body['items']).toHaveLength(2);
    expect((await call(root, 'DELETE', `/v1/spaces/acme.docs/shares/${share.body['id'] as string}`)).status).toBe(204);
    expect(code(await search(direct, ['acme.docs']))).toBe('SPACE_NOT_FOUND');
  });

  it('strict isolation refuses shares, and turning a space strict stops the shares it has', async () => {
    expect(code(await call(root, 'POST', '/v1/spaces/acme.secret/shares', { to: 'partner' }))).toBe('FORBIDDEN');
    expect(code(await search(partner, ['acme.secret']))).toBe('SPACE_NOT_FOUND');
    await call(root, 'PATCH', '/v1/spaces/acme.docs', { isolation: 'strict' });
    expect(code(await search(partner, ['partner', 'acme.docs']))).toBe('SPACE_NOT_FOUND');
    await call(root, 'PATCH', '/v1/spaces/acme.docs', { isolation: 'shared' });
    expect(spacesOf(await search(partner, ['acme.docs']))).toEqual(['acme.docs:acme public roadmap']);
  });

  it('only admins manage shares, and bad shares are refused', async () => {
    expect(code(await call(partner, 'POST', '/v1/spaces/partner/shares', { to: 'other' }))).toBe('FORBIDDEN');
    expect(code(await call(partner, 'POST', '/v1/spaces/acme.docs/shares', { to: 'partner' }))).toBe('SPACE_NOT_FOUND');
    expect(code(await call(root, 'POST', '/v1/spaces/acme.docs/shares', { to: 'acme.docs' }))).toBe('VALIDATION_FAILED');
    expect(code(await call(root, 'POST', '/v1/spaces/acme.docs/shares', { to: '../x' }))).toBe('INVALID_SPACE');
    expect(code(await call(root, 'POST', '/v1/spaces/acme.docs/shares', { to: 'partner', role: 'write' }))).toBe('VALIDATION_FAILED');
    expect(code(await call(root, 'DELETE', '/v1/spaces/acme.docs/shares/shr_nope'))).toBe('NOT_FOUND');
    expect(code(await call(root, 'POST', '/v1/search', { spaces: ['partner'], query: 'x' }, { 'x-memory-space': 'other' }))).toBe('SPACE_CONFLICT');
    expect(code(await call(root, 'POST', '/v1/search', { spaces: [], query: 'x' }))).toBe('VALIDATION_FAILED');
  });

  it('a space deleted and created again under the same name inherits no share', async () => {
    await call(root, 'POST', '/v1/spaces', { name: 'temp', isolation: 'shared', embedder: 'none', dimension: 2 });
    await call(root, 'POST', '/v1/spaces/acme.docs/shares', { to: 'temp' });
    const tempKey = (await call(root, 'POST', '/v1/keys', { name: 't', grants: [{ space: 'temp', role: 'read' }] })).body['key'] as string;
    expect((await search(tempKey, ['acme.docs'])).status).toBe(200);
    await call(root, 'DELETE', '/v1/spaces/temp');
    await call(root, 'POST', '/v1/spaces', { name: 'temp', isolation: 'shared', embedder: 'none', dimension: 2 });
    expect(code(await search(tempKey, ['acme.docs']))).toBe('SPACE_NOT_FOUND');
  });
});
