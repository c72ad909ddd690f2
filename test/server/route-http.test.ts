import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemspaceClient } from '../../src/client/client.js';
import { buildApp } from '../../src/server/app.js';
import { tempMemspace } from '../support/temp-memspace.js';
import { WordsEmbedder, wordsProvider } from '../support/words-embedder.js';

type Json = Record<string, unknown>;
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let base: string;
let root: string;
let teaKey: string;

async function call(key: string, payload: unknown): Promise<{ status: number; body: Json }> {
  const r = await app.inject({ method: 'POST', url: '/v1/route', headers: { authorization: `Bearer ${key}` }, payload: payload as Json });
  return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json) };
}
const spacesOf = (r: { body: Json }): string[] => (r.body['results'] as { space: string }[]).map((s) => s.space);

beforeAll(async () => {
  ms = await tempMemspace({ embedders: wordsProvider(new WordsEmbedder('openai:test-words', 64)) });
  root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms, metrics: { processMetrics: false, perSpace: true } });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  const topics: Record<string, string[]> = {
    'rt-tea': ['green tea is brewed at eighty degrees', 'a kettle of black tea for breakfast', 'oolong tea from taiwan'],
    'rt-cars': ['winter tyres go on the car in november', 'the car needs an oil change', 'car insurance renews in may'],
    'rt-secret': ['the vault code is four four two one', 'the vault opens on mondays only'],
  };
  for (const [name, contents] of Object.entries(topics)) {
    await ms.spaces.create({ name, embedder: 'openai:test-words', dimension: 64 });
    await ms.memories.addMany(name, contents.map((content) => ({ content })));
  }
  await ms.spaces.create({ name: 'rt-empty', embedder: 'openai:test-words', dimension: 64 });
  teaKey = (await ms.keys.create({ name: 'tea-and-cars', grants: [{ space: 'rt-tea', role: 'read' }, { space: 'rt-cars', role: 'write' }] })).key;
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

describe('POST /v1/route', () => {
  it('ranks every space the root key sees by fit, with the parts of each score and its best match; empty spaces are left out', async () => {
    const r = await call(root, { text: 'which tea needs a kettle' });
    expect(r.status).toBe(200);
    expect(spacesOf(r)[0]).toBe('rt-tea');
    expect(spacesOf(r)).not.toContain('rt-empty');
    expect(spacesOf(r)).not.toContain('default'); // empty too
    expect((r.body['results'] as Json[])[0]).toMatchObject({ vector: expect.any(Number), keyword: expect.any(Number), top: { content: 'a kettle of black tea for breakfast' } });
    expect(spacesOf(await call(root, { text: 'what is the vault code', limit: 1 }))).toEqual(['rt-secret']);
  });

  it('never shows a scoped key a space outside its grants, even the one the text fits best', async () => {
    const r = await call(teaKey, { text: 'what is the vault code' });
    expect(r.status).toBe(200);
    expect(spacesOf(r).sort()).toEqual(['rt-cars', 'rt-tea']);
    expect(JSON.stringify(r.body)).not.toMatch(/vault|secret/);
    const named = await call(teaKey, { text: 'vault code', spaces: ['rt-secret'] });
    const missing = await call(teaKey, { text: 'vault code', spaces: ['rt-nowhere'] });
    expect([named.status, missing.status]).toEqual([404, 404]);
    expect((named.body['error'] as Json)['code']).toBe('SPACE_NOT_FOUND');
    expect((named.body['error'] as Json)['message']).toBe(String((missing.body['error'] as Json)['message']).replaceAll('rt-nowhere', 'rt-secret'));
  });

  it('answers bad input with 400 VALIDATION_FAILED, never a 5xx', async () => {
    for (const bad of [{ text: '' }, { text: 'x', limit: 0 }, { text: 'x', limit: 1000 }, { text: 'x', unknown: true }, { limit: 3 }, { text: 42 }, { text: 'x', spaces: ['bad/name'] }]) {
      const r = await call(root, bad);
      expect([r.status, (r.body['error'] as Json | undefined)?.['code']], JSON.stringify(bad)).toEqual([400, expect.stringMatching(/VALIDATION_FAILED|INVALID_SPACE/)]);
    }
    const unauthenticated = await app.inject({ method: 'POST', url: '/v1/route', payload: { text: 'tea' } });
    expect(unauthenticated.statusCode).toBe(401);
  });

  it('is the SDK\'s client.route, answers parsed with the documented schema', async () => {
    const client = new MemspaceClient({ baseUrl: base, apiKey: teaKey });
    const answer = await client.route('tyres for my car', { limit: 1 });
    expect(answer.results).toEqual([expect.objectContaining({ space: 'rt-cars', top: expect.objectContaining({ content: 'winter tyres go on the car in november' }) })]);
    await expect(client.route('', {})).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const narrowed = await new MemspaceClient({ baseUrl: base, apiKey: root }).route('tea', { prefix: 'rt-c' });
    expect(narrowed.results.map((s) => s.space)).toEqual(['rt-cars']);
  });
});
