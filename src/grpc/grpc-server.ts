/**
 * The gRPC front end (proto/memspace/v1/memspace.proto): the Spaces and Memories services over
 * the same engine as the REST API. Every handler authenticates the key of the call's metadata,
 * resolves the space from the request's `space` field and the `x-memory-space` metadata with
 * the REST rules (`pickSpace`), and calls the engine's services, which check
 * the caller's grants and audit as they do for REST. Free-form parts travel as
 * `google.protobuf.Struct` and reach the engine as the JSON the REST API takes.
 *
 * Still to come (the methods answer UNIMPLEMENTED meanwhile): `Memories.AddStream`,
 * `Events.Watch`, the standard health service and reflection.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import {
  type handleServerStreamingCall,
  type handleUnaryCall,
  loadPackageDefinition,
  type Metadata,
  Server,
  type ServiceClientConstructor,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { MemspaceError } from '../core/errors.js';
import { MemoryBatchSchema } from '../core/schemas.js';
import { pickSpace, SPACE_HEADER } from '../core/space-name.js';
import { parseWith } from '../core/validate.js';
import type { Memory, SearchHit } from '../core/views.js';
import { type CallContext, LOCAL_PRINCIPAL, type Principal } from '../engine/access-guard.js';
import { keyOfAuthorization } from '../engine/key-service.js';
import type { Memspace } from '../memspace.js';
import { toGrpcError } from './grpc-errors.js';
import { fromStruct, type ProtoStruct, toStruct } from './struct.js';

/** The protocol file, versioned with the package. */
export const PROTO_PATH = fileURLToPath(new URL('../../proto/memspace/v1/memspace.proto', import.meta.url));

/** How proto-loader reads the protocol: field names as written, 64-bit numbers as numbers, oneofs named. */
export const PROTO_OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true } as const;

/** The services of `memspace.v1`, as grpc-js constructors (clients) with their definitions. */
export function memspaceServices(): Record<'Spaces' | 'Memories' | 'Events', ServiceClientConstructor> {
  const root = loadPackageDefinition(loadSync(PROTO_PATH, PROTO_OPTIONS)) as unknown as { memspace: { v1: Record<string, ServiceClientConstructor> } };
  const { Spaces, Memories, Events } = root.memspace.v1;
  return { Spaces: Spaces!, Memories: Memories!, Events: Events! };
}

/** What {@link buildGrpcServer} serves. */
export interface GrpcServerDeps {
  memspace: Memspace;
  /** Require API keys, as the REST app does. @default true */
  auth?: boolean;
}

/** The caller of one gRPC call, as the engine's services take it. */
interface Caller {
  call: CallContext & { principal: Principal };
  /** The space the call addresses: its `space` field, the `x-memory-space` metadata, or the key's default space. */
  space(field: string): string;
}

/**
 * A grpc-js server with the memspace services added; the caller binds and starts it
 * (`bindAsync`), and shuts it down before closing memspace.
 */
export function buildGrpcServer(deps: GrpcServerDeps): Server {
  const services = memspaceServices();
  const server = new Server();
  server.addService(services.Spaces.service, spacesService(deps));
  server.addService(services.Memories.service, memoriesService(deps));
  return server;
}

/** Authenticates the call's key and builds its caller; `rpc` names the method for refusal audits. */
async function callerOf(deps: GrpcServerDeps, metadata: Metadata, rpc: string): Promise<Caller> {
  let principal: Principal = LOCAL_PRINCIPAL;
  if (deps.auth !== false) {
    const [authorization] = metadata.get('authorization');
    if (typeof authorization !== 'string') throw new MemspaceError('UNAUTHENTICATED', 'send an API key: authorization: Bearer <key>');
    principal = await deps.memspace.keys.authenticate(keyOfAuthorization(authorization));
  }
  const named = metadata.get(SPACE_HEADER);
  const call = { principal, requestId: randomUUID(), via: { rpc } };
  return {
    call,
    space: (field) =>
      pickSpace(
        [
          ['space field', field === '' ? undefined : field],
          ['x-memory-space metadata', named.length === 0 ? undefined : named.length === 1 ? String(named[0]) : named.map(String)],
        ],
        principal.defaultSpace ?? undefined,
      ),
  };
}

