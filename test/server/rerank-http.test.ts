import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { startFakeReranker, type FakeReranker, type RerankAnswer, type SeenRerank } from '../support/fake-reranker.js';
import { tempMemspace } from '../support/temp-memspace.js';

/**
 * `rerank: true` on POST …/search against a real HTTP stand-in of a rerank endpoint: the order
 * and scores come from the reranker, the first stage is deeper and unthresholded, bad requests
 * and a failing endpoint answer with stable codes, and no search ever sends the reranker, or
 * returns, a memory of a space it does not search.
 */

type Json = Record<string, unknown>;
const QUERY = [1, 0, 0, 0];
const API_KEY = 'secret-rerank-key';

/** doc-0 … doc-7: cosine with QUERY falls as i grows, so the vector ranking is doc-0 first, doc-7 last. */
const DOCS = Array.from({ length: 8 }, (_, i) => ({ id: `doc-${i}`, content: `doc-${i} of the kb`, embedding: [1, i * 0.5, 0, 0] }));
/** What the stand-in thinks of each: an order unlike the vector ranking. */
const RERANK: Record<string, number> = { 'doc-0': 0.2, 'doc-1': 0.1, 'doc-2': 0.3, 'doc-3': 0.05, 'doc-4': 0.95, 'doc-5': 0.6, 'doc-6': 0.4, 'doc-7': 0.7 };
const scoreOf = (document: string): number => RERANK[document.split(' ')[0]!] ?? (document.startsWith('B:') ? 0.99 : 0.5);

interface Server {
  app: FastifyInstance;
  root: string;
  close(): Promise<void>;
}

/** A server over a memspace, with the stand-in as its reranker (sending at least 5 candidates) or without one. */
async function serve(rerankBaseUrl?: string): Promise<Server & { ms: Awaited<ReturnType<typeof tempMemspace>> }> {
  const config = rerankBaseUrl === undefined ? {} : { rerankBaseUrl, rerankModel: 'fake-reranker', rerankApiKey: API_KEY, rerankTopN: 5, rerankTimeoutMs: 300 };
  const ms = await tempMemspace({ config });
  const root = (await ms.keys.ensureRootKey())!;
  const app = await buildApp({ memspace: ms });
  return {
    ms,
    app,
    root,
    async close() {
      await app.close();
      await ms.cleanup();
    },
  };
}

