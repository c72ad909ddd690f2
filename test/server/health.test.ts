import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { tempMemspace } from '../support/temp-memspace.js';

type Json = Record<string, unknown>;
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let root: string;
let scoped: string;

beforeAll(async () => {
  ms = await tempMemspace();
  root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms, metrics: { processMetrics: false } });
  for (const name of ['alpha', 'beta', 'idle']) {
    expect((await call(root, 'POST', '/v1/spaces', { name, embedder: 'none', dimension: 2 })).status).toBe(201);
  }
  await call(root, 'POST', '/v1/spaces/beta/memories', { content: 'secret of beta', embedding: [1, 0] });
  const created = await call(root, 'POST', '/v1/keys', { name: 'alpha reader', grants: [{ space: 'alpha', role: 'read' }] });
  scoped = created.body['key'] as string;
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

async function call(key: string | undefined, method: 'GET' | 'POST', url: string, payload?: unknown): Promise<{ status: number; body: Json; raw: string }> {
  const r = await app.inject({ method, url, headers: key === undefined ? {} : { authorization: `Bearer ${key}` }, ...(payload !== undefined && { payload: payload as Json }) });
  return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json), raw: r.body };
}
const code = (r: { body: Json }): unknown => (r.body['error'] as Json | undefined)?.['code'];

describe('GET /v1/health', () => {
  it('answers without a key: live and ready, nothing about other tenants', async () => {
    const r = await call(undefined, 'GET', '/v1/health');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ok', live: true, ready: true });
    expect((await call(scoped, 'GET', '/v1/health')).body).toEqual({ status: 'ok', live: true, ready: true });
  });

  it('adds registry pressure for a key over every space, and refuses a bad key', async () => {
    const r = await call(root, 'GET', '/v1/health');
    expect(r.body).toEqual({ status: 'ok', live: true, ready: true, openSpaces: expect.any(Number), maxOpenSpaces: 256, damagedSpaces: 0 });
    expect((await call('msk_not_a_key', 'GET', '/v1/health')).status).toBe(401);
  });

  it('is 503, still with the health figures and a memspace error, when the catalogue does not answer', async () => {
    const spy = vi.spyOn(ms.registry.backend.spaces, 'list').mockRejectedValueOnce(new Error('disk gone'));
    try {
      const r = await call(undefined, 'GET', '/v1/health');
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ live: true, ready: false, status: 'degraded' });
      expect(code(r)).toBe('BACKEND_UNAVAILABLE');
    } finally {
      spy.mockRestore();
    }
    expect((await call(undefined, 'GET', '/v1/health')).status).toBe(200);
  });
});

describe('GET /v1/spaces/{space}/health', () => {
  it('reads an idle space from its files without opening it', async () => {
    await ms.registry.closeSpace('idle');
    const r = await call(root, 'GET', '/v1/spaces/idle/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'idle', state: 'idle', open: false, memories: 0, lastWriteAt: null, indexLag: null, registry: { cap: 256 } });
    expect(ms.registry.isOpen('idle')).toBe(false);
  });

  it('follows writes: memories, last write, open after use, and the figures survive a close', async () => {
    await ms.registry.closeSpace('alpha');
    const before = await call(root, 'GET', '/v1/spaces/alpha/health');
    expect(before.body).toMatchObject({ memories: 0, lastWriteAt: null, open: false });
    for (const content of ['one', 'two']) {
      expect((await call(root, 'POST', '/v1/spaces/alpha/memories', { content, embedding: [0, 1] })).status).toBe(201);
    }
    const after = await call(root, 'GET', '/v1/spaces/alpha/health');
    expect(after.body).toMatchObject({ name: 'alpha', state: 'active', open: true, memories: 2, indexLag: expect.any(Number) });
    expect(typeof after.body['lastWriteAt']).toBe('string');
    expect(after.body['bytes']).toBeGreaterThan(0);
    expect((after.body['registry'] as Json)['open']).toBeGreaterThanOrEqual(1);

    await ms.registry.closeSpace('alpha');
    const closed = await call(root, 'GET', '/v1/spaces/alpha/health');
    expect(closed.body).toMatchObject({ state: 'idle', open: false, memories: 2, lastWriteAt: after.body['lastWriteAt'] });
    expect(ms.registry.isOpen('alpha')).toBe(false);
  });

  it('never tells a scoped key that a space outside its grants exists', async () => {
    const own = await call(scoped, 'GET', '/v1/spaces/alpha/health');
    expect(own.status).toBe(200);
    expect(own.body['registry']).toBeNull(); // how busy the process is would tell of other tenants
    const hidden = await call(scoped, 'GET', '/v1/spaces/beta/health');
    const missing = await call(scoped, 'GET', '/v1/spaces/gamma/health');
    expect(hidden.status).toBe(404);
    expect(code(hidden)).toBe('SPACE_NOT_FOUND');
    // Word for word the answer about a space that does not exist, and nothing of beta's figures.
    expect(hidden.raw.replaceAll('beta', 'X')).toBe(missing.raw.replaceAll('gamma', 'X'));
    expect(hidden.raw).not.toContain('memories');
    expect((await call(undefined, 'GET', '/v1/spaces/alpha/health')).status).toBe(401);
  });

  it('refuses an invalid name and reports a missing space', async () => {
    expect(code(await call(root, 'GET', '/v1/spaces/bad%20name/health'))).toBe('INVALID_SPACE');
    expect(code(await call(root, 'GET', '/v1/spaces/nowhere/health'))).toBe('SPACE_NOT_FOUND');
  });

  it('is described in the OpenAPI document', async () => {
    const paths = (await call(undefined, 'GET', '/openapi.json')).body['paths'] as Json;
    expect(paths['/v1/health']).toHaveProperty('get');
    expect(paths['/v1/spaces/{space}/health']).toHaveProperty('get');
  });
});
