import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ERROR_CODES } from '../../src/core/errors.js';
import { MemoryResponse } from '../../src/client/responses.js';
import { MemoryResponse as CoreMemoryResponse } from '../../src/core/response-schemas.js';
import { buildApp } from '../../src/server/app.js';
import { Conformance, documentedOperations, registeredRoutes } from '../support/openapi-conformance.js';
import { tempMemspace } from '../support/temp-memspace.js';
import { WordsEmbedder, wordsProvider } from '../support/words-embedder.js';

/**
 * The OpenAPI document (/openapi.json): valid OpenAPI 3.1, complete (every route the server
 * registers is in it, every operation documents its success body), and true (every answer of a
 * realistic session, errors included, matches the schema the document gives for its operation
 * and status). The SDK parses answers with the schemas the document is generated from.
 */

type Json = Record<string, unknown>;
const words = new WordsEmbedder('openai:test-words', 32);
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let doc: Json;
let conformance: Conformance;
let root: string;
const problems: string[] = [];

/**
 * Routes registered outside the document on purpose: the console's pages and files under
 * /console, a web app rather than API (the document lists /console, /docs, /openapi.json and /metrics).
 */
const UNDOCUMENTED_ROUTES: readonly string[] = ['GET /console*'];
/** Operations whose success has no JSON schema on purpose: MCP (JSON-RPC, described by its own specification), the HTML page, metrics text. */
const NO_SCHEMA = ['DELETE /mcp', 'GET /mcp', 'GET /docs', 'GET /console', 'GET /metrics', 'GET /openapi.json'];

beforeAll(async () => {
  ms = await tempMemspace({ embedders: wordsProvider(words) });
  root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms, metrics: { processMetrics: false } });
  doc = JSON.parse((await app.inject({ method: 'GET', url: '/openapi.json' })).body) as Json;
  conformance = new Conformance(doc);
});
afterAll(async () => {
  await app?.close();
  await ms?.cleanup();
});