async function post(s: Server, url: string, payload: Json, key = s.root): Promise<{ status: number; body: Json }> {
  const r = await s.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}` }, payload });
  return { status: r.statusCode, body: JSON.parse(r.body) as Json };
}

type Hit = { memory: { id: string; content: string }; score: number; scores: Record<string, number>; space?: string };
const hitsOf = (body: Json): Hit[] => body['results'] as Hit[];
const errorOf = (body: Json): Json => body['error'] as Json;

let reranker: FakeReranker;
let answer: (request: SeenRerank) => RerankAnswer;
let s: Awaited<ReturnType<typeof serve>>;

beforeAll(async () => {
  reranker = await startFakeReranker((r) => answer(r));
  s = await serve(reranker.url);
  expect((await post(s, '/v1/spaces', { name: 'kb', embedder: 'none', dimension: 4 })).status).toBe(201);
  expect((await post(s, '/v1/spaces/kb/memories/batch', { memories: DOCS })).status).toBe(201);
});
afterAll(async () => {
  await s.close();
  await reranker.close();
});

describe('reranked search over HTTP', () => {
  it('orders the first stage\'s top candidates by the reranker\'s scores, keeping the first-stage score as relevance', async () => {
    answer = (r) => r.documents.map(scoreOf);
    const plain = hitsOf((await post(s, '/v1/spaces/kb/search', { query: 'which doc?', embedding: QUERY, mode: 'vector', limit: 8 })).body);
    expect(plain.map((h) => h.memory.id)).toEqual(DOCS.map((d) => d.id));
    const firstStage = new Map(plain.map((h) => [h.memory.id, h.score]));

    const sent = reranker.requests.length;
    const r = await post(s, '/v1/spaces/kb/search', { query: 'which doc?', embedding: QUERY, mode: 'vector', limit: 3, rerank: true });
    expect(r.status).toBe(200);
    // Five candidates (rerankTopN) went, in first-stage order; the best of them by the reranker ranked fifth before.
    expect(reranker.requests.slice(sent)).toEqual([
      { path: '/v1/rerank', authorization: `Bearer ${API_KEY}`, model: 'fake-reranker', query: 'which doc?', documents: DOCS.slice(0, 5).map((d) => d.content), topN: 5 },
    ]);
    const hits = hitsOf(r.body);
    expect(hits.map((h) => h.memory.id)).toEqual(['doc-4', 'doc-2', 'doc-0']);
    for (const hit of hits) {
      expect(hit.score).toBe(RERANK[hit.memory.id]);
      expect(hit.scores).toEqual({ vector: firstStage.get(hit.memory.id), relevance: firstStage.get(hit.memory.id), rerank: RERANK[hit.memory.id] });
    }
  });

  it('sends every candidate when the limit is above the configured number, and the order is the reranker\'s throughout', async () => {
    answer = (r) => r.documents.map(scoreOf);
    const sent = reranker.requests.length;
    const hits = hitsOf((await post(s, '/v1/spaces/kb/search', { query: 'which doc?', embedding: QUERY, mode: 'vector', limit: 8, rerank: true })).body);
    expect(reranker.requests.slice(sent).map((r) => r.documents.length)).toEqual([8]);
    expect(hits.map((h) => h.memory.id)).toEqual(['doc-4', 'doc-7', 'doc-5', 'doc-6', 'doc-2', 'doc-0', 'doc-1', 'doc-3']);
  });

  it('applies the threshold to the reranker\'s score, after reranking, never to the first stage\'s', async () => {
    answer = (r) => r.documents.map(scoreOf);
    // doc-4's cosine is about 0.45: a threshold of 0.5 before reranking would have dropped it.
    const hits = hitsOf((await post(s, '/v1/spaces/kb/search', { query: 'which doc?', embedding: QUERY, mode: 'vector', limit: 3, threshold: 0.5, rerank: true })).body);
    expect(hits.map((h) => [h.memory.id, h.score])).toEqual([['doc-4', 0.95]]);
    expect(hits[0]!.scores['relevance']).toBeLessThan(0.5);
  });

  it('reranks keyword and hybrid searches too', async () => {
    answer = (r) => r.documents.map(scoreOf);
    const keyword = hitsOf((await post(s, '/v1/spaces/kb/search', { query: 'kb', mode: 'keyword', limit: 2, rerank: true })).body);
    expect(keyword.map((h) => h.memory.id)).toEqual(['doc-4', 'doc-2']);
    expect(keyword[0]!.scores).toEqual({ keyword: expect.any(Number), relevance: expect.any(Number), rerank: 0.95 });
    const hybrid = hitsOf((await post(s, '/v1/spaces/kb/search', { query: 'kb', embedding: QUERY, limit: 1, rerank: true })).body);
    expect(hybrid.map((h) => h.memory.id)).toEqual(['doc-4']);
  });

  it('refuses a rerank without a query, with rank weights, or not a boolean: 400 VALIDATION_FAILED, nothing sent', async () => {
    const sent = reranker.requests.length;
    const cases: [Json, RegExp][] = [
      [{ embedding: QUERY, rerank: true }, /rerank needs a query/],
      [{ query: 'kb', embedding: QUERY, rerank: true, rank: { recency: 0.3 } }, /rerank and rank weights cannot be combined/],
      [{ query: 'kb', embedding: QUERY, rerank: 'yes' }, /rerank/],
    ];
    for (const [payload, message] of cases) {
      const r = await post(s, '/v1/spaces/kb/search', payload);
      expect([r.status, errorOf(r.body)['code']], JSON.stringify(payload)).toEqual([400, 'VALIDATION_FAILED']);
      expect(JSON.stringify(errorOf(r.body)), JSON.stringify(payload)).toMatch(message);
    }
    expect(reranker.requests.length).toBe(sent);
  });

  it('answers 503 BACKEND_UNAVAILABLE when the endpoint fails, stalls or answers what cannot be read, never a wrong order', async () => {
    const cases: [RerankAnswer | ((r: SeenRerank) => RerankAnswer), RegExp][] = [
      [500, /answered HTTP 500/],
      ['stall', /did not answer within 300 ms/],
      [{ raw: 'Internal Server Error' }, /malformed JSON/],
      [{ raw: '{"results":[{"index":7,"relevance_score":0.5}]}' }, /out of range/],
      [(r) => r.documents.slice(1).map(scoreOf), /scores for 5 documents/],
    ];
    for (const [given, message] of cases) {
      answer = typeof given === 'function' ? given : () => given;
      const r = await post(s, '/v1/spaces/kb/search', { query: 'which doc?', embedding: QUERY, mode: 'vector', limit: 3, rerank: true });
      expect([r.status, errorOf(r.body)['code']], String(message)).toEqual([503, 'BACKEND_UNAVAILABLE']);
      expect(errorOf(r.body)['message'], String(message)).toMatch(message);
      expect(JSON.stringify(r.body)).not.toContain(API_KEY);
    }
    // The server is fine afterwards: the same search without rerank answers.
    expect((await post(s, '/v1/spaces/kb/search', { query: 'which doc?', embedding: QUERY, mode: 'vector', limit: 3 })).status).toBe(200);
  });

  it('refuses rerank with 400 VALIDATION_FAILED on a server without a reranker, and searches without it as always', async () => {
    const bare = await serve();
    try {
      const r = await post(bare, '/v1/spaces/default/search', { query: 'anything', mode: 'keyword', rerank: true });
      expect([r.status, errorOf(r.body)['code']]).toEqual([400, 'VALIDATION_FAILED']);
      expect(errorOf(r.body)['message']).toMatch(/rerank needs a reranker: configure MEMSPACE_RERANK_BASE_URL/);
      expect((await post(bare, '/v1/spaces/default/search', { query: 'anything', mode: 'keyword', rerank: false })).status).toBe(200);
    } finally {
      await bare.close();
    }
  });
});

describe('reranking keeps spaces apart', () => {
  // B's memories sit exactly on the query and the stand-in loves them (0.99): a leak would rank them first.
  beforeAll(async () => {
    for (const [space, prefix] of [['ra', 'A:'], ['rb', 'B:'], ['rc', 'C:']] as const) {
      expect((await post(s, '/v1/spaces', { name: space, embedder: 'none', dimension: 4 })).status).toBe(201);
      const memories = Array.from({ length: 4 }, (_, i) => ({ content: `${prefix} shared words note ${i}`, embedding: [1, prefix === 'A:' ? i * 0.5 + 0.5 : 0, 0, 0] }));
      expect((await post(s, `/v1/spaces/${space}/memories/batch`, { memories })).status).toBe(201);
    }
  });

  it('a reranked search of one space sends and returns that space\'s memories only', async () => {
    answer = (r) => r.documents.map(scoreOf);
    const sent = reranker.requests.length;
    const hits = hitsOf((await post(s, '/v1/spaces/ra/search', { query: 'shared words', embedding: QUERY, limit: 10, rerank: true })).body);
    expect(hits).toHaveLength(4);
    expect(hits.every((h) => h.memory.content.startsWith('A:'))).toBe(true);
    const requests = reranker.requests.slice(sent);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.documents.every((d) => d.startsWith('A:'))).toBe(true);
  });

  it('a reranked search across spaces sends each space\'s candidates on their own, none of a space not searched, and merges by the reranker\'s score', async () => {
    answer = (r) => r.documents.map(scoreOf);
    const sent = reranker.requests.length;
    const r = await post(s, '/v1/search', { spaces: ['ra', 'rb'], query: 'shared words', embedding: QUERY, limit: 6, rerank: true });
    expect(r.status).toBe(200);
    const requests = reranker.requests.slice(sent);
    expect(requests.map((q) => q.documents[0]!.slice(0, 2)).sort()).toEqual(['A:', 'B:']);
    for (const q of requests) expect(new Set(q.documents.map((d) => d.slice(0, 2))).size).toBe(1);
    const hits = hitsOf(r.body);
    expect(hits.map((h) => [h.space, h.memory.content.slice(0, 2)])).toEqual([...Array(4).fill(['rb', 'B:']), ['ra', 'A:'], ['ra', 'A:']]);
    expect(hits.map((h) => h.score)).toEqual([0.99, 0.99, 0.99, 0.99, 0.5, 0.5]);
  });

  it('a key that cannot read a space gets SPACE_NOT_FOUND for a search across it, and nothing of either space reaches the reranker', async () => {
    const { key } = await s.ms.keys.create({ name: 'ra reader', grants: [{ space: 'ra', role: 'read' }] });
    answer = (r) => r.documents.map(scoreOf);
    const sent = reranker.requests.length;
    const r = await post(s, '/v1/search', { spaces: ['ra', 'rb'], query: 'shared words', embedding: QUERY, rerank: true }, key);
    expect([r.status, errorOf(r.body)['code']]).toEqual([404, 'SPACE_NOT_FOUND']);
    expect(reranker.requests.length).toBe(sent);
    const own = await post(s, '/v1/spaces/ra/search', { query: 'shared words', embedding: QUERY, rerank: true }, key);
    expect(hitsOf(own.body).map((h) => h.memory.content.slice(0, 2))).toEqual(['A:', 'A:', 'A:', 'A:']);
    expect(reranker.requests.slice(sent).flatMap((q) => q.documents).every((d) => d.startsWith('A:'))).toBe(true);
  });
});
