import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { isMemspaceError, MemspaceError } from '../../core/errors.js';
import type { Role } from '../../core/grants.js';
import type { ChatModel } from '../../core/ports/chat-model.js';
import { parseWith } from '../../core/validate.js';
import type { Memory } from '../../core/views.js';
import { requireRole, type Principal } from '../../engine/access.js';
import type { CallContext } from '../../engine/memory-service.js';
import { OpenAIChatModel } from '../../embed/openai-chat-model.js';
import type { Memspace } from '../../memspace.js';
import { addMessages } from './add.js';
import { allOf, categoriesFilter, dateRangeFilter, entityFilter, metadataFilter, Namespaces, translateFilters, type SpaceFilter } from './filters.js';
import { EntityTally, expiresAtOf, historyToMem0, pickFields, toMem0 } from './mapping.js';
import {
  Mem0AddSchema,
  Mem0DeleteAllQuerySchema,
  Mem0DeleteOneQuerySchema,
  Mem0EntitiesQuerySchema,
  Mem0EntityTypeSchema,
  Mem0ListBodySchema,
  Mem0ListQuerySchema,
  Mem0PageQuerySchema,
  Mem0SearchSchema,
  Mem0UpdateSchema,
} from './schemas.js';
import { chooseSpace } from './space.js';

/** Options of {@link registerMem0Api}. */
export interface Mem0ApiOptions {
  memspace: Memspace;
  /**
   * The chat model that infers facts on add.
   * @default an OpenAI-compatible client when the configuration has `llmBaseUrl`, else none (messages are stored as they are)
   */
  chat?: ChatModel;
  /** Clock, in epoch ms (today's date in the extraction prompt). @default Date.now */
  now?: () => number;
  /** Hears of each request refused by authorization, for the audit trail of the space it named. */
  onDenied?: (request: FastifyRequest, space: string, error: MemspaceError) => Promise<void>;
}

/** What a handler gets. */
interface Call {
  request: FastifyRequest;
  reply: FastifyReply;
  ctx: CallContext;
  /** Chooses the space (namespace, header, key default, `default`) and checks the key's role there. */
  open(namespaces: Namespaces, role: Role): Promise<string>;
}

/** Items per page of the v3 listing when the client names none, as mem0. */
const DEFAULT_PAGE_SIZE = 100;
/** Memories of an unpaginated listing when the client names no limit, as mem0. */
const DEFAULT_LIST_LIMIT = 100;
/** Results of a search when the client names no `top_k`. */
const DEFAULT_TOP_K = 10;
/** Rows per engine page while walking a whole listing. */
const WALK_PAGE = 1000;

/**
 * Registers the mem0-compatible REST API (the routes the `mem0ai` `MemoryClient`, 2.x and 3.x,
 * calls, trailing slashes included) in an encapsulated scope of `app`: authentication, the
 * error handler and the logs are the app's; error bodies additionally carry mem0's `detail`.
 * Answers are in mem0's snake_case shapes. README.md, "mem0-compatible API", is the reference.
 */
