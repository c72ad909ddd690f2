import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import type { SqliteSpaceStore } from '../../src/store/sqlite/sqlite-space-store.js';
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

describe('failures over HTTP', () => {
  it('serves every other space while one space is damaged, and reports it in health and status', async () => {
    await call(root, 'POST', '/v1/spaces', { name: 'fragile', embedder: 'none', dimension: 2 });
    await call(root, 'POST', '/v1/spaces/fragile/memories', { content: 'soon unreadable', embedding: [1, 0] });
    await ms.registry.closeSpace('fragile');
    const file = join(ms.dataDir, 'spaces', 'fragile', 'space.db');
    const good = readFileSync(file);
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
    writeFileSync(file, Buffer.concat([Buffer.from('this is not a database'.padEnd(100, '!')), good.subarray(100)]));

    const broken = await call(root, 'GET', '/v1/spaces/fragile/memories');
    expect(broken.status).toBe(503);
    expect(code(broken)).toBe('BACKEND_UNAVAILABLE');
    expect((await call(root, 'GET', '/v1/spaces/tenant-a/memories')).status).toBe(200);
    expect((await call(root, 'POST', '/v1/spaces/tenant-a/memories', { content: 'still writable', embedding: [0, 1] })).status).toBe(201);
    expect((await call(root, 'GET', '/v1/spaces/fragile/health')).body).toMatchObject({ name: 'fragile', state: 'damaged', open: false });
    expect((await call(root, 'GET', '/v1/health')).body).toMatchObject({ status: 'degraded', live: true, ready: true, damagedSpaces: 1 });

    writeFileSync(file, good); // repaired: the next use opens it again
    expect((await call(root, 'GET', '/v1/spaces/fragile/memories')).status).toBe(200);
    expect((await call(root, 'GET', '/v1/spaces/fragile/health')).body).toMatchObject({ state: 'active', memories: 1 });
    expect((await call(root, 'GET', '/v1/health')).body).toMatchObject({ status: 'ok', damagedSpaces: 0 });
  });

  it('answers 503 on a full disk, writes nothing, stays up, and writes again once space returns', async () => {
    await call(root, 'POST', '/v1/spaces', { name: 'full', embedder: 'none', dimension: 2 });
    await call(root, 'POST', '/v1/spaces/full/memories', { content: 'before the disk filled', embedding: [1, 0] });
    // SQLite's page budget fails writes with the SQLITE_FULL a full disk gives (the store tests also use a real tmpfs).
    const budget = await ms.registry.ifOpen('full', ({ store }) => (store as SqliteSpaceStore).setMaxPageCount(1));
    expect(budget).toBeGreaterThan(1);
    const big = { memories: Array.from({ length: 50 }, (_, i) => ({ content: `memory ${i} ${'x'.repeat(2000)}`, embedding: [1, i] })) };
    const refused = await call(root, 'POST', '/v1/spaces/full/memories/batch', big);
    expect(refused.status).toBe(503);
    expect(code(refused)).toBe('BACKEND_UNAVAILABLE');
    expect((await call(root, 'GET', '/v1/health')).status).toBe(200);
    expect(((await call(root, 'GET', '/v1/spaces/full/memories')).body['items'] as Json[]).map((m) => m['content'])).toEqual(['before the disk filled']);
    expect((await call(root, 'GET', '/v1/spaces/full/audit/verify')).body).toMatchObject({ ok: true });

    await ms.registry.ifOpen('full', ({ store }) => (store as SqliteSpaceStore).setMaxPageCount(1_000_000));
    expect((await call(root, 'POST', '/v1/spaces/full/memories/batch', big)).status).toBe(201);
    expect(((await call(root, 'GET', '/v1/spaces/full/memories?limit=100')).body['items'] as Json[]).length).toBe(51);
  });
});