function unary<Req, Res>(deps: GrpcServerDeps, rpc: string, fn: (request: Req, caller: Caller) => Promise<Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    callerOf(deps, call.metadata, rpc)
      .then((caller) => fn(call.request, caller))
      .then(
        (response) => callback(null, response),
        (error: unknown) => callback(toGrpcError(error)),
      );
  };
}

/**
 * A server-streaming handler: `fn` writes messages, each `write` waiting while the client's
 * buffer is full (so a whole space is never held in memory), until it returns or the client
 * cancels.
 */
function serverStream<Req, Res>(
  deps: GrpcServerDeps,
  rpc: string,
  fn: (request: Req, caller: Caller, write: (message: Res) => Promise<void>, cancelled: () => boolean) => Promise<void>,
): handleServerStreamingCall<Req, Res> {
  return (call) => {
    const write = async (message: Res): Promise<void> => {
      if (!call.write(message)) await Promise.race([once(call, 'drain'), once(call, 'cancelled')]);
    };
    callerOf(deps, call.metadata, rpc)
      .then((caller) => fn(call.request, caller, write, () => call.cancelled))
      .then(
        () => call.end(),
        (error: unknown) => call.emit('error', toGrpcError(error)),
      );
  };
}

// ---- messages ---------------------------------------------------------------------------

interface SpaceRef {
  space: string;
}
interface SpaceMessage {
  name: string;
  fields: ProtoStruct;
}
interface MemoryMessage {
  id: string;
  content: string;
  fields: ProtoStruct;
}
interface AddMemoryRequest {
  space: string;
  id: string;
  content: string;
  tags: string[];
  metadata: ProtoStruct | null;
  embedding: number[];
  fields: ProtoStruct | null;
}
interface MemoryRef {
  space: string;
  id: string;
}

function spaceMessage(view: object): SpaceMessage {
  const { name, ...fields } = view as { name: string } & Record<string, unknown>;
  return { name, fields: toStruct(fields) };
}

function memoryMessage(memory: Memory): MemoryMessage {
  const { id, content, ...fields } = memory;
  return { id, content, fields: toStruct(fields as Record<string, unknown>) };
}

/** An add request as the REST body of an add: only the fields given. */
function memoryInput(r: AddMemoryRequest): Record<string, unknown> {
  const metadata = fromStruct(r.metadata);
  return {
    ...fromStruct(r.fields),
    content: r.content,
    ...(r.id !== '' && { id: r.id }),
    ...(r.tags.length > 0 && { tags: r.tags }),
    ...(metadata !== undefined && { metadata }),
    ...(r.embedding.length > 0 && { embedding: r.embedding }),
  };
}

// ---- services ---------------------------------------------------------------------------

function spacesService(deps: GrpcServerDeps): UntypedServiceImplementation {
  const ms = deps.memspace;
  const rpc = (method: string): string => `memspace.v1.Spaces/${method}`;
  return {
    Create: unary(deps, rpc('Create'), async (r: { name: string; description: string; embedder: string; dimension: number; settings: ProtoStruct | null }, { call }) => {
      const input = { ...fromStruct(r.settings), name: r.name, ...(r.description !== '' && { description: r.description }), ...(r.embedder !== '' && { embedder: r.embedder }), ...(r.dimension > 0 && { dimension: r.dimension }) };
      return spaceMessage(await ms.spaces.create(input, call));
    }),
    Get: unary(deps, rpc('Get'), async (r: SpaceRef, { call, space }) => spaceMessage(await ms.spaces.get(space(r.space), call))),
    List: unary(deps, rpc('List'), async (r: { limit: number; cursor: string }, { call }) => {
      const page = await ms.spaces.list({ ...(r.limit > 0 && { limit: r.limit }), ...(r.cursor !== '' && { cursor: r.cursor }) }, call);
      return { spaces: page.items.map(spaceMessage), next: page.nextCursor ?? '' };
    }),
    Update: unary(deps, rpc('Update'), async (r: { space: string; changes: ProtoStruct | null }, { call, space }) => spaceMessage(await ms.spaces.update(space(r.space), fromStruct(r.changes) ?? {}, call))),
    Delete: unary(deps, rpc('Delete'), async (r: SpaceRef, { call, space }) => {
      await ms.spaces.delete(space(r.space), call);
      return { deleted: 1 };
    }),
    Health: unary(deps, rpc('Health'), async (r: SpaceRef, { call, space }) => toStruct((await ms.health.spaceHealth(space(r.space), call)) as unknown as Record<string, unknown>)),
  };
}