export async function registerMem0Api(app: FastifyInstance, options: Mem0ApiOptions): Promise<void> {
  const ms = options.memspace;
  const now = options.now ?? Date.now;
  const owned = options.chat === undefined ? chatFromConfig(ms) : undefined;
  const chat = options.chat ?? owned;
  const s = ms.service;

  await app.register(async (scope) => {
    if (owned !== undefined) scope.addHook('onClose', async () => owned.close());
    // The mem0 clients send `Content-Type: application/json` on every request, DELETEs without a
    // body included: an empty body is no body here, anything else is parsed as the app parses JSON.
    const json = scope.getDefaultJsonParser('error', 'error');
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      if (body === '') return done(null, undefined);
      return json(request, body as string, done);
    });
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

    const route = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, handler: (call: Call) => Promise<unknown>): void => {
      scope.route({
        method,
        url,
        handler: async (request, reply) => {
          const principal = (request as FastifyRequest & { principal: Principal }).principal;
          const open = async (namespaces: Namespaces, role: Role): Promise<string> => {
            const space = chooseSpace(request.headers, principal, namespaces);
            try {
              requireRole(principal, space, role);
            } catch (error) {
              if (error instanceof MemspaceError && options.onDenied !== undefined) {
                await options.onDenied(request, space, error).catch((e: unknown) => request.log.error({ err: e }, 'could not audit a denied request'));
              }
              throw error;
            }
            return space;
          };
          return handler({ request, reply, ctx: { actor: principal.keyId, requestId: request.id }, open });
        },
      });
    };
    const memoryId = (request: FastifyRequest): string => (request.params as { id: string }).id;

    route('GET', '/v1/ping/', async ({ request }) => {
      const principal = (request as FastifyRequest & { principal: Principal }).principal;
      return { status: 'ok', message: 'memspace: mem0-compatible API', default_space: principal.defaultSpace ?? 'default' };
    });

    // ---- add --------------------------------------------------------------------------
    const add = (version: 'v1' | 'v3') => async ({ request, ctx, open }: Call) => {
      const body = parse(Mem0AddSchema, request.body, 'body');
      const namespaces = new Namespaces();
      const userId = body.user_id == null ? undefined : namespaces.user(body.user_id, 'user_id');
      const space = await open(namespaces, 'write');
      const outcome = await addMessages(s, chat, body, { space, userId, ctx }, new Date(now()).toISOString().slice(0, 10));
      if (version === 'v1' && body.output_format === 'v1.0') return outcome.events.map((e) => ({ ...e, data: { memory: e.memory } }));
      return {
        results: outcome.events,
        inference: outcome.inference,
        ...(outcome.inference === 'unavailable' && {
          warning: 'no LLM is configured on this server (MEMSPACE_LLM_BASE_URL): each message was stored as it is, without fact extraction',
        }),
      };
    };
    route('POST', '/v1/memories/', add('v1'));
    route('POST', '/v3/memories/add/', add('v3'));

    // ---- search -----------------------------------------------------------------------
    const search = (version: 'v1' | 'v2' | 'v3') => async ({ request, open }: Call) => {
      const body = parse(Mem0SearchSchema, request.body, 'body');
      const namespaces = new Namespaces();
      const filter = allOf(filtersOf(body.filters, namespaces), entityFilter(body, namespaces), metadataFilter(body.metadata), categoriesFilter(body.categories));
      const space = await open(namespaces, 'read');
      const { results } = await s.search(space, {
        query: body.query,
        // Cosine similarity, as mem0 scores; keyword_search adds BM25 (hybrid).
        mode: body.keyword_search === true ? 'hybrid' : 'vector',
        limit: body.top_k ?? body.limit ?? DEFAULT_TOP_K,
        ...(body.threshold != null && { threshold: body.threshold }),
        ...(filter !== undefined && { filter }),
      });
      const hits = results.map((hit) => pickFields(toMem0(hit.memory, hit.score), body.fields));
      return version === 'v3' || body.output_format === 'v1.1' ? { results: hits } : hits;
    };
    route('POST', '/v1/memories/search/', search('v1'));
    route('POST', '/v2/memories/search/', search('v2'));
    route('POST', '/v3/memories/search/', search('v3'));

    // ---- list ---------------------------------------------------------------------------
    route('GET', '/v1/memories/', async ({ request, open }) => {
      const q = parse(Mem0ListQuerySchema, request.query, 'query');
      const namespaces = new Namespaces();
      const filter = allOf(entityFilter(q, namespaces), dateRangeFilter(q.start_date, q.end_date));
      const space = await open(namespaces, 'read');
      if (q.page !== undefined || q.page_size !== undefined) {
        return paginate(space, filter, q.page ?? 1, q.page_size ?? DEFAULT_PAGE_SIZE, request, undefined);
      }
      const items = (await s.listMemories(space, { limit: q.limit ?? DEFAULT_LIST_LIMIT, ...(filter !== undefined && { filter }) })).items.map((m) => toMem0(m));
      return q.output_format === 'v1.1' ? { results: items } : items;
    });
    const list = (version: 'v2' | 'v3') => async ({ request, open }: Call) => {
      const body = parse(Mem0ListBodySchema, request.body ?? {}, 'body');
      const page = parse(Mem0PageQuerySchema, request.query, 'query');
      const namespaces = new Namespaces();
      const filter = allOf(filtersOf(body.filters, namespaces), entityFilter(body, namespaces), dateRangeFilter(body.start_date, body.end_date), categoriesFilter(body.categories));
      const space = await open(namespaces, 'read');
      if (version === 'v3' || page.page !== undefined || page.page_size !== undefined) {
        return paginate(space, filter, page.page ?? 1, page.page_size ?? DEFAULT_PAGE_SIZE, request, body.fields);
      }
      const items = (await s.listMemories(space, { limit: body.limit ?? DEFAULT_LIST_LIMIT, ...(filter !== undefined && { filter }) })).items.map((m) => pickFields(toMem0(m), body.fields));
      return body.output_format === 'v1.1' ? { results: items } : items;
    };
    route('POST', '/v2/memories/', list('v2'));
    route('POST', '/v3/memories/', list('v3'));

    // ---- one memory -----------------------------------------------------------------------
    route('GET', '/v1/memories/:id/', async ({ request, open }) => {
      const space = await open(new Namespaces(), 'read');
      return toMem0(await s.getMemory(space, memoryId(request)));
    });
    route('PUT', '/v1/memories/:id/', async ({ request, ctx, open }) => {
      const body = parse(Mem0UpdateSchema, request.body, 'body');
      const space = await open(new Namespaces(), 'write');
      const patch = {
        ...(body.text != null && { content: body.text }),
        ...(body.metadata != null && { metadata: body.metadata }),
        ...(body.expiration_date !== undefined && { expiresAt: expiresAtOf(body.expiration_date) }),
      };
      return toMem0(await s.updateMemory(space, memoryId(request), patch, ctx));
    });
    route('DELETE', '/v1/memories/:id/', async ({ request, ctx, open }) => {
      parse(Mem0DeleteOneQuerySchema, request.query, 'query');
      const space = await open(new Namespaces(), 'write');
      await s.deleteMemory(space, memoryId(request), ctx);
      return { message: 'Memory deleted successfully!' };
    });
    route('GET', '/v1/memories/:id/history/', async ({ request, open }) => {
      const space = await open(new Namespaces(), 'read');
      const id = memoryId(request);
      const entries = await s.history(space, id);
      const userId = await s.getMemory(space, id).then(
        (m) => m.userId,
        (error: unknown) => {
          if (isMemspaceError(error, 'NOT_FOUND')) return null; // deleted: its history remains
          throw error;
        },
      );
      return historyToMem0(entries, userId);
    });

    // ---- delete all -----------------------------------------------------------------------
    route('DELETE', '/v1/memories/', async ({ request, ctx, open }) => {
      const q = parse(Mem0DeleteAllQuerySchema, request.query, 'query');
      const namespaces = new Namespaces();
      const filter = entityFilter(q, namespaces);
      if (filter === undefined) {
        throw new MemspaceError('VALIDATION_FAILED', 'give user_id, agent_id or run_id: deleteAll never empties a whole space', {
          issues: [{ path: 'user_id', message: 'required (or agent_id, run_id)' }],
        });
      }
      const space = await open(namespaces, 'write');
      const { deleted } = await s.deleteMemories(space, filter, ctx);
      return { message: 'Memories deleted successfully!', deleted };
    });

    // ---- entities -------------------------------------------------------------------------
    route('GET', '/v1/entities/', async ({ request, open }) => {
      const q = parse(Mem0EntitiesQuerySchema, request.query, 'query');
      const space = await open(new Namespaces(), 'read');
      const tally = new EntityTally();
      await walk(space, undefined, (m) => tally.add(m));
      const all = tally.entities();
      const size = q.page_size ?? Math.max(all.length, 1);
      const page = q.page ?? 1;
      return {
        count: all.length,
        next: page * size < all.length ? pageUrl(request, page + 1, size) : null,
        previous: page > 1 ? pageUrl(request, page - 1, size) : null,
        results: all.slice((page - 1) * size, page * size),
      };
    });
    const deleteEntity = async ({ request, ctx, open }: Call) => {
      parse(Mem0EntitiesQuerySchema, request.query, 'query');
      const params = request.params as { type: string; name: string };
      const type = parse(Mem0EntityTypeSchema, params.type, 'entity type');
      const namespaces = new Namespaces();
      const name = type === 'user' ? namespaces.user(params.name, 'entity') : params.name;
      const space = await open(namespaces, 'write');
      const { deleted } = await s.deleteMemories(space, { [`${type}Id`]: { eq: name } }, ctx);
      return { message: 'Entity deleted successfully!', deleted };
    };
    route('DELETE', '/v1/entities/:type/:name/', deleteEntity);
    route('DELETE', '/v2/entities/:type/:name/', deleteEntity);
  });

  /** Calls `fn` on every memory matching `filter`, newest first, page by page (no cap). */
  async function walk(space: string, filter: SpaceFilter | undefined, fn: (m: Memory) => void): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await s.listMemories(space, { limit: WALK_PAGE, ...(filter !== undefined && { filter }), ...(cursor !== undefined && { cursor }) });
      page.items.forEach(fn);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** mem0's numbered pages: `{count, next, previous, results}`, counting every match. */
  async function paginate(space: string, filter: SpaceFilter | undefined, page: number, size: number, request: FastifyRequest, fields: readonly string[] | null | undefined) {
    const start = (page - 1) * size;
    const results: Record<string, unknown>[] = [];
    let count = 0;
    await walk(space, filter, (m) => {
      if (count >= start && count < start + size) results.push(pickFields(toMem0(m), fields));
      count += 1;
    });
    return {
      count,
      next: start + size < count ? pageUrl(request, page + 1, size) : null,
      previous: page > 1 ? pageUrl(request, page - 1, size) : null,
      results,
    };
  }
}

/** The OpenAI-compatible chat model the configuration names, if any. */
function chatFromConfig(ms: Memspace): ChatModel | undefined {
  const c = ms.config;
  if (c.llmBaseUrl === undefined) return undefined;
  return new OpenAIChatModel({ baseUrl: c.llmBaseUrl, model: c.llmModel, apiKey: c.llmApiKey, timeoutMs: c.llmTimeoutMs });
}

/** mem0 `filters`; an empty object filters nothing. */
function filtersOf(filters: Record<string, unknown> | null | undefined, namespaces: Namespaces): SpaceFilter | undefined {
  return filters == null || Object.keys(filters).length === 0 ? undefined : translateFilters(filters, namespaces);
}

function parse<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  return parseWith(schema, input ?? {}, what);
}

/** The same URL at another page. */
function pageUrl(request: FastifyRequest, page: number, size: number): string {
  const url = new URL(request.url, `${request.protocol}://${request.host}`);
  url.searchParams.set('page', String(page));
  url.searchParams.set('page_size', String(size));
  return url.toString();
}
