import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { axisVector, tempMemspace } from '../support/temp-memspace.js';

const DIM = 8;
const v = (axis: number): number[] => axisVector(DIM, axis);
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;

beforeAll(async () => {
  ms = await tempMemspace();
  app = await buildApp({ memspace: ms, auth: false });
  for (const name of ['alpha', 'beta']) {
    const r = await app.inject({ method: 'POST', url: '/v1/spaces', payload: { name, embedder: 'none', dimension: DIM } });
    expect(r.statusCode).toBe(201);
  }
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

type Json = Record<string, unknown>;
async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const r = await app.inject({ method, url, headers, ...(payload !== undefined && { payload: payload as Json }) });
  return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json) };
}
const code = (body: Json): unknown => (body['error'] as Json | undefined)?.['code'];

describe('HTTP API', () => {
  it('serves the memory lifecycle in both route forms', async () => {
    const created = await call('POST', '/v1/spaces/alpha/memories', { content: 'Alice prefers tea', embedding: v(1), tags: ['prefs'], userId: 'alice' });
    expect(created.status).toBe(201);
    const id = created.body['id'] as string;
    const viaHeader = await call('GET', `/v1/memories/${id}`, undefined, { 'x-memory-space': 'alpha' });
    expect(viaHeader.body).toMatchObject({ id, content: 'Alice prefers tea' });
    expect((await call('GET', `/v1/memories/${id}?space=alpha`)).body['id']).toBe(id);

    const patched = await call('PATCH', `/v1/spaces/alpha/memories/${id}`, { content: 'Alice prefers green tea', embedding: v(1) });
    expect(patched.body).toMatchObject({ content: 'Alice prefers green tea' });
    const history = await call('GET', `/v1/spaces/alpha/memories/${id}/history`);
    expect((history.body['history'] as Json[]).map((h) => h['action'])).toEqual(['create', 'update']);

    const batch = await call('POST', '/v1/memories/batch', { space: 'alpha', memories: [{ content: 'b1', embedding: v(2) }, { content: 'b2', embedding: v(3), userId: 'bob' }] });
    expect(batch.status).toBe(201);
    const [b1, b2] = batch.body['memories'] as Json[];

    const listed = await call('GET', `/v1/spaces/alpha/memories?userId=alice&tag=prefs&tag=other&limit=5`);
    expect((listed.body['items'] as Json[]).map((m) => m['id'])).toEqual([id]);
    const filtered = await call('GET', `/v1/spaces/alpha/memories?filter=${encodeURIComponent('{"userId":{"eq":"bob"}}')}`);
    expect((filtered.body['items'] as Json[]).map((m) => m['id'])).toEqual([b2!['id']]);

    const search = await call('POST', '/v1/search', { space: 'alpha', query: 'green tea', mode: 'keyword' });
    expect(((search.body['results'] as Json[])[0]!['memory'] as Json)['id']).toBe(id);

    const rel = await call('POST', '/v1/spaces/alpha/relations', { from: id, to: b1!['id'], type: 'mentions' });
    expect(rel.status).toBe(201);
    expect(((await call('GET', `/v1/spaces/alpha/memories/${id}/relations?direction=out`)).body['relations'] as Json[]).length).toBe(1);
    expect((await call('DELETE', `/v1/spaces/alpha/relations/${rel.body['id'] as string}`)).status).toBe(204);

    expect((await call('DELETE', `/v1/spaces/alpha/memories/${b1!['id'] as string}`)).status).toBe(204);
    expect(await call('POST', '/v1/spaces/alpha/memories/delete', { filter: { userId: 'bob' } })).toEqual({ status: 200, body: { deleted: 1 } });
  });

  it('manages spaces and reports health', async () => {
    expect((await call('POST', '/v1/spaces', { name: 'gamma', embedder: 'none', dimension: 4, labels: { team: 'x' } })).status).toBe(201);
    expect((await call('POST', '/v1/spaces', { name: 'GAMMA', embedder: 'none', dimension: 4 })).body).toMatchObject({ error: { code: 'CONFLICT' } });
    expect((await call('GET', '/v1/spaces?prefix=ga')).body['items']).toMatchObject([{ name: 'gamma' }]);
    expect((await call('PATCH', '/v1/spaces/gamma', { description: 'd' })).body).toMatchObject({ description: 'd' });
    expect((await call('GET', '/v1/spaces/gamma')).body).toMatchObject({ name: 'gamma', stats: { memories: 0 } });
    expect((await call('DELETE', '/v1/spaces/gamma')).status).toBe(204);
    expect(await call('GET', '/v1/spaces/gamma')).toMatchObject({ status: 404, body: { error: { code: 'SPACE_NOT_FOUND' } } });
    expect((await call('GET', '/v1/health')).body).toMatchObject({ status: 'ok' });
  });

  it('exports and imports JSON Lines over HTTP', async () => {
    await call('POST', '/v1/spaces/beta/memories', { content: 'beta fact', embedding: v(4), id: 'beta-1' });
    const exported = await app.inject({ method: 'GET', url: '/v1/spaces/beta/export' });
    expect(exported.headers['content-type']).toContain('application/x-ndjson');
    const lines = exported.body.trim().split('\n').map((l) => JSON.parse(l) as Json);
    expect(lines[0]).toMatchObject({ type: 'space', name: 'beta' });
    expect(lines.filter((l) => l['type'] === 'memory').map((l) => l['id'])).toEqual(['beta-1']);
    const imported = await app.inject({ method: 'POST', url: '/v1/spaces/beta-copy/import', headers: { 'content-type': 'application/x-ndjson' }, payload: exported.body });
    expect(JSON.parse(imported.body)).toMatchObject({ memories: { imported: 1, skipped: 0 } });
    expect((await call('GET', '/v1/spaces/beta-copy/memories/beta-1')).body).toMatchObject({ content: 'beta fact' });
    const asJson = await call('POST', '/v1/spaces/beta-copy/import', { not: 'ndjson' });
    expect(code(asJson.body)).toBe('VALIDATION_FAILED');
  });

  it('answers bad input with the documented error codes, never a 500', async () => {
    const cases: [string, () => Promise<{ status: number; body: Json }>, number, string][] = [
      ['invalid JSON', async () => {
        const r = await app.inject({ method: 'POST', url: '/v1/spaces/alpha/memories', headers: { 'content-type': 'application/json' }, payload: '{"content":' });
        return { status: r.statusCode, body: JSON.parse(r.body) as Json };
      }, 400, 'VALIDATION_FAILED'],
      ['plain text', async () => {
        const r = await app.inject({ method: 'POST', url: '/v1/spaces/alpha/memories', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
        return { status: r.statusCode, body: JSON.parse(r.body) as Json };
      }, 400, 'VALIDATION_FAILED'],
      ['a body over the limit', async () => {
        const r = await app.inject({ method: 'POST', url: '/v1/spaces/alpha/memories', payload: { content: 'x'.repeat(5 * 1024 * 1024) } });
        return { status: r.statusCode, body: JSON.parse(r.body) as Json };
      }, 413, 'PAYLOAD_TOO_LARGE'],
      ['an unknown field', () => call('POST', '/v1/spaces/alpha/memories', { content: 'x', embedding: v(1), colour: 'red' }), 400, 'VALIDATION_FAILED'],
      ['a wrong vector length', () => call('POST', '/v1/spaces/alpha/memories', { content: 'x', embedding: [1, 2] }), 422, 'DIMENSION_MISMATCH'],
      ['a duplicate id', async () => {
        await call('POST', '/v1/spaces/alpha/memories', { content: 'x', embedding: v(1), id: 'dup' });
        return call('POST', '/v1/spaces/alpha/memories', { content: 'x', embedding: v(1), id: 'dup' });
      }, 409, 'CONFLICT'],
      ['an unknown filter operator', () => call('GET', `/v1/spaces/alpha/memories?filter=${encodeURIComponent('{"userId":{"like":"a"}}')}`), 400, 'VALIDATION_FAILED'],
      ['a filter that is not JSON', () => call('GET', '/v1/spaces/alpha/memories?filter=nope'), 400, 'VALIDATION_FAILED'],
      ['an unknown query parameter', () => call('GET', '/v1/spaces/alpha/memories?colour=red'), 400, 'VALIDATION_FAILED'],
      ['an unknown space', () => call('GET', '/v1/spaces/nowhere/memories'), 404, 'SPACE_NOT_FOUND'],
      ['an unknown memory', () => call('GET', '/v1/spaces/alpha/memories/ghost'), 404, 'NOT_FOUND'],
      ['an unknown route', () => call('GET', '/v1/nothing-here'), 404, 'NOT_FOUND'],
    ];
    for (const [label, run, status, expected] of cases) {
      const r = await run();
      expect(r.status, label).toBe(status);
      expect(code(r.body), label).toBe(expected);
      expect(typeof (r.body['error'] as Json)['message'], label).toBe('string');
    }
  });

  it('refuses what it would have to change or could not walk: a lone surrogate, metadata 2,000 levels deep; limits come with their number', async () => {
    const raw = async (payload: string): Promise<{ status: number; body: Json }> => {
      const r = await app.inject({ method: 'POST', url: '/v1/spaces/alpha/memories', headers: { 'content-type': 'application/json' }, payload });
      return { status: r.statusCode, body: JSON.parse(r.body) as Json };
    };
    const vector = JSON.stringify(v(1));
    const surrogate = await raw(`{"content":"lone \\ud800 here","embedding":${vector}}`);
    expect(surrogate.status).toBe(400);
    expect(surrogate.body['error']).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ path: 'content', message: expect.stringContaining('lone surrogate') }] } });
    const deep = await raw(`{"content":"deep","embedding":${vector},"metadata":${'{"x":'.repeat(2_000)}1${'}'.repeat(2_000)}}`);
    expect(deep.status).toBe(400);
    expect(deep.body['error']).toMatchObject({ code: 'VALIDATION_FAILED', details: { limit: 64, unit: 'levels' } });
    const big = await app.inject({ method: 'POST', url: '/v1/spaces/alpha/memories', payload: { content: 'x'.repeat(5 * 1024 * 1024) } });
    expect(big.statusCode).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE', details: { limit: 4 * 1024 * 1024, unit: 'bytes' } } });
    // A pair that makes one character is not a lone surrogate: kept as sent.
    const emoji = await raw(`{"content":"pair \\ud83d\\ude00","embedding":${vector}}`);
    expect(emoji.status).toBe(201);
    expect(emoji.body['content']).toBe('pair 😀');
  });

  it('publishes an OpenAPI document generated from the request schemas, and a docs page', async () => {
    const doc = (await call('GET', '/openapi.json')).body as { openapi: string; paths: Record<string, Record<string, Json>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/spaces/{space}/memories', '/v1/memories', '/v1/spaces/{space}/search', '/v1/search']));
    // Every interface the server serves is in it: mem0's routes and MCP's endpoint too.
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/memories/', '/v3/memories/add/', '/v3/memories/search/', '/v1/memories/{id}/', '/v2/entities/{type}/{name}/', '/mcp']));
    expect(Object.keys(doc.paths['/mcp']!).sort()).toEqual(['delete', 'get', 'post']);
    expect(doc.paths['/v3/memories/search/']!['post']).toMatchObject({ tags: ['mem0'] });
    expect(doc.paths['/v1/spaces/{space}/memories']!['post']).toMatchObject({ 'x-memspace-role': 'write' });
    const addMemory = doc.paths['/v1/spaces/{space}/memories']!['post'] as { requestBody: { content: { 'application/json': { schema: { required: string[]; properties: Json } } } } };
    expect(addMemory.requestBody.content['application/json'].schema.required).toEqual(['content']);
    expect(Object.keys(addMemory.requestBody.content['application/json'].schema.properties)).toEqual(expect.arrayContaining(['content', 'metadata', 'tags', 'embedding']));
    const docs = await app.inject({ method: 'GET', url: '/docs' });
    expect(docs.headers['content-type']).toContain('text/html');
    expect(docs.body).toContain('/v1/spaces/{space}/memories');
  });
});