/** Memories a List stream reads per page of the engine's listing. */
const LIST_PAGE = 500;

function memoriesService(deps: GrpcServerDeps): UntypedServiceImplementation {
  const ms = deps.memspace;
  const rpc = (method: string): string => `memspace.v1.Memories/${method}`;
  return {
    Add: unary(deps, rpc('Add'), async (r: AddMemoryRequest, { call, space }) => memoryMessage(await ms.memories.add(space(r.space), memoryInput(r), call))),
    BatchAdd: unary(deps, rpc('BatchAdd'), async (r: { space: string; memories: AddMemoryRequest[] }, { call, space }) => {
      // The batch's own rules (1 to MAX_BATCH memories) as the REST route checks them.
      const { memories } = parseWith(MemoryBatchSchema, { memories: r.memories.map(memoryInput) }, 'batch');
      return { memories: (await ms.memories.addMany(space(r.space), memories, call)).map(memoryMessage) };
    }),
    Get: unary(deps, rpc('Get'), async (r: MemoryRef, { call, space }) => memoryMessage(await ms.memories.get(space(r.space), r.id, {}, call))),
    Update: unary(deps, rpc('Update'), async (r: { space: string; id: string; changes: ProtoStruct | null; embedding: number[] }, { call, space }) => {
      const changes = { ...fromStruct(r.changes), ...(r.embedding.length > 0 && { embedding: r.embedding }) };
      return memoryMessage(await ms.memories.update(space(r.space), r.id, changes, call));
    }),
    Delete: unary(deps, rpc('Delete'), async (r: MemoryRef, { call, space }) => {
      await ms.memories.delete(space(r.space), r.id, call);
      return { deleted: 1 };
    }),
    History: unary(deps, rpc('History'), async (r: MemoryRef, { call, space }) => ({
      entries: (await ms.memories.history(space(r.space), r.id, call)).map((entry) => toStruct(entry as unknown as Record<string, unknown>)),
    })),
    Search: unary(
      deps,
      rpc('Search'),
      async (r: { space: string; query: string; embedding: number[]; mode: string; limit: number; filter: ProtoStruct | null; options: ProtoStruct | null }, { call, space }) => {
        const filter = fromStruct(r.filter);
        const request = {
          ...fromStruct(r.options),
          ...(r.query !== '' && { query: r.query }),
          ...(r.embedding.length > 0 && { embedding: r.embedding }),
          ...(r.mode !== '' && { mode: r.mode }),
          ...(r.limit > 0 && { limit: r.limit }),
          ...(filter !== undefined && { filter }),
        };
        const { results } = await ms.search.run(space(r.space), request, call);
        return { results: results.map((hit: SearchHit) => ({ memory: memoryMessage(hit.memory), score: hit.score, scores: hit.scores })) };
      },
    ),
    List: serverStream(deps, rpc('List'), async (r: { space: string; filter: ProtoStruct | null }, { call, space }, write: (m: MemoryMessage) => Promise<void>, cancelled) => {
      const name = space(r.space);
      const filter = fromStruct(r.filter);
      let cursor: string | null = null;
      do {
        const page = await ms.memories.list(name, { limit: LIST_PAGE, order: 'asc', ...(cursor !== null && { cursor }), ...(filter !== undefined && { filter }) }, call);
        for (const memory of page.items) if (!cancelled()) await write(memoryMessage(memory));
        cursor = page.nextCursor;
      } while (cursor !== null && !cancelled());
    }),
  };
}
