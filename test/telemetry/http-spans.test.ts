import { SpanKind } from '@opentelemetry/api';
import type { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { tempMemspace } from '../support/temp-memspace.js';
import { WordsEmbedder, wordsProvider } from '../support/words-embedder.js';
import { ancestorsOf, attr, exported, isError, memoryTracer, ofOperation, parentOf, rootOf } from './spans.js';

/**
 * Spans of HTTP requests (docs/tracing.md): the request's span is the parent of the engine's,
 * which is the parent of the store's; each names the space, the operation and the outcome; a
 * request refused in another space records the refusal there, never on the first space's spans;
 * and no span carries what a tenant wrote, asked or authenticated with.
 */

const words = new WordsEmbedder('openai:test-words', 32);
const CONTENT = 'the xyzzy plover lives behind the waterfall';
const QUERY = 'frobozz plover whereabouts';
const METADATA_VALUE = 'plugh-metadata-value';

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let exporter: InMemorySpanExporter;
let root: string;
/** admin of alpha only */
let alphaKey: string;

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, key: string, payload?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await app.inject({ method, url, headers: { authorization: `Bearer ${key}`, ...headers }, ...(payload !== undefined && { payload: payload as Record<string, unknown> }) });
  return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Record<string, unknown>) };
}

const code = (body: Record<string, unknown>): unknown => (body['error'] as Record<string, unknown> | undefined)?.['code'];

beforeAll(async () => {
  const traced = memoryTracer();
  exporter = traced.exporter;
  // Refusals are written to their space's trail 1 ms after the first: inside the test, not at close.
  ms = await tempMemspace({ embedders: wordsProvider(words), tracer: traced.tracer, config: { denialAuditIntervalMs: 1 } });
  root = (await ms.keys.ensureRootKey())!;
  for (const name of ['alpha', 'beta']) await ms.spaces.create({ name, embedder: words.id, dimension: words.dimension });
  alphaKey = (await ms.keys.create({ name: 'alpha admin', grants: [{ space: 'alpha', role: 'admin' }], defaultSpace: 'alpha' })).key;
  app = await buildApp({ memspace: ms });
});
afterAll(async () => {
  await app?.close();
  await ms?.cleanup();
});
beforeEach(() => exporter.reset());

