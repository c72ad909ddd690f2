import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEALTH_WINDOW_MS, HealthSampler, MAX_HEALTH_SAMPLES } from '../../src/engine/health-samples.js';
import type { MemspaceEngine } from '../../src/memspace.js';
import { buildApp } from '../../src/server/app.js';
import { ENGINE_BACKENDS } from '../support/engine-backends.js';

type Json = Record<string, unknown>;
let ms: MemspaceEngine;
let stop: () => Promise<void>;
let app: FastifyInstance;
let root: string;
let scoped: string;

async function setUp(open: (typeof ENGINE_BACKENDS)[number]['open']): Promise<void> {
  ({ ms, stop } = await open());
  // The background rounds are stopped: the test takes its samples itself.
  await ms.health.sampler.stop();
  root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms, metrics: { processMetrics: false } });
  for (const name of ['alpha', 'alpha-2', 'beta', 'cold']) {
    expect((await call(root, 'POST', '/v1/spaces', { name, embedder: 'none', dimension: 2, quotas: { maxMemories: 10 } })).status).toBe(201);
  }
  await call(root, 'POST', '/v1/spaces/beta/memories', { content: 'secret of beta', embedding: [1, 0] });
  await call(root, 'POST', '/v1/spaces/alpha/memories', { content: 'first of alpha', embedding: [0, 1] });
  const created = await call(root, 'POST', '/v1/keys', { name: 'alpha reader', grants: [{ space: 'alpha', role: 'read' }] });
  scoped = created.body['key'] as string;
}

async function tearDown(): Promise<void> {
  await app?.close();
  await stop?.();
}

async function call(key: string, method: 'GET' | 'POST', url: string, payload?: unknown): Promise<{ status: number; body: Json }> {
  const r = await app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload !== undefined && { payload: payload as Json }) });
  return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json) };
}
const code = (r: { body: Json }): unknown => (r.body['error'] as Json | undefined)?.['code'];
const names = (r: { body: Json }): string[] => (r.body['items'] as Json[]).map((i) => i['name'] as string);

