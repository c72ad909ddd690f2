import { fileURLToPath } from 'node:url';
import { loadSync } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';

/**
 * The gRPC protocol's contract: `proto/memspace/v1/memspace.proto` compiles, and its services and
 * methods carry the names other tools rely on, with the streaming shape each promises.
 */
const PROTO = fileURLToPath(new URL('../../proto/memspace/v1/memspace.proto', import.meta.url));

interface MethodShape {
  requestStream: boolean;
  responseStream: boolean;
}

describe('the gRPC protocol, memspace.v1', () => {
  const definition = loadSync(PROTO, { keepCase: true });
  const methods = (service: string): Record<string, MethodShape> => {
    const entry = definition[`memspace.v1.${service}`] as Record<string, MethodShape & { originalName: string }> | undefined;
    expect(entry, service).toBeDefined();
    return Object.fromEntries(Object.values(entry!).map((m) => [m.originalName, { requestStream: m.requestStream, responseStream: m.responseStream }]));
  };
  const unary = { requestStream: false, responseStream: false };

  it('names the Spaces methods, all unary', () => {
    const spaces = methods('Spaces');
    expect(Object.keys(spaces).sort()).toEqual(['create', 'delete', 'get', 'health', 'list', 'update']);
    for (const shape of Object.values(spaces)) expect(shape).toEqual(unary);
  });

  it('names the Memories methods: AddStream streams in, List streams out', () => {
    const memories = methods('Memories');
    expect(Object.keys(memories).sort()).toEqual(['add', 'addStream', 'batchAdd', 'delete', 'get', 'history', 'list', 'search', 'update']);
    expect(memories['addStream']).toEqual({ requestStream: true, responseStream: false });
    expect(memories['list']).toEqual({ requestStream: false, responseStream: true });
    for (const name of ['add', 'batchAdd', 'get', 'update', 'delete', 'search', 'history']) expect(memories[name], name).toEqual(unary);
  });

  it('names the Feedback methods, all unary, each answering a Struct as REST answers', () => {
    const feedback = methods('Feedback');
    expect(Object.keys(feedback).sort()).toEqual(['record', 'rerank', 'reset']);
    for (const shape of Object.values(feedback)) expect(shape).toEqual(unary);
    const service = definition['memspace.v1.Feedback'] as Record<string, { responseType: { type: { name: string } } }>;
    for (const method of Object.values(service)) expect(method.responseType.type.name).toBe('Struct');
  });

  it('streams the change feed out of Events.Watch, resumable from a sequence or from the head', () => {
    expect(methods('Events')).toEqual({ watch: { requestStream: false, responseStream: true } });
    const watch = definition['memspace.v1.WatchRequest'] as { type: { field: { name: string; type: string }[] } };
    expect(watch.type.field.map((f) => [f.name, f.type])).toEqual([
      ['space', 'TYPE_STRING'],
      ['after', 'TYPE_UINT64'],
      ['latest', 'TYPE_BOOL'],
    ]);
  });

  it('carries the space on every request that acts on one', () => {
    for (const message of ['SpaceRef', 'UpdateSpaceRequest', 'MemoryRef', 'AddMemoryRequest', 'BatchAddRequest', 'UpdateMemoryRequest', 'ListMemoriesRequest', 'SearchRequest', 'FeedbackRequest', 'RerankRequest', 'WatchRequest']) {
      const type = (definition[`memspace.v1.${message}`] as { type: { field: { name: string; number: number }[] } }).type;
      expect(type.field.find((f) => f.name === 'space'), message).toMatchObject({ number: 1 });
    }
  });
});