/** One request, its answer checked against the document (problems are collected, and asserted at the end of the session). */
async function call(
  key: string | undefined,
  method: string,
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; raw: string; headers: Record<string, unknown> }> {
  const r = await app.inject({
    method: method as 'GET',
    url,
    headers: { ...(key !== undefined && { authorization: `Bearer ${key}` }), ...headers },
    ...(payload !== undefined && { payload: typeof payload === 'string' ? payload : (payload as Json) }),
  });
  problems.push(...conformance.problems({ method, url, status: r.statusCode, contentType: r.headers['content-type'] as string | undefined, body: r.body }));
  let body: Json = {};
  try {
    body = r.body === '' ? {} : (JSON.parse(r.body) as Json);
  } catch {
    // not JSON: a stream, a page, metrics
  }
  return { status: r.statusCode, body, raw: r.body, headers: r.headers };
}
const code = (r: { body: Json }): unknown => (r.body['error'] as Json | undefined)?.['code'];

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc['openapi']).toBe('3.1.0');
  });

  it('describes authentication: bearer and X-API-Key, none on the public routes only', async () => {
    const schemes = (doc['components'] as Json)['securitySchemes'] as Json;
    expect(schemes['bearer']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes['apiKey']).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(doc['security']).toEqual([{ bearer: [] }, { apiKey: [] }]);
    // The document says which routes need a key; the server must agree, route by route.
    const wrong: string[] = [];
    for (const operation of documentedOperations(doc)) {
      const [method, path] = operation.split(' ') as [string, string];
      const op = (doc['paths'] as Record<string, Record<string, Json>>)[path]![method.toLowerCase()]!;
      const isPublic = Array.isArray(op['security']) && (op['security'] as unknown[]).length === 0;
      const r = await app.inject({ method: method as 'GET', url: path.replace(/\{[^}]+\}/g, 'p1') });
      if ((r.statusCode === 401) === isPublic) wrong.push(`${operation}: ${r.statusCode} without a key, documented ${isPublic ? 'public' : 'keyed'}`);
    }
    expect(wrong).toEqual([]);
    expect(Object.keys(doc['paths'] as Json).filter((p) => ['/v1/health', '/openapi.json', '/docs'].includes(p))).toHaveLength(3);
  });

  it('lists every route the server registers, and only those', async () => {
    const registered = registeredRoutes(app.printRoutes({ commonPrefix: false })).map((r) => r.replace(/:([A-Za-z]+)/g, '{$1}'));
    const documented = new Set(documentedOperations(doc));
    const missing = registered.filter((r) => !documented.has(r) && !UNDOCUMENTED_ROUTES.includes(r));
    expect(missing, `routes missing from /openapi.json: add them to a RouteTable (src/server/route-table.ts)`).toEqual([]);
    expect([...documented].filter((d) => !registered.includes(d))).toEqual([]);
    for (const must of ['POST /mcp', 'GET /mcp', 'DELETE /mcp', 'GET /metrics', 'GET /v1/health', 'POST /v3/memories/add/', 'GET /v1/spaces/{space}/events', 'GET /v1/spaces/{space}/export']) {
      expect(documented.has(must), must).toBe(true);
    }
  });

  it('documents a response schema for every operation (a route without one is named here: give its RouteSpec a `response`)', () => {
    const without: string[] = [];
    for (const operation of documentedOperations(doc)) {
      if (NO_SCHEMA.includes(operation)) continue;
      const [method, path] = operation.split(' ') as [string, string];
      const responses = (doc['paths'] as Record<string, Record<string, Json>>)[path]![method.toLowerCase()]!['responses'] as Record<string, Json>;
      const success = Object.entries(responses).filter(([status]) => status.startsWith('2'));
      const documented = success.some(([status, r]) => {
        if (status === '204') return true;
        return Object.values((r['content'] ?? {}) as Record<string, Json>).some((media) => Object.keys(media['x-memspace-item-schema'] ?? media['schema'] ?? {}).length > 0);
      });
      if (!documented) without.push(operation);
    }
    expect(without, `operations without a response schema: give their RouteSpec a \`response\` (schemas in src/core/response-schemas.ts)`).toEqual([]);
  });

  it('documents errors per status with their codes, and the content types of streams and imports', () => {
    const responses = (doc['components'] as Json)['responses'] as Record<string, Json>;
    const codesOf = (name: string): unknown => (((responses[name]!['content'] as Json)['application/json'] as Json)['schema'] as { allOf: Json[] }).allOf[1];
    expect(JSON.stringify(codesOf('BadRequest'))).toContain('"VALIDATION_FAILED","INVALID_SPACE","SPACE_CONFLICT"');
    expect(JSON.stringify(codesOf('NotFound'))).toContain('"SPACE_NOT_FOUND","NOT_FOUND"');
    const error = ((doc['components'] as Json)['schemas'] as Record<string, Json>)['Error'] as { properties: { error: { properties: { code: { enum: string[] } } } } };
    expect(error.properties.error.properties.code.enum).toEqual([...ERROR_CODES]);
    const paths = doc['paths'] as Record<string, Record<string, { responses: Record<string, Json>; requestBody?: { content: Json } }>>;
    const addMemory = paths['/v1/spaces/{space}/memories']!['post']!;
    expect(Object.keys(addMemory.responses).sort()).toEqual(['201', '400', '401', '403', '404', '409', '413', '422', '429', '500', '503']);
    expect(addMemory.responses['201']).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/Memory' } } } });
    expect(Object.keys(paths['/v1/spaces/{space}/events']!['get']!.responses)).toContain('410');
    expect(paths['/v1/spaces/{space}/events']!['get']!.responses['200']!['content']).toHaveProperty(['text/event-stream']);
    expect(paths['/v1/spaces/{space}/export']!['get']!.responses['200']!['content']).toHaveProperty(['application/x-ndjson', 'x-memspace-item-schema']);
    expect(paths['/v1/spaces/{space}/import']!['post']!.requestBody!.content).toHaveProperty(['application/x-ndjson']);
    expect(paths['/metrics']!['get']!.responses['200']!['content']).toHaveProperty(['text/plain']);
    expect(paths['/v3/memories/add/']!['post']).toMatchObject({ tags: ['mem0'] });
    expect(paths['/v1/health']!['get']).toMatchObject({ security: [] });
    expect((doc['servers'] as unknown[]).length).toBeGreaterThan(0);
    const tags = doc['tags'] as { name: string; description?: string }[];
    expect(tags.filter((t) => t.description === undefined).map((t) => t.name), 'tags without a description: add them to TAGS in src/server/openapi-document.ts').toEqual([]);
    expect(tags.find((t) => t.name === 'mem0')?.description).toBeTruthy();
  });

  it('has sane integer bounds: none at ±2^53, none below 0, limits from 1 to 1000', () => {
    const text = JSON.stringify(doc);
    expect(text).not.toContain(String(Number.MAX_SAFE_INTEGER));
    const negative: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}/${i}`));
      if (node === null || typeof node !== 'object') return;
      const o = node as Json;
      if (o['type'] === 'integer' && typeof o['minimum'] === 'number' && o['minimum'] < 0) negative.push(at);
      for (const [k, v] of Object.entries(o)) walk(v, `${at}/${k}`);
    };
    walk(doc, '');
    expect(negative).toEqual([]);
    const limits: string[] = [];
    for (const [path, ops] of Object.entries(doc['paths'] as Record<string, Record<string, { parameters?: { name: string; schema: Json }[] }>>)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const p of op.parameters ?? []) if (p.name === 'limit' || p.name === 'page_size') limits.push(`${method} ${path} ${p.name} ${p.schema['minimum']}..${p.schema['maximum']}`);
      }
    }
    expect(limits.length).toBeGreaterThan(5);
    expect(limits.filter((l) => !l.endsWith(' 1..1000'))).toEqual([]);
    const search = (doc['paths'] as Record<string, Record<string, { requestBody: { content: Record<string, { schema: { properties: Json } }> } }>>)['/v1/spaces/{space}/search']!['post']!;
    expect(search.requestBody.content['application/json']!.schema.properties['limit']).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000 });
  });

  it('is generated from the schemas the SDK parses with', () => {
    expect(MemoryResponse).toBe(CoreMemoryResponse);
    const memory = ((doc['components'] as Json)['schemas'] as Record<string, Json>)['Memory'] as { required: string[] };
    expect(memory.required).toEqual(expect.arrayContaining(['id', 'content', 'tags', 'metadata', 'createdAt']));
  });
});

describe('answers match the document', () => {
  it('the check itself catches a wrong body, an undocumented status, content type or path', () => {
    const check = new Conformance(doc);
    const memory = { method: 'GET', url: '/v1/spaces/a/memories/m1', status: 200, contentType: 'application/json; charset=utf-8' };
    expect(check.problems({ ...memory, body: JSON.stringify({ id: 'm1', content: 7 }) }).join()).toContain('content');
    expect(check.problems({ ...memory, status: 418, body: '{}' }).join()).toContain('status not documented');
    expect(check.problems({ ...memory, contentType: 'text/html', body: '<p>' }).join()).toContain('content type');
    expect(check.problems({ ...memory, url: '/v9/nothing', body: '{}' }).join()).toContain('no documented operation');
    const notFound = { error: { code: 'NOT_FOUND', message: 'no such memory' } };
    expect(check.problems({ ...memory, status: 404, body: JSON.stringify(notFound) })).toEqual([]);
    // A code of another status is refused: each status documents its own codes.
    expect(check.problems({ ...memory, status: 404, body: JSON.stringify({ error: { code: 'CONFLICT', message: 'x' } }) })).not.toEqual([]);
  });

  it('a realistic session, errors and another space included, answers only what the document says', async () => {
    const { session } = await import('../support/openapi-session.js');
    await session({ call, code, root, spyHealth: () => vi.spyOn(ms.registry.backend.spaces, 'list').mockRejectedValueOnce(new Error('disk gone')) });
    expect(problems).toEqual([]);
    // The session reaches most of the API: each operation answered at least once is checked above.
    expect(conformance.seen.size).toBeGreaterThan(60);
    const statuses = new Set([...conformance.seen.values()].flatMap((s) => [...s]));
    for (const status of [200, 201, 204, 400, 401, 403, 404, 409, 410, 503]) expect(statuses, String(status)).toContain(status);
  });
});