describe.each(ENGINE_BACKENDS)('space health over HTTP on $name', ({ open }) => {
beforeAll(() => setUp(open), 120_000);
afterAll(tearDown);

describe('GET /v1/health/spaces', () => {
  it('pages the visible spaces with their figures, without opening closed ones', async () => {
    await ms.registry.closeSpace('cold');
    const first = await call(root, 'GET', '/v1/health/spaces?limit=2');
    expect(first.status).toBe(200);
    expect(names(first)).toEqual(['alpha', 'alpha-2']);
    expect(first.body['nextCursor']).toBe('alpha-2');
    const alpha = (first.body['items'] as Json[])[0]!;
    expect(alpha).toMatchObject({ name: 'alpha', memories: 1, quotas: { maxMemories: 10 }, retentionDays: null, project: null });
    expect(alpha['payloadBytes']).toBeGreaterThan(0);
    const rest = await call(root, 'GET', `/v1/health/spaces?cursor=${first.body['nextCursor'] as string}`);
    expect(names(rest)).toEqual(['beta', 'cold', 'default']);
    expect((rest.body['items'] as Json[])[1]).toMatchObject({ name: 'cold', state: 'idle', open: false, memories: 0, indexLag: null });
    expect(ms.registry.isOpen('cold')).toBe(false);
    expect(names(await call(root, 'GET', '/v1/health/spaces?prefix=alpha'))).toEqual(['alpha', 'alpha-2']);
  });

  it('shows a scoped key its own spaces only, and never counts the others', async () => {
    const r = await call(scoped, 'GET', '/v1/health/spaces');
    expect(r.status).toBe(200);
    expect(names(r)).toEqual(['alpha']);
    expect(r.body['nextCursor']).toBeNull();
    expect(JSON.stringify(r.body)).not.toContain('beta');
    expect(names(await call(scoped, 'GET', '/v1/health/spaces?prefix=beta'))).toEqual([]);
  });

  it('refuses a bad query with VALIDATION_FAILED', async () => {
    for (const query of ['limit=0', 'limit=1001', 'limit=many', 'sort=name']) {
      const r = await call(root, 'GET', `/v1/health/spaces?${query}`);
      expect(r.status, query).toBe(400);
      expect(code(r)).toBe('VALIDATION_FAILED');
    }
  });
});

describe('GET /v1/spaces/{space}/health/history', () => {
  it('is an empty list for a space never sampled, then the samples, with writes between them', async () => {
    const empty = await call(root, 'GET', '/v1/spaces/alpha-2/health/history');
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ space: 'alpha-2', intervalMs: 0, samples: [] });
    await call(root, 'GET', '/v1/spaces/alpha/memories?limit=1'); // opens alpha
    await ms.health.sampler.sample();
    await call(root, 'POST', '/v1/spaces/alpha/memories', { content: 'second of alpha', embedding: [0, 1] });
    await ms.health.sampler.sample();
    const r = await call(root, 'GET', '/v1/spaces/alpha/health/history');
    expect(r.status).toBe(200);
    const samples = r.body['samples'] as Json[];
    expect(samples).toHaveLength(2);
    expect(samples[0]).toMatchObject({ memories: 1, writes: null, indexLag: expect.any(Number) });
    expect(samples[1]).toMatchObject({ memories: 2, writes: 1 });
    expect(samples[1]!['payloadBytes']).toBeGreaterThan(samples[0]!['payloadBytes'] as number);
    expect(typeof samples[0]!['at']).toBe('string');
    // The scoped reader of alpha reads it too.
    expect((await call(scoped, 'GET', '/v1/spaces/alpha/health/history')).body['samples']).toHaveLength(2);
  });

  it('is SPACE_NOT_FOUND for a space the key cannot see, exactly as for a missing one', async () => {
    await call(root, 'GET', '/v1/spaces/beta/memories?limit=1');
    await ms.health.sampler.sample();
    const hidden = await call(scoped, 'GET', '/v1/spaces/beta/health/history');
    const missing = await call(scoped, 'GET', '/v1/spaces/nope/health/history');
    expect(hidden.status).toBe(404);
    expect(code(hidden)).toBe('SPACE_NOT_FOUND');
    expect(code(missing)).toBe('SPACE_NOT_FOUND');
    expect(JSON.stringify(hidden.body)).not.toContain('secret');
    expect(code(await call(root, 'GET', '/v1/spaces/nope/health/history'))).toBe('SPACE_NOT_FOUND');
  });

  it("drops a deleted space's samples", async () => {
    await call(root, 'POST', '/v1/spaces', { name: 'gone', embedder: 'none', dimension: 2 });
    await call(root, 'POST', '/v1/spaces/gone/memories', { content: 'x', embedding: [1, 0] });
    await ms.health.sampler.sample();
    expect(ms.health.sampler.samplesOf('gone')).toHaveLength(1);
    expect((await app.inject({ method: 'DELETE', url: '/v1/spaces/gone', headers: { authorization: `Bearer ${root}` } })).statusCode).toBeLessThan(300);
    expect(ms.health.sampler.samplesOf('gone')).toEqual([]);
  });
});

});

describe('the health sampler', () => {
  beforeAll(() => setUp(ENGINE_BACKENDS[0]!.open));
  afterAll(tearDown);

  it('keeps at most an hour (and 60 samples) per space, and forgets spaces closed for an hour', async () => {
    let clock = Date.parse('2026-12-07T10:00:00Z');
    const sampler = new HealthSampler(ms.registry, () => clock);
    await call(root, 'GET', '/v1/spaces/alpha/memories?limit=1');
    for (let i = 0; i < 100; i++) {
      clock += 60_000;
      await sampler.sample();
    }
    const samples = sampler.samplesOf('alpha');
    expect(samples).toHaveLength(MAX_HEALTH_SAMPLES);
    expect(Date.parse(samples[0]!.at)).toBeGreaterThan(clock - HEALTH_WINDOW_MS);
    expect(Date.parse(samples.at(-1)!.at)).toBe(clock);
    // Sampled every 10 minutes: the ring is bounded by the hour, not by the count.
    const sparse = new HealthSampler(ms.registry, () => clock);
    for (let i = 0; i < 12; i++) {
      await sparse.sample();
      clock += 600_000;
    }
    expect(sparse.samplesOf('alpha').length).toBeLessThanOrEqual(6);
    await ms.registry.closeSpace('alpha');
    clock += HEALTH_WINDOW_MS;
    await sparse.sample();
    expect(sparse.samplesOf('alpha')).toEqual([]);
  });

  it('runs in the background at its interval and stops', async () => {
    const sampler = new HealthSampler(ms.registry);
    await call(root, 'GET', '/v1/spaces/beta/memories?limit=1');
    sampler.start(20);
    expect(sampler.intervalMs).toBe(20);
    await expect.poll(() => sampler.samplesOf('beta').length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    await sampler.stop();
    expect(sampler.intervalMs).toBe(0);
  });
});
