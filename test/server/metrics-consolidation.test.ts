import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { axisVector, tempMemspace } from '../support/temp-memspace.js';

type Json = Record<string, unknown>;
const DIM = 8;
const DAY = 86_400_000;
const v = (axis: number): number[] => axisVector(DIM, axis);
// A clock that moves only when a test moves it: a pass takes no time by it.
let clock = Date.parse('2026-11-01T00:00:00Z');
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let root: string;

beforeAll(async () => {
  ms = await tempMemspace({ now: () => clock });
  root = (await ms.keys.ensureRootKey())!;
});
afterAll(async () => {
  await ms.cleanup();
});

async function call(app: FastifyInstance, method: 'GET' | 'POST', url: string, payload?: unknown): Promise<{ status: number; body: Json; text: string }> {
  const r = await app.inject({ method, url, headers: { authorization: `Bearer ${root}` }, ...(payload !== undefined && { payload: payload as Json }) });
  return { status: r.statusCode, body: String(r.headers['content-type']).startsWith('application/json') ? (JSON.parse(r.body) as Json) : {}, text: r.body };
}
/** The value of one series of the scrape, or undefined when absent. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
/** A space with one repeat and one outdated fact: a pass merges one memory and supersedes one. */
async function seeded(app: FastifyInstance, name: string): Promise<void> {
  expect((await call(app, 'POST', '/v1/spaces', { name, embedder: 'none', dimension: DIM })).status).toBe(201);
  for (const m of [
    { content: 'The team standup is at 9:30', userId: 'dana', embedding: v(1) },
    { content: 'Note: the team standup is at 9:30.', userId: 'dana', embedding: v(1) },
    { content: 'Dana lives in Utrecht', userId: 'dana', metadata: { key: 'home_city' }, embedding: v(2) },
    { content: 'Dana moved to Berlin', userId: 'dana', metadata: { key: 'home_city' }, embedding: v(3) },
  ]) {
    expect((await call(app, 'POST', `/v1/spaces/${name}/memories`, m)).status).toBe(201);
  }
}

describe('consolidation metrics, without per-space series', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp({ memspace: ms, metrics: { processMetrics: false } });
  });
  afterAll(async () => {
    await app.close();
  });

  it('start at zero, count a completed pass and its duration, and never a dry run', async () => {
    const before = (await call(app, 'GET', '/metrics')).text;
    for (const name of ['runs', 'merged', 'superseded', 'decayed']) expect(value(before, `memspace_consolidation_${name}_total`)).toBe(0);
    expect(value(before, 'memspace_consolidation_run_duration_seconds_count')).toBe(0);

    await seeded(app, 'plain-a');
    expect((await call(app, 'POST', '/v1/spaces/plain-a/consolidate', { dryRun: true })).body).toMatchObject({ merged: 1, superseded: 1 });
    const dry = (await call(app, 'GET', '/metrics')).text;
    expect(value(dry, 'memspace_consolidation_runs_total')).toBe(0);
    expect(value(dry, 'memspace_consolidation_run_duration_seconds_count')).toBe(0);

    expect((await call(app, 'POST', '/v1/spaces/plain-a/consolidate', {})).body).toMatchObject({ merged: 1, superseded: 1 });
    const text = (await call(app, 'GET', '/metrics')).text;
    expect(value(text, 'memspace_consolidation_runs_total')).toBe(1);
    expect(value(text, 'memspace_consolidation_merged_total')).toBe(1);
    expect(value(text, 'memspace_consolidation_superseded_total')).toBe(1);
    // The clock did not move during the pass: it took 0 seconds by it, in the smallest bucket.
    expect(value(text, 'memspace_consolidation_run_duration_seconds_count')).toBe(1);
    expect(value(text, 'memspace_consolidation_run_duration_seconds_sum')).toBe(0);
    expect(value(text, 'memspace_consolidation_run_duration_seconds_bucket{le="0.01"}')).toBe(1);
    expect(text).not.toContain('space="plain-a"');
    expect(text).toContain('# TYPE memspace_consolidation_run_duration_seconds histogram');
    expect(text).toContain('# TYPE memspace_consolidation_merged_total counter');
    // The space's health tells the same pass, from the space's own record.
    const health = await call(app, 'GET', '/v1/spaces/plain-a/health');
    expect(health.body['consolidation']).toEqual({ lastRunAt: new Date(clock).toISOString(), runs: 1, merged: 1, superseded: 1, decayed: 0, ratePerMinute: 0.033, pending: 0 });
  });

  it('count memories retention dropped by decay, as the sweeper counts them', async () => {
    expect((await call(app, 'POST', '/v1/spaces', { name: 'plain-decay', embedder: 'none', dimension: DIM, consolidation: { importanceFloor: 0.1 } })).status).toBe(201);
    for (const axis of [1, 2]) expect((await call(app, 'POST', '/v1/spaces/plain-decay/memories', { content: `old ${axis}`, embedding: v(axis), importance: 0.8 })).status).toBe(201);
    clock += 100 * DAY; // 0.8 × 2^(−100/30) ≈ 0.079: under the floor
    expect(await ms.sweeper.sweepSpace('plain-decay')).toBe(2);
    const text = (await call(app, 'GET', '/metrics')).text;
    expect(value(text, 'memspace_consolidation_decayed_total')).toBe(2);
    expect(value(text, 'memspace_consolidation_decayed_total')).toBe(ms.sweeper.stats().decayed);
    // Decay is not a pass.
    expect(value(text, 'memspace_consolidation_runs_total')).toBe(1);
  });
});

describe('consolidation metrics, with per-space series', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp({ memspace: ms, metrics: { processMetrics: false, perSpace: true, spaceCap: 2 } });
  });
  afterAll(async () => {
    await app.close();
  });

  it("label each space's passes with its own name only, never another's, up to the cap", async () => {
    for (const name of ['lab-a', 'lab-b', 'lab-c']) await seeded(app, name);
    expect((await call(app, 'POST', '/v1/spaces/lab-a/consolidate', {})).status).toBe(200);
    const text = (await call(app, 'GET', '/metrics')).text;
    // plain-a's pass of the other app's test shows here too: these totals are the process's.
    expect(value(text, 'memspace_consolidation_merged_total{space="lab-a"}')).toBe(1);
    expect(value(text, 'memspace_consolidation_superseded_total{space="lab-a"}')).toBe(1);
    expect(value(text, 'memspace_consolidation_runs_total{space="lab-a"}')).toBe(1);
    expect(value(text, 'memspace_consolidation_run_duration_seconds_count{space="lab-a"}')).toBe(1);
    // lab-b had requests but no pass: no consolidation series of its own, and lab-a's are not its.
    expect(value(text, 'memspace_consolidation_merged_total{space="lab-b"}')).toBeUndefined();
    expect(value(text, 'memspace_consolidation_runs_total{space="lab-b"}')).toBeUndefined();

    expect((await call(app, 'POST', '/v1/spaces/lab-c/consolidate', {})).status).toBe(200);
    const capped = (await call(app, 'GET', '/metrics')).text;
    // Two labels at most (the request counts took lab-a and lab-b): plain-a and lab-c are "_other".
    expect(value(capped, 'memspace_consolidation_runs_total{space="_other"}')).toBe(2);
    expect(value(capped, 'memspace_consolidation_run_duration_seconds_count{space="_other"}')).toBe(1);
    expect(capped).not.toContain('space="lab-c"');
    expect(capped).not.toContain('space="plain-a"');
    expect(value(capped, 'memspace_consolidation_runs_total{space="lab-a"}')).toBe(1);
  });
});
