import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { tempMemspace } from '../support/temp-memspace.js';

type Json = Record<string, unknown>;
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let base: string;
let root: string;
const keys: Record<'reader' | 'writer' | 'other', string> = { reader: '', writer: '', other: '' };
const memories: Record<string, string> = {};

async function call(key: string, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const r = await app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${key}`, ...headers }, ...(payload !== undefined && { payload: payload as Json }) });
  return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json) };
}
const code = (r: { body: Json }): unknown => (r.body['error'] as Json | undefined)?.['code'];
const search = { embedding: [1, 0, 0, 0], mode: 'vector', limit: 2 };
const order = (r: { body: Json }): string[] => (r.body['results'] as { memory: { id: string } }[]).map((h) => h.memory.id);
const documents = [
  { id: 'pasta', text: 'How to cook pasta al dente in salted water' },
  { id: 'tyres', text: 'Changing the winter tyres of a car' },
];

beforeAll(async () => {
  ms = await tempMemspace();
  root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms, metrics: { processMetrics: false, perSpace: true } });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  for (const name of ['fb-a', 'fb-b']) {
    expect((await call(root, 'POST', '/v1/spaces', { name, embedder: 'none', dimension: 4 })).status).toBe(201);
    for (const [tag, embedding] of [['close', [0.9, Math.sqrt(0.19), 0, 0]], ['second', [0.85, Math.sqrt(1 - 0.85 ** 2), 0, 0]]] as const) {
      memories[`${name}/${tag}`] = (await call(root, 'POST', `/v1/spaces/${name}/memories`, { content: `${name} ${tag}`, embedding })).body['id'] as string;
    }
  }
  expect((await call(root, 'POST', '/v1/spaces', { name: 'fb-text' })).status).toBe(201);
  const key = async (name: string, space: string, role: string): Promise<string> => (await call(root, 'POST', '/v1/keys', { name, grants: [{ space, role }] })).body['key'] as string;
  keys.reader = await key('reader', 'fb-a', 'read');
  keys.writer = await key('writer', 'fb-a', 'write');
  keys.other = await key('other', 'fb-b', 'admin');
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

describe('feedback over HTTP', () => {
  it('records signals, reranks a search that weighs them, shows them in health, metrics and the event stream, and resets', async () => {
    const abort = new AbortController();
    // The stream's headers arrive once it has settled where `latest` is: the feedback below comes after.
    const stream = await fetch(`${base}/v1/spaces/fb-a/events?after=latest`, { headers: { authorization: `Bearer ${root}` }, signal: abort.signal });
    const given = await call(keys.writer, 'POST', '/v1/spaces/fb-a/feedback', { query: 'which one', results: [{ id: memories['fb-a/second'], signal: 'helpful' }, { id: memories['fb-a/close'], signal: 'used' }] });
    expect(given.status).toBe(200);
    expect(given.body).toMatchObject({ recorded: 2, narrative: { updates: 1 } });
    expect(order(await call(keys.reader, 'POST', '/v1/spaces/fb-a/search', search))).toEqual([memories['fb-a/close'], memories['fb-a/second']]);
    const weighed = await call(keys.reader, 'POST', '/v1/spaces/fb-a/search', { ...search, rank: { feedback: 1 } });
    expect(order(weighed)).toEqual([memories['fb-a/second'], memories['fb-a/close']]);
    expect((weighed.body['results'] as { scores: Json }[])[0]!.scores['feedback']).toBeGreaterThan(0);
    expect((await call(keys.reader, 'GET', '/v1/spaces/fb-a/health')).body['feedback']).toMatchObject({ reinforced: 2, narrativeAgeSeconds: expect.any(Number) });
    const scrape = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${root}` } });
    expect(scrape.body).toContain('memspace_feedback_signals_total{signal="helpful",space="fb-a"} 1');
    expect(scrape.body).toContain('memspace_feedback_signals_total{signal="used",space="fb-a"} 1');
    const reader = stream.body!.getReader();
    let text = '';
    while (!text.includes('event: feedback.recorded')) text += new TextDecoder().decode((await reader.read()).value);
    abort.abort();

    // Reset is an admin's: the writer is refused, the root key clears the state.
    expect(code(await call(keys.writer, 'POST', '/v1/spaces/fb-a/feedback/reset'))).toBe('FORBIDDEN');
    expect((await call(root, 'POST', '/v1/spaces/fb-a/feedback/reset')).body).toEqual({ pheromones: 2, narrative: true });
    expect(order(await call(keys.reader, 'POST', '/v1/spaces/fb-a/search', { ...search, rank: { feedback: 1 } }))).toEqual([memories['fb-a/close'], memories['fb-a/second']]);
  });

  it('answers bad input with VALIDATION_FAILED, a read-only key with FORBIDDEN, and a missing id with NOT_FOUND', async () => {
    const url = '/v1/spaces/fb-a/feedback';
    for (const body of [{}, { results: [{ id: 'x', signal: 'meh' }] }, { results: [{ id: 'x', signal: 'used' }], extra: 1 }, { results: [{ id: 'x', signal: 'used' }], weight: 11 }]) {
      const r = await call(keys.writer, 'POST', url, body);
      expect([r.status, code(r)]).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect(code(await call(keys.reader, 'POST', url, { results: [{ id: memories['fb-a/close'], signal: 'used' }] }))).toBe('FORBIDDEN');
    const missing = await call(keys.writer, 'POST', url, { results: [{ id: memories['fb-b/close'], signal: 'helpful' }] });
    expect([missing.status, code(missing)]).toEqual([404, 'NOT_FOUND']);
    const rerank = await call(keys.reader, 'POST', '/v1/spaces/fb-a/rerank', { query: 'q', documents: [{ id: 'd', text: '' }] });
    expect([rerank.status, code(rerank)]).toEqual([400, 'VALIDATION_FAILED']);
    expect(code(await call(keys.writer, 'POST', '/v1/spaces/fb-a/search', { ...search, rank: { feedback: 2 } }))).toBe('VALIDATION_FAILED');
  });

  it('reranks documents for the space named by the path, X-Memory-Space or X-NeuralCache-Namespace, refusing two different names', async () => {
    const byPath = await call(root, 'POST', '/v1/spaces/fb-text/rerank', { query: 'cooking pasta', documents });
    expect(byPath.status).toBe(200);
    expect((byPath.body['results'] as Json[]).map((r) => r['id'])).toEqual(['pasta', 'tyres']);
    const byAlias = await call(root, 'POST', '/v1/rerank', { query: 'cooking pasta', documents }, { 'x-neuralcache-namespace': 'fb-text' });
    expect(byAlias.body).toEqual(byPath.body);
    expect((await call(root, 'POST', '/v1/rerank', { query: 'cooking pasta', documents }, { 'x-memory-space': 'FB-TEXT', 'x-neuralcache-namespace': 'fb-text' })).status).toBe(200);
    const conflict = await call(root, 'POST', '/v1/rerank', { query: 'cooking pasta', documents }, { 'x-memory-space': 'fb-a', 'x-neuralcache-namespace': 'fb-text' });
    expect([conflict.status, code(conflict)]).toEqual([400, 'SPACE_CONFLICT']);
    // The alias names the space of this route only: elsewhere it is not read.
    const elsewhere = await call(root, 'POST', '/v1/search', { query: 'pasta', mode: 'keyword' }, { 'x-neuralcache-namespace': 'fb-text' });
    expect(elsewhere.status).toBe(200);
  });

  it("never lets a key of one space give feedback to, reset, rerank with or learn of another's", async () => {
    const before = await call(root, 'POST', '/v1/spaces/fb-a/search', { ...search, rank: { feedback: 0.5, narrative: 0.5 } });
    for (const [method, url, body, headers] of [
      ['POST', '/v1/spaces/fb-a/feedback', { results: [{ id: memories['fb-a/close'], signal: 'wrong' }] }, {}],
      ['POST', '/v1/feedback', { results: [{ id: memories['fb-a/close'], signal: 'wrong' }] }, { 'x-memory-space': 'fb-a' }],
      ['POST', '/v1/spaces/fb-a/feedback/reset', undefined, {}],
      ['POST', '/v1/spaces/fb-a/rerank', { query: 'q', documents }, {}],
      ['POST', '/v1/rerank', { query: 'q', documents }, { 'x-neuralcache-namespace': 'fb-a' }],
      ['POST', '/v1/spaces/nowhere/feedback', { results: [{ id: 'x', signal: 'used' }] }, {}],
    ] as const) {
      const r = await call(keys.other, method, url, body, headers);
      expect([url, r.status, code(r)]).toEqual([url, 404, 'SPACE_NOT_FOUND']);
    }
    // Its own space's feedback is its own, and an id of fb-a is not found there.
    expect(code(await call(keys.other, 'POST', '/v1/feedback', { results: [{ id: memories['fb-a/second'], signal: 'helpful' }] }, { 'x-memory-space': 'fb-b' }))).toBe('NOT_FOUND');
    expect((await call(keys.other, 'POST', '/v1/feedback', { results: [{ id: memories['fb-b/second'], signal: 'helpful' }] }, { 'x-memory-space': 'fb-b' })).status).toBe(200);
    expect(await call(root, 'POST', '/v1/spaces/fb-a/search', { ...search, rank: { feedback: 0.5, narrative: 0.5 } })).toEqual(before);
  });
});