/** The server span of the one request to `route` among `spans`. */
function requestSpan(spans: readonly ReadableSpan[], method: string, route: string): ReadableSpan {
  const found = spans.filter((s) => s.kind === SpanKind.SERVER && attr(s, 'http.request.method') === method && attr(s, 'http.route') === route);
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('HTTP spans', () => {
  it('an add and a search nest HTTP, engine and store spans, each with the space, operation and outcome', async () => {
    const added = await call('POST', '/v1/spaces/alpha/memories', alphaKey, { content: CONTENT, metadata: { note: METADATA_VALUE } });
    expect(added.status).toBe(201);
    const found = await call('POST', '/v1/spaces/alpha/search', alphaKey, { query: QUERY });
    expect(found.status).toBe(200);
    const spans = exporter.getFinishedSpans();

    const add = requestSpan(spans, 'POST', '/v1/spaces/:space/memories');
    expect(add.name).toBe('POST /v1/spaces/:space/memories');
    expect(attr(add, 'http.response.status_code')).toBe('201');
    expect(attr(add, 'memspace.space')).toBe('alpha');
    expect(attr(add, 'memspace.outcome')).toBe('ok');
    expect(parentOf(add, spans)).toBeUndefined();
    const [engineAdd] = ofOperation(spans, 'memories.add');
    expect(parentOf(engineAdd!, spans)).toBe(add);
    expect(attr(engineAdd!, 'memspace.space')).toBe('alpha');
    expect(attr(engineAdd!, 'memspace.outcome')).toBe('ok');
    const inserts = ofOperation(spans, 'store.insertMemories');
    expect(inserts).toHaveLength(1);
    expect(ancestorsOf(inserts[0]!, spans)).toContain(engineAdd);
    expect(attr(inserts[0]!, 'memspace.space')).toBe('alpha');
    // The key's look-up and the access check belong to the request too.
    expect(ofOperation(spans, 'keys.authenticate').some((s) => rootOf(s, spans) === add)).toBe(true);
    expect(ofOperation(spans, 'guard.authorize').some((s) => rootOf(s, spans) === add && attr(s, 'memspace.outcome') === 'ok')).toBe(true);

    const search = requestSpan(spans, 'POST', '/v1/spaces/:space/search');
    expect(attr(search, 'memspace.space')).toBe('alpha');
    const [engineSearch] = ofOperation(spans, 'search.run');
    expect(parentOf(engineSearch!, spans)).toBe(search);
    const [storeSearch] = ofOperation(spans, 'store.search');
    expect(ancestorsOf(storeSearch!, spans)).toEqual(expect.arrayContaining([engineSearch, search]));
    expect(new Set([add, engineAdd, ...inserts].map((s) => s!.spanContext().traceId)).size).toBe(1);
    expect(search.spanContext().traceId).not.toBe(add.spanContext().traceId);
  });

  it('a request naming its space by header, or by the key default, names it on its span', async () => {
    expect((await call('POST', '/v1/memories', alphaKey, { content: CONTENT }, { 'x-memory-space': 'alpha' })).status).toBe(201);
    expect((await call('GET', '/v1/memories', alphaKey)).status).toBe(200);
    const spans = exporter.getFinishedSpans();
    expect(attr(requestSpan(spans, 'POST', '/v1/memories'), 'memspace.space')).toBe('alpha');
    expect(attr(requestSpan(spans, 'GET', '/v1/memories'), 'memspace.space')).toBe('alpha');
  });

  it('a refused cross-space request records the refusal, and no span of the first space names the other', async () => {
    const refused = [
      await call('POST', '/v1/spaces/beta/memories', alphaKey, { content: CONTENT }),
      await call('POST', '/v1/spaces/beta/search', alphaKey, { query: QUERY }),
      await call('GET', '/v1/memories', alphaKey, undefined, { 'x-memory-space': 'beta' }),
      await call('POST', '/v1/search', alphaKey, { spaces: ['alpha', 'beta'], query: QUERY }),
    ];
    expect(refused.map((r) => [r.status, code(r.body)])).toEqual(Array(4).fill([404, 'SPACE_NOT_FOUND']));
    expect((await call('POST', '/v1/spaces/alpha/memories', alphaKey, { content: CONTENT })).status).toBe(201);
    await ms.guard.flushRefusals(); // whatever the 1 ms timer has not written yet
    const spans = exporter.getFinishedSpans();

    const servers = spans.filter((s) => s.kind === SpanKind.SERVER);
    const failed = servers.filter((s) => attr(s, 'http.response.status_code') === '404');
    expect(failed).toHaveLength(4);
    for (const span of failed) {
      expect(attr(span, 'memspace.outcome')).toBe('SPACE_NOT_FOUND');
      expect(isError(span)).toBe(true);
      expect(span.status.message).toBe('SPACE_NOT_FOUND'); // the code, never the message that quotes the name
      // The refused request never reached a store of the other space.
      expect(spans.filter((s) => rootOf(s, spans) === span && attr(s, 'memspace.operation')!.startsWith('store.'))).toEqual([]);
    }
    const guardRefusals = ofOperation(spans, 'guard.authorize').filter((s) => attr(s, 'memspace.outcome') === 'SPACE_NOT_FOUND');
    expect(guardRefusals.length).toBeGreaterThanOrEqual(3);
    // The refusals reached beta's trail, in traces of their own.
    const trail = ofOperation(spans, 'store.appendAudit').filter((s) => attr(s, 'memspace.space') === 'beta');
    expect(trail.length).toBeGreaterThan(0);
    for (const span of trail) expect(attr(rootOf(span, spans), 'memspace.space')).toBe('beta');
    // Every trace about alpha is free of beta, in every attribute, name and status.
    const alphaTraces = new Set(spans.filter((s) => attr(rootOf(s, spans), 'memspace.space') === 'alpha').map((s) => s.spanContext().traceId));
    expect(alphaTraces.size).toBeGreaterThan(0);
    const leaks = spans.filter((s) => alphaTraces.has(s.spanContext().traceId) && /beta/i.test(exported(s)));
    expect(leaks.map((s) => s.name)).toEqual([]);
  });

  it('no span carries content, a query, metadata values or a key', async () => {
    await call('POST', '/v1/spaces/alpha/memories', alphaKey, { content: CONTENT, metadata: { note: METADATA_VALUE }, tags: ['plover-tag'] });
    await call('POST', '/v1/spaces/alpha/search', alphaKey, { query: QUERY, filter: { metadata: { note: METADATA_VALUE } } });
    await call('POST', '/v1/spaces/alpha/search', root, { query: QUERY });
    await call('GET', '/v1/spaces/alpha/memories', `${alphaKey}x`); // a wrong key: refused, still never recorded
    const spans = exporter.getFinishedSpans();
    expect(spans.length).toBeGreaterThan(10);
    const secrets = [CONTENT, 'xyzzy', 'frobozz', 'whereabouts', METADATA_VALUE, 'plover', alphaKey, root, alphaKey.slice(4, 20), root.slice(4, 20)];
    for (const span of spans) {
      const text = exported(span);
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
    const unauthenticated = spans.filter((s) => attr(s, 'memspace.outcome') === 'UNAUTHENTICATED' && s.kind === SpanKind.SERVER);
    expect(unauthenticated).toHaveLength(1);
  });

  it('a bad request ends with its stable code, and a traceparent sent by the caller is the parent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const r = await app.inject({
      method: 'POST',
      url: '/v1/spaces/alpha/memories',
      headers: { authorization: `Bearer ${alphaKey}`, 'content-type': 'application/json', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      payload: '{"content": ',
    });
    expect(r.statusCode).toBe(400);
    const span = requestSpan(exporter.getFinishedSpans(), 'POST', '/v1/spaces/:space/memories');
    expect(attr(span, 'memspace.outcome')).toBe('VALIDATION_FAILED');
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');

    exporter.reset();
    const malformed = await app.inject({ method: 'GET', url: '/v1/no-such-route', headers: { authorization: `Bearer ${alphaKey}`, traceparent: 'not-a-traceparent' } });
    expect(malformed.statusCode).toBe(404);
    const [notFound] = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
    expect(attr(notFound!, 'memspace.outcome')).toBe('NOT_FOUND');
    expect(notFound!.parentSpanContext).toBeUndefined();
  });
});
