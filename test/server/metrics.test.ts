import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { tempMemspace } from '../support/temp-memspace.js';

type Json = Record<string, unknown>;
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let root: string;
let scoped: string;

beforeAll(async () => {
  // Two open spaces at most (default among them), so using three spaces evicts.
  ms = await tempMemspace({ config: { maxOpenSpaces: 2 } });
  root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms, metrics: { perSpace: true, spaceCap: 2 } });
  for (const name of ['s1', 's2', 's3']) {
    expect((await call(root, 'POST', '/v1/spaces', { name, embedder: 'none', dimension: 2 })).status).toBe(201);
  }
  scoped = (await call(root, 'POST', '/v1/keys', { name: 's1 writer', grants: [{ space: 's1', role: 'write' }] })).body['key'] as string;
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

async function call(key: string | undefined, method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const r = await app.inject({ method, url, headers: { ...(key !== undefined && { authorization: `Bearer ${key}` }), ...headers }, ...(payload !== undefined && { payload: payload as Json }) });
  return { status: r.statusCode, body: String(r.headers['content-type']).startsWith('application/json') ? (JSON.parse(r.body) as Json) : { text: r.body } };
}
async function scrape(): Promise<string> {
  const r = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${root}` } });
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return r.body;
}
/** The value of one series of the scrape, or undefined when absent. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
const code = (r: { body: Json }): unknown => (r.body['error'] as Json | undefined)?.['code'];

describe('GET /metrics', () => {
  it('counts requests by route template and status, never by raw URL', async () => {
    for (const space of ['s1', 's2', 's3']) {
      expect((await call(root, 'POST', `/v1/spaces/${space}/memories`, { content: 'x', embedding: [1, 0] })).status).toBe(201);
    }
    await call(root, 'POST', '/v1/memories', { content: 'y', embedding: [0, 1] }, { 'x-memory-space': 's1' });
    await call(root, 'GET', '/v1/no/such/route/123');
    const text = await scrape();
    expect(value(text, 'memspace_http_requests_total{method="POST",route="/v1/spaces/:space/memories",status="201"}')).toBe(3);
    expect(value(text, 'memspace_http_requests_total{method="POST",route="/v1/memories",status="201"}')).toBe(1);
    expect(value(text, 'memspace_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(text).toContain('memspace_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/v1/spaces/:space/memories",status="201"}');
    expect(text).not.toContain('/no/such/route');
    expect(text).not.toMatch(/route="\/v1\/spaces\/s1/);
  });

  it('reports registry and sweeper figures read at scrape time, evictions included', async () => {
    const text = await scrape();
    expect(value(text, 'memspace_open_spaces')).toBe(ms.registry.stats().open);
    expect(value(text, 'memspace_max_open_spaces')).toBe(2);
    expect(value(text, 'memspace_space_evictions_total')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'memspace_space_opens_total')).toBeGreaterThanOrEqual(3);
    expect(value(text, 'memspace_space_idle_closes_total')).toBe(0);
    expect(value(text, 'memspace_space_open_failures_total')).toBe(0);
    expect(value(text, 'memspace_sweeps_total')).toBe(ms.sweeper.stats().runs);
    expect(value(text, 'memspace_swept_memories_total')).toBe(ms.sweeper.stats().deleted);
    expect(value(text, 'memspace_compacted_events_total')).toBe(ms.sweeper.stats().compacted);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('labels at most spaceCap spaces, the rest as _other, and never names a space a request could not see', async () => {
    await call(scoped, 'GET', '/v1/spaces/s3/health'); // 404 to this key: not counted
    await call(root, 'GET', '/v1/spaces/ghost/health'); // no such space: not counted
    const text = await scrape();
    expect(value(text, 'memspace_space_requests_total{space="s1"}')).toBe(2);
    expect(value(text, 'memspace_space_requests_total{space="s2"}')).toBe(1);
    expect(value(text, 'memspace_space_requests_total{space="_other"}')).toBe(1);
    expect(text).not.toContain('space="s3"');
    expect(text).not.toContain('space="ghost"');
  });

  it('is refused to a scoped key (403) and to a request without a key (401)', async () => {
    const refused = await call(scoped, 'GET', '/metrics');
    expect(refused.status).toBe(403);
    expect(code(refused)).toBe('FORBIDDEN');
    expect((await call(undefined, 'GET', '/metrics')).status).toBe(401);
  });

  it('keeps one registry per app: a second app in the process starts from zero and is open without auth', async () => {
    const other = await buildApp({ memspace: ms, auth: false, metrics: { processMetrics: false } });
    try {
      const r = await other.inject({ method: 'GET', url: '/metrics' });
      expect(r.statusCode).toBe(200);
      expect(r.body).not.toContain('route="/v1/spaces/:space/memories"');
      expect(r.body).not.toContain('memspace_space_requests_total');
      expect(r.body).not.toContain('process_cpu_user_seconds_total');
    } finally {
      await other.close();
    }
  });
});

describe('per-space labels for a key that holds a project grant', () => {
  it('label the spaces of its project it uses, and no other', async () => {
    const own = await tempMemspace({});
    const ownApp = await buildApp({ memspace: own, metrics: { perSpace: true, spaceCap: 10 } });
    try {
      const admin = (await own.keys.ensureRootKey())!;
      const send = (key: string, method: 'GET' | 'POST', url: string, payload?: unknown): Promise<{ statusCode: number }> =>
        ownApp.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload !== undefined && { payload: payload as Json }) });
      expect((await send(admin, 'POST', '/v1/projects', { name: 'acme' })).statusCode).toBe(201);
      for (const [name, project] of [['in-acme', 'acme'], ['outside', undefined]] as const) {
        expect((await send(admin, 'POST', '/v1/spaces', { name, embedder: 'none', dimension: 2, ...(project && { project }) })).statusCode).toBe(201);
      }
      const created = await ownApp.inject({ method: 'POST', url: '/v1/keys', headers: { authorization: `Bearer ${admin}` }, payload: { name: 'acme reader', grants: [{ project: 'acme', role: 'read' }] } });
      const reader = (JSON.parse(created.body) as Json)['key'] as string;
      expect((await send(reader, 'GET', '/v1/spaces/in-acme/memories')).statusCode).toBe(200);
      expect((await send(reader, 'GET', '/v1/spaces/outside/memories')).statusCode).toBe(404);
      const text = (await ownApp.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${admin}` } })).body;
      expect(value(text, 'memspace_space_requests_total{space="in-acme"}')).toBe(1);
      expect(text).not.toContain('space="outside"');
    } finally {
      await ownApp.close();
      await own.cleanup();
    }
  });
});
