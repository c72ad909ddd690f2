import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { ErrorCode } from '../../core/errors.js';
import type { ChatModel } from '../../core/ports/chat-model.js';
import type { Memspace } from '../../memspace.js';
import { Mem0Handlers, type Mem0Request } from './handlers.js';
import { Mem0Responses as R } from './response-schemas.js';
import {
  Mem0AddSchema,
  Mem0DeleteAllQuerySchema,
  Mem0DeleteOneQuerySchema,
  Mem0EntitiesQuerySchema,
  Mem0ListBodySchema,
  Mem0ListQuerySchema,
  Mem0PageQuerySchema,
  Mem0SearchSchema,
  Mem0UpdateSchema,
} from './schemas.js';

export type { Mem0Request };

/** Options of {@link mem0Api}. */
export interface Mem0ApiOptions {
  memspace: Memspace;
  /**
   * The chat model that infers facts on add.
   * @default the memspace's configured chat model (`llmBaseUrl`), else none (messages are stored as they are)
   */
  chat?: ChatModel;
  /** Clock, in epoch ms (today's date in the extraction prompt). @default Date.now */
  now?: () => number;
}

/** One route of the mem0 API, in the shape of the server's route table (which registers and documents it). */
export interface Mem0Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  scoped: false;
  tag: 'mem0';
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** The schema of a success's body, in mem0's shape (response-schemas.ts); documents it. */
  response: z.ZodType;
  /** Error codes beyond those of any keyed route: the space each request chooses for itself, and the memory it names. */
  errors: readonly ErrorCode[];
  handler(r: Mem0Request): Promise<unknown>;
}

/** Every mem0 route chooses its space (namespace ids, header, the key's default) and may name a memory. */
const MEM0_ERRORS: readonly ErrorCode[] = ['INVALID_SPACE', 'SPACE_CONFLICT', 'SPACE_NOT_FOUND', 'SPACE_ARCHIVED', 'NOT_FOUND'];

/** The mem0 API: its routes, and how to prepare the encapsulated scope they are registered in. */
export interface Mem0Api {
  routes: Mem0Route[];
  /** Installs on the scope what mem0's clients need: lenient JSON parsing and `detail` in error bodies. */
  prepare(scope: FastifyInstance): void;
}

/**
 * The mem0-compatible REST API: the routes the `mem0ai` `MemoryClient` (2.x and 3.x) calls,
 * trailing slashes included, so none clashes with memspace's own. Authentication, access
 * checks, the error handler and the logs are the server's; error bodies additionally carry
 * mem0's `detail`, and answers are in mem0's snake_case shapes. docs/mem0.md is the reference.
 */
export function mem0Api(options: Mem0ApiOptions): Mem0Api {
  // The memspace's chat model is the memspace's to close; one passed in is its caller's.
  const h = new Mem0Handlers(options.memspace, options.chat ?? options.memspace.chat, options.now ?? Date.now);
  const route = (
    method: Mem0Route['method'],
    path: string,
    summary: string,
    handler: Mem0Route['handler'],
    schemas: { body?: z.ZodType; query?: z.ZodType; response: z.ZodType },
  ): Mem0Route => ({
    method,
    path,
    scoped: false,
    tag: 'mem0',
    summary: `mem0: ${summary}`,
    errors: MEM0_ERRORS,
    ...schemas,
    handler,
  });
  const routes = [
    route('GET', '/v1/ping/', 'check the key; names its default space', (r) => h.ping(r), { response: R.ping }),
    route('POST', '/v1/memories/', 'add messages (facts are inferred when an LLM is configured)', (r) => h.add('v1', r), { body: Mem0AddSchema, response: R.add }),
    route('POST', '/v3/memories/add/', 'add messages (facts are inferred when an LLM is configured)', (r) => h.add('v3', r), { body: Mem0AddSchema, response: R.add }),
    route('POST', '/v1/memories/search/', 'search by meaning (keyword_search adds BM25)', (r) => h.search('v1', r), { body: Mem0SearchSchema, response: R.search }),
    route('POST', '/v2/memories/search/', 'search by meaning (keyword_search adds BM25)', (r) => h.search('v2', r), { body: Mem0SearchSchema, response: R.search }),
    route('POST', '/v3/memories/search/', 'search by meaning (keyword_search adds BM25)', (r) => h.search('v3', r), { body: Mem0SearchSchema, response: R.search }),
    route('GET', '/v1/memories/', 'list memories of a user, agent or run', (r) => h.listByQuery(r), { query: Mem0ListQuerySchema, response: R.list }),
    route('POST', '/v2/memories/', 'list memories matching filters', (r) => h.listByBody('v2', r), { body: Mem0ListBodySchema, query: Mem0PageQuerySchema, response: R.list }),
    route('POST', '/v3/memories/', 'list memories matching filters, in numbered pages', (r) => h.listByBody('v3', r), { body: Mem0ListBodySchema, query: Mem0PageQuerySchema, response: R.list }),
    route('GET', '/v1/memories/:id/', 'get a memory', (r) => h.get(r), { response: R.memory }),
    route('PUT', '/v1/memories/:id/', 'change a memory', (r) => h.update(r), { body: Mem0UpdateSchema, response: R.memory }),
    route('DELETE', '/v1/memories/:id/', 'delete a memory', (r) => h.delete(r), { query: Mem0DeleteOneQuerySchema, response: R.message }),
    route('GET', '/v1/memories/:id/history/', "a memory's history", (r) => h.history(r), { response: R.history }),
    route('DELETE', '/v1/memories/', 'delete every memory of a user, agent or run', (r) => h.deleteAll(r), { query: Mem0DeleteAllQuerySchema, response: R.deleted }),
    route('GET', '/v1/entities/', 'the users, agents and runs of the space, with their counts', (r) => h.entities(r), { query: Mem0EntitiesQuerySchema, response: R.entities }),
    route('DELETE', '/v1/entities/:type/:name/', 'delete every memory of one user, agent or run', (r) => h.deleteEntity(r), { query: Mem0EntitiesQuerySchema, response: R.deleted }),
    route('DELETE', '/v2/entities/:type/:name/', 'delete every memory of one user, agent or run', (r) => h.deleteEntity(r), { query: Mem0EntitiesQuerySchema, response: R.deleted }),
  ];
  return { routes, prepare: (scope) => prepareScope(scope) };
}

function prepareScope(scope: FastifyInstance): void {
  // The mem0 clients send `Content-Type: application/json` on every request, DELETEs without a
  // body included: the app's own JSON parser, which this scope inherits, takes an empty body as none.
  // mem0's clients show an error body as it is; DRF-style `detail` is what other mem0 clients read.
  scope.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode < 400 || typeof payload !== 'string') return payload;
    try {
      const body = JSON.parse(payload) as { error?: { message?: unknown } };
      if (typeof body.error?.message === 'string') return JSON.stringify({ ...body, detail: body.error.message });
    } catch {
      // not JSON: leave it
    }
    return payload;
  });
}
