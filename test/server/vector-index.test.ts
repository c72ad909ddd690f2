import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { tempMemspace } from '../support/temp-memspace.js';

const DIM = 16;
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let seed = 3;
const random = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
const vector = (): number[] => Array.from({ length: DIM }, random);

type Json = Record<string, unknown>;
async function call(method: 'GET' | 'POST', url: string, payload?: unknown): Promise<{ status: number; body: Json }> {
  const r = await app.inject({ method, url, ...(payload !== undefined && { payload: payload as Json }) });
  return { status: r.statusCode, body: JSON.parse(r.body) as Json };
}
const hitIds = (body: Json): string[] => (body['results'] as { memory: { id: string } }[]).map((h) => h.memory.id);

beforeAll(async () => {
  ms = await tempMemspace({ config: { annThreshold: 300 } });
  app = await buildApp({ memspace: ms, auth: false });
  for (const name of ['indexed', 'neighbour']) {
    expect((await call('POST', '/v1/spaces', { name, embedder: 'none', dimension: DIM })).status).toBe(201);
    const memories = Array.from({ length: 600 }, (_, i) => ({ id: `m${i}`, content: `${name} ${i}`, embedding: vector() }));
    expect((await call('POST', `/v1/spaces/${name}/memories/batch`, { memories })).status).toBe(201);
    await ms.search.settleIndex(name);
  }
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

describe('vector index over HTTP', () => {
  it('reports the index in the space info and answers through it, with exact scores', async () => {
    const info = await call('GET', '/v1/spaces/indexed');
    expect((info.body['stats'] as Json)['vectorIndex']).toMatchObject({ state: 'ready', indexed: 600, lag: 0, threshold: 300 });
    const q = vector();
    const viaIndex = await call('POST', '/v1/spaces/indexed/search', { embedding: q, mode: 'vector', limit: 5 });
    const exact = await call('POST', '/v1/spaces/indexed/search', { embedding: q, mode: 'vector', limit: 5, exact: true });
    expect(viaIndex.status).toBe(200);
    expect(exact.status).toBe(200);
    // HNSW is approximate (its graph differs between builds): most of the true top 5, each
    // with the exact score of its memory, never an approximate one.
    const exactScores = new Map((exact.body['results'] as { memory: { id: string }; score: number }[]).map((h) => [h.memory.id, h.score]));
    const found = (viaIndex.body['results'] as { memory: { id: string }; score: number }[]).filter((h) => exactScores.has(h.memory.id));
    expect(found.length).toBeGreaterThanOrEqual(4);
    for (const h of found) expect(h.score).toBe(exactScores.get(h.memory.id));
  });

  it('refuses a non-boolean exact with VALIDATION_FAILED', async () => {
    const r = await call('POST', '/v1/spaces/indexed/search', { embedding: vector(), exact: 1 });
    expect(r.status).toBe(400);
    expect((r.body['error'] as Json)['code']).toBe('VALIDATION_FAILED');
  });

  it('never answers from another space: same ids, each space scores its own vectors', async () => {
    // A memory made identical to the query in one space only is the top hit there and nowhere else.
    const q = vector();
    await call('POST', '/v1/spaces/neighbour/memories', { id: 'planted', content: 'planted', embedding: q });
    const own = await call('POST', '/v1/spaces/neighbour/search', { embedding: q, mode: 'vector', limit: 3 });
    const other = await call('POST', '/v1/spaces/indexed/search', { embedding: q, mode: 'vector', limit: 600 });
    expect(hitIds(own.body)[0]).toBe('planted');
    expect(hitIds(other.body)).not.toContain('planted');
    const otherInfo = await call('GET', '/v1/spaces/indexed');
    expect((otherInfo.body['stats'] as Json)['vectorIndex']).toMatchObject({ lag: 0, indexed: 600 });
  });
});
