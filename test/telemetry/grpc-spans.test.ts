import { SpanKind } from '@opentelemetry/api';
import type { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildGrpcServer, type MemspaceGrpcServer } from '../../src/grpc/grpc-server.js';
import { type GrpcTestClients, grpcTestClients } from '../support/grpc.js';
import { tempMemspace } from '../support/temp-memspace.js';
import { WordsEmbedder, wordsProvider } from '../support/words-embedder.js';
import { ancestorsOf, attr, exported, isError, memoryTracer, ofOperation, parentOf } from './spans.js';

/**
 * Spans of gRPC calls: one server span per call (`rpc.service`, `rpc.method`, the status code
 * and the outcome), parent of the engine's and the store's spans, for unary calls and both kinds
 * of stream; a refused call records its code, and nothing of the messages is on any span.
 */

const words = new WordsEmbedder('openai:test-words', 32);
const CONTENT = 'the xyzzy plover lives behind the waterfall';

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let exporter: InMemorySpanExporter;
let server: MemspaceGrpcServer;
let clients: GrpcTestClients;
let alphaKey: string;

beforeAll(async () => {
  const traced = memoryTracer();
  exporter = traced.exporter;
  ms = await tempMemspace({ embedders: wordsProvider(words), tracer: traced.tracer });
  await ms.keys.ensureRootKey();
  for (const name of ['alpha', 'beta']) await ms.spaces.create({ name, embedder: words.id, dimension: words.dimension });
  alphaKey = (await ms.keys.create({ name: 'alpha admin', grants: [{ space: 'alpha', role: 'admin' }], defaultSpace: 'alpha' })).key;
  server = buildGrpcServer({ memspace: ms });
  clients = grpcTestClients(`127.0.0.1:${await server.listen('127.0.0.1', 0)}`);
});
afterAll(async () => {
  clients?.close();
  await server?.close();
  await ms?.cleanup();
});
beforeEach(() => exporter.reset());

function callSpan(spans: readonly ReadableSpan[], method: string): ReadableSpan {
  const found = spans.filter((s) => s.kind === SpanKind.SERVER && attr(s, 'rpc.method') === method);
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('gRPC spans', () => {
  it('a unary Add and Search nest gRPC, engine and store spans with the space, method and outcome', async () => {
    await clients.rpc(clients.memories, 'Add', { space: 'alpha', content: CONTENT }, alphaKey);
    await clients.rpc(clients.memories, 'Search', { query: 'plover' }, alphaKey, { 'x-memory-space': 'alpha' });
    const spans = exporter.getFinishedSpans();

    const add = callSpan(spans, 'Add');
    expect(add.name).toBe('memspace.v1.Memories/Add');
    expect(attr(add, 'rpc.system')).toBe('grpc');
    expect(attr(add, 'rpc.service')).toBe('memspace.v1.Memories');
    expect(attr(add, 'rpc.grpc.status_code')).toBe(String(status.OK));
    expect(attr(add, 'memspace.space')).toBe('alpha');
    expect(attr(add, 'memspace.outcome')).toBe('ok');
    const [engineAdd] = ofOperation(spans, 'memories.add');
    expect(parentOf(engineAdd!, spans)).toBe(add);
    const [insert] = ofOperation(spans, 'store.insertMemories');
    expect(ancestorsOf(insert!, spans)).toEqual(expect.arrayContaining([engineAdd, add]));

    const search = callSpan(spans, 'Search');
    expect(attr(search, 'memspace.space')).toBe('alpha');
    expect(parentOf(ofOperation(spans, 'search.run')[0]!, spans)).toBe(search);
    for (const span of spans) expect(exported(span)).not.toMatch(/xyzzy|plover|msk_/);
  });

  it('a call refused in another space ends with its code, and reaches no store of it', async () => {
    const error = await clients.rpc(clients.memories, 'Add', { space: 'beta', content: CONTENT }, alphaKey).catch((e: unknown) => e as ServiceError);
    expect((error as ServiceError).code).toBe(status.NOT_FOUND);
    const spans = exporter.getFinishedSpans();
    const add = callSpan(spans, 'Add');
    expect(attr(add, 'memspace.outcome')).toBe('SPACE_NOT_FOUND');
    expect(attr(add, 'rpc.grpc.status_code')).toBe(String(status.NOT_FOUND));
    expect(isError(add)).toBe(true);
    expect(spans.filter((s) => attr(s, 'memspace.operation')!.startsWith('store.') && ancestorsOf(s, spans).includes(add))).toEqual([]);

    exporter.reset();
    const unauthenticated = await clients.rpc(clients.memories, 'Get', { space: 'alpha', id: 'x' }, 'msk_not-a-key').catch((e: unknown) => e as ServiceError);
    expect((unauthenticated as ServiceError).code).toBe(status.UNAUTHENTICATED);
    const get = callSpan(exporter.getFinishedSpans(), 'Get');
    expect(attr(get, 'memspace.outcome')).toBe('UNAUTHENTICATED');
    expect(exported(get)).not.toContain('not-a-key');
  });

  it('a server stream (List) and a client stream (AddStream) each get one span over their whole call', async () => {
    const upload = clients.upload(clients.memories, 'AddStream', alphaKey);
    for (let i = 0; i < 3; i++) upload.stream.write({ space: 'alpha', content: `streamed memory ${i}` });
    upload.stream.end();
    expect((await upload.done)['added']).toBe(3);
    const listed = await clients.streamed(clients.memories, 'List', { space: 'alpha' }, alphaKey);
    expect(listed.length).toBeGreaterThanOrEqual(3);
    const spans = exporter.getFinishedSpans();

    const addStream = callSpan(spans, 'AddStream');
    expect(attr(addStream, 'memspace.outcome')).toBe('ok');
    expect(attr(addStream, 'memspace.space')).toBe('alpha');
    expect(ofOperation(spans, 'store.insertMemories').some((s) => ancestorsOf(s, spans).includes(addStream))).toBe(true);
    const list = callSpan(spans, 'List');
    expect(attr(list, 'memspace.outcome')).toBe('ok');
    expect(ofOperation(spans, 'memories.list').every((s) => parentOf(s, spans) === list)).toBe(true);
  });

  it('a traceparent in the metadata is the call span parent', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    await clients.rpc(clients.memories, 'Search', { space: 'alpha', query: 'plover' }, alphaKey, { traceparent: `00-${traceId}-b7ad6b7169203331-01` });
    const search = callSpan(exporter.getFinishedSpans(), 'Search');
    expect(search.spanContext().traceId).toBe(traceId);
    expect(search.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
  });
});
