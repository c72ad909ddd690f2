import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { tempMemspace } from '../support/temp-memspace.js';

type Json = Record<string, unknown>;
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let root: string;
let tenantA: string;

async function call(key: string, method: string, url: string, payload?: unknown): Promise<{ status: number; body: Json; text: string }> {
  const r = await app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${key}` }, ...(payload !== undefined && { payload: payload as Json }) });
  return { status: r.statusCode, text: r.body, body: r.body === '' || !r.headers['content-type']?.toString().startsWith('application/json') ? {} : (JSON.parse(r.body) as Json) };
}
const code = (r: { body: Json }): unknown => (r.body['error'] as Json | undefined)?.['code'];

beforeAll(async () => {
  ms = await tempMemspace();
  root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms });
  for (const name of ['tenant-a', 'tenant-b']) {
    expect((await call(root, 'POST', '/v1/spaces', { name, embedder: 'none', dimension: 2 })).status).toBe(201);
    await call(root, 'POST', `/v1/spaces/${name}/memories`, { content: `${name} secret plan`, embedding: [1, 0] });
  }
  tenantA = (await call(root, 'POST', '/v1/keys', { name: 'a', grants: [{ space: 'tenant-a', role: 'admin' }] })).body['key'] as string;
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

describe('archive tiers over HTTP', () => {
  it('archives to one file, refuses requests with SPACE_ARCHIVED, and restores every memory', async () => {
    const before = await call(root, 'GET', '/v1/spaces/tenant-b/export');
    const archived = await call(root, 'POST', '/v1/spaces/tenant-b/archive');
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ space: { name: 'tenant-b', state: 'archived' } });
    expect(archived.body['archiveBytes']).toBeGreaterThan(0);
    expect(existsSync(join(ms.dataDir, 'spaces', 'tenant-b'))).toBe(false);
    expect(readdirSync(join(ms.dataDir, 'archive')).filter((f) => f.startsWith('tenant-b'))).toEqual(['tenant-b.tar.zst']);

    const refused = await call(root, 'POST', '/v1/spaces/tenant-b/search', { embedding: [1, 0], mode: 'vector' });
    expect(refused.status).toBe(409);
    expect(code(refused)).toBe('SPACE_ARCHIVED');
    const listed = await call(root, 'GET', '/v1/spaces?prefix=tenant-b');
    expect((listed.body['items'] as Json[])[0]).toMatchObject({ name: 'tenant-b', state: 'archived' });
    expect(code(await call(root, 'POST', '/v1/spaces/tenant-b/archive'))).toBe('SPACE_ARCHIVED');

    const restored = await call(root, 'POST', '/v1/spaces/tenant-b/restore');
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ name: 'tenant-b', state: 'idle' });
    const after = await call(root, 'GET', '/v1/spaces/tenant-b/export');
    const lines = (text: string): Json[] => text.trim().split('\n').map((l) => JSON.parse(l) as Json);
    const strip = (ls: Json[]): Json[] => ls.filter((l) => l['type'] !== 'space' && !(l['type'] === 'audit' && ['space.archive', 'space.restore'].includes(l['action'] as string)));
    expect(strip(lines(after.text))).toEqual(strip(lines(before.text)));
    expect(lines(after.text).filter((l) => l['type'] === 'audit').map((l) => l['action']).slice(-2)).toEqual(['space.archive', 'space.restore']);
    expect((await call(root, 'GET', '/v1/spaces/tenant-b/audit/verify')).body).toMatchObject({ ok: true });
    expect(code(await call(root, 'POST', '/v1/spaces/tenant-b/restore'))).toBe('CONFLICT');
  });

  it('never archives the default space', async () => {
    expect(code(await call(root, 'POST', '/v1/spaces/default/archive'))).toBe('VALIDATION_FAILED');
  });

  it('lets a scoped key neither archive, restore, sweep nor learn of another space', async () => {
    for (const action of ['archive', 'restore', 'sweep']) {
      const r = await call(tenantA, 'POST', `/v1/spaces/tenant-b/${action}`);
      expect(r.status).toBe(404);
      expect(code(r)).toBe('SPACE_NOT_FOUND');
      expect(r.text).not.toContain('secret');
    }
    const own = await call(tenantA, 'POST', '/v1/spaces/tenant-a/sweep');
    expect(own.body).toEqual({ deleted: 0 });
  });
});

describe('quotas over HTTP', () => {
  it('answers 429 QUOTA_EXCEEDED naming the quota, and a batch over it writes nothing', async () => {
    await call(root, 'POST', '/v1/spaces', { name: 'quota', embedder: 'none', dimension: 2, quotas: { maxMemories: 2 } });
    const batch = await call(root, 'POST', '/v1/spaces/quota/memories/batch', { memories: [1, 2, 3].map((i) => ({ content: `m${i}`, embedding: [1, i] })) });
    expect(batch.status).toBe(429);
    expect(batch.body['error']).toMatchObject({ code: 'QUOTA_EXCEEDED', details: { quota: 'maxMemories', limit: 2, current: 0, requested: 3 } });
    expect((await call(root, 'GET', '/v1/spaces/quota/memories')).body['items']).toEqual([]);
    const raised = await call(root, 'PATCH', '/v1/spaces/quota', { quotas: { maxMemories: 3 } });
    expect(raised.body).toMatchObject({ quotas: { maxMemories: 3 } });
    expect((await call(root, 'POST', '/v1/spaces/quota/memories/batch', { memories: [1, 2, 3].map((i) => ({ content: `m${i}`, embedding: [1, i] })) })).status).toBe(201);
  });
});

describe('contexts over HTTP', () => {
  it('stores and returns a context in its space only, in both route forms', async () => {
    const content = 'the whole conversation '.repeat(1000);
    const added = await call(tenantA, 'POST', '/v1/spaces/tenant-a/contexts', { content, summary: 'a conversation', embedding: [0, 1] });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ summary: 'a conversation', originalBytes: content.length });
    expect(added.body['content']).toBeUndefined();
    const id = added.body['id'] as string;
    const got = await app.inject({ method: 'GET', url: `/v1/contexts/${id}`, headers: { authorization: `Bearer ${tenantA}`, 'x-memory-space': 'tenant-a' } });
    expect((JSON.parse(got.body) as Json)['content']).toBe(content);
    const cross = await call(root, 'GET', `/v1/spaces/tenant-b/contexts/${id}`);
    expect(code(cross)).toBe('NOT_FOUND');
    const foreign = await call(tenantA, 'GET', `/v1/spaces/tenant-b/contexts/${id}`);
    expect(code(foreign)).toBe('SPACE_NOT_FOUND');
    expect(code(await call(tenantA, 'POST', '/v1/spaces/tenant-a/contexts', { content: 'x', bogus: 1 }))).toBe('VALIDATION_FAILED');
    expect((await call(tenantA, 'DELETE', `/v1/spaces/tenant-a/contexts/${id}`)).status).toBe(204);
  });
});
