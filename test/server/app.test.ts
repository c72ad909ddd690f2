import { request } from 'node:http';
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

/** A GET whose path goes on the wire exactly as written. */
function rawGet(base: string, path: string): Promise<{ status: number; body: Json }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Json }));
    });
    req.on('error', reject);
    req.end();
  });
}

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

describe('isolation through HTTP', () => {
  let alphaId: string;
  let alphaRel: string;
  beforeAll(async () => {
    alphaId = (await call('POST', '/v1/spaces/alpha/memories', { content: 'alpha secret plan', embedding: v(5), id: 'shared-id' })).body['id'] as string;
    const other = (await call('POST', '/v1/spaces/alpha/memories', { content: 'alpha other', embedding: v(6) })).body['id'] as string;
    alphaRel = (await call('POST', '/v1/spaces/alpha/relations', { from: alphaId, to: other, type: 'x' })).body['id'] as string;
    await call('POST', '/v1/spaces/beta/memories', { content: 'beta public note', embedding: v(5), id: 'shared-id' });
  });

  it('refuses requests that name different spaces, including a forged body field', async () => {
    const conflicts: [string, string, unknown, Record<string, string>][] = [
      ['POST', '/v1/spaces/beta/memories', { content: 'x', embedding: v(1), space: 'alpha' }, {}],
      ['POST', '/v1/spaces/beta/search', { query: 'secret', space: 'alpha' }, {}],
      ['GET', '/v1/spaces/beta/memories/shared-id', undefined, { 'x-memory-space': 'alpha' }],
      ['GET', '/v1/spaces/beta/memories?space=alpha', undefined, {}],
      ['POST', '/v1/search', { query: 'secret', mode: 'keyword', space: 'alpha' }, { 'x-memory-space': 'beta' }],
      ['POST', '/v1/search?space=beta', { query: 'secret', mode: 'keyword', space: 'alpha' }, {}],
      ['GET', '/v1/memories/shared-id?space=alpha', undefined, { 'x-memory-space': 'beta' }],
    ];
    for (const [method, url, body, headers] of conflicts) {
      const r = await call(method as 'GET', url, body, headers);
      expect(r.status, `${method} ${url}`).toBe(400);
      expect(code(r.body), `${method} ${url}`).toBe('SPACE_CONFLICT');
    }
    // The same space in another case is no conflict.
    expect((await call('GET', '/v1/spaces/beta/memories/shared-id', undefined, { 'x-memory-space': 'BETA' })).body['content']).toBe('beta public note');
  });

  it('rejects encoded traversal and invalid names without falling back to another space', async () => {
    // Sent byte for byte over a socket: an in-process client would normalise the dots away.
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    for (const url of ['/v1/spaces/%2e%2e/memories', '/v1/spaces/..%2falpha/memories', '/v1/spaces/a%2fb/memories', '/v1/spaces/%252e%252e/memories', '/v1/spaces/alpha%00/memories', '/v1/spaces/%C3%A0lpha/memories', '/v1/spaces/%2E%2E/search']) {
      const r = await rawGet(address, url);
      expect([400, 404], url).toContain(r.status);
      expect(['INVALID_SPACE', 'NOT_FOUND'], url).toContain(code(r.body));
      expect(JSON.stringify(r.body), url).not.toContain('secret');
    }
    for (const header of ['../alpha', 'alpha/x', '%2e%2e', '']) {
      const r = await call('GET', '/v1/memories', undefined, { 'x-memory-space': header });
      expect(code(r.body), JSON.stringify(header)).toBe('INVALID_SPACE');
    }
    expect(code((await call('POST', '/v1/search', { query: 'secret', space: '../alpha' })).body)).toBe('INVALID_SPACE');
  });

  it("answers NOT_FOUND for another space's ids on every by-id route", async () => {
    const other = (await call('POST', '/v1/spaces/alpha/memories', { content: 'alpha only', embedding: v(7) })).body['id'] as string;
    const routes: [string, string, unknown?][] = [
      ['GET', `/v1/spaces/beta/memories/${other}`],
      ['PATCH', `/v1/spaces/beta/memories/${other}`, { importance: 1 }],
      ['DELETE', `/v1/spaces/beta/memories/${other}`],
      ['GET', `/v1/spaces/beta/memories/${other}/history`],
      ['GET', `/v1/spaces/beta/memories/${other}/relations`],
      ['DELETE', `/v1/spaces/beta/relations/${alphaRel}`],
      ['POST', '/v1/spaces/beta/relations', { from: 'shared-id', to: other, type: 'leak' }],
      ['GET', `/v1/memories/${other}`],
    ];
    for (const [method, url, body] of routes) {
      const r = await call(method as 'GET', url, body, url.startsWith('/v1/memories') ? { 'x-memory-space': 'beta' } : {});
      expect(r.status, `${method} ${url}`).toBe(404);
      expect(code(r.body), `${method} ${url}`).toBe('NOT_FOUND');
    }
    expect((await call('GET', `/v1/spaces/alpha/memories/${other}`)).body['content']).toBe('alpha only');
    expect((await call('POST', '/v1/spaces/beta/memories/delete', { filter: { id: { in: [other, alphaId] } } })).body).toEqual({ deleted: 1 }); // only beta's shared-id
    expect((await call('GET', '/v1/spaces/alpha/memories/shared-id')).body['content']).toBe('alpha secret plan');
  });

  it('never returns another space in search, listing or export', async () => {
    for (const mode of ['keyword', 'vector', 'hybrid']) {
      const r = await call('POST', '/v1/spaces/beta/search', { query: 'alpha secret plan', embedding: v(5), mode, limit: 100 });
      expect(JSON.stringify(r.body), mode).not.toContain('alpha');
    }
    expect(JSON.stringify((await call('GET', '/v1/spaces/beta/memories?limit=1000')).body)).not.toContain('alpha');
    const exported = await app.inject({ method: 'GET', url: '/v1/spaces/beta/export' });
    expect(exported.body).not.toContain('alpha secret');
  });
});
