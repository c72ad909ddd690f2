import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { isMemspaceError, MemspaceError } from '../../core/errors.js';
import { definedOnly } from '../../core/defined.js';
import type { Role } from '../../core/grants.js';
import type { ChatModel } from '../../core/ports/chat-model.js';
import { parseWith } from '../../core/validate.js';
import type { Memory } from '../../core/views.js';
import type { CallContext, Principal } from '../../engine/access-guard.js';
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

/** What a mem0 handler gets from the route that serves it. */
export interface Mem0Request {
  request: FastifyRequest;
  reply: FastifyReply;
  /** The authenticated caller, as the engine takes it. */
  call: CallContext & { principal: Principal };
  /** Asks the engine guard whether the caller may act on a space with a role (a refusal is audited there). */
  authorize(space: string, role: Role): Promise<void>;
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
 * The handlers of the mem0-compatible API: each translates a mem0 request into engine calls on
 * the space the request reaches (its `user/namespace` ids, the `X-Memory-Space` header, the
 * key's default space, else `default`) and answers in mem0's snake_case shapes.
 */
export class Mem0Handlers {
  constructor(
    private readonly ms: Pick<Memspace, 'memories' | 'search'>,
    private readonly chat: ChatModel | undefined,
    private readonly now: () => number,
  ) {}

  ping({ call }: Mem0Request): Promise<unknown> {
    return Promise.resolve({ status: 'ok', message: 'memspace: mem0-compatible API', default_space: call.principal.defaultSpace ?? 'default' });
  }

  async add(version: 'v1' | 'v3', r: Mem0Request): Promise<unknown> {
    const body = parse(Mem0AddSchema, r.request.body, 'body');
    const namespaces = new Namespaces();
    const userId = body.user_id == null ? undefined : namespaces.user(body.user_id, 'user_id');
    const space = await open(r, namespaces, 'write');
    const outcome = await addMessages(this.ms, this.chat, body, { space, userId, ctx: r.call }, new Date(this.now()).toISOString().slice(0, 10));
    if (version === 'v1' && body.output_format === 'v1.0') return outcome.events.map((e) => ({ ...e, data: { memory: e.memory } }));
    return {
      results: outcome.events,
      inference: outcome.inference,
      ...(outcome.inference === 'unavailable' && {
        warning: 'no LLM is configured on this server (MEMSPACE_LLM_BASE_URL): each message was stored as it is, without fact extraction',
      }),
    };
  }

  async search(version: 'v1' | 'v2' | 'v3', r: Mem0Request): Promise<unknown> {
    const body = parse(Mem0SearchSchema, r.request.body, 'body');
    const namespaces = new Namespaces();
    const filter = allOf(filtersOf(body.filters, namespaces), entityFilter(body, namespaces), metadataFilter(body.metadata), categoriesFilter(body.categories));
    const space = await open(r, namespaces, 'read');
    const request = {
      query: body.query,
      // Cosine similarity, as mem0 scores; keyword_search adds BM25 (hybrid).
      mode: body.keyword_search === true ? 'hybrid' : 'vector',
      limit: body.top_k ?? body.limit ?? DEFAULT_TOP_K,
      ...definedOnly({ threshold: body.threshold ?? undefined, filter }),
    };
    const { results } = await this.ms.search.run(space, request, r.call);
    const hits = results.map((hit) => pickFields(toMem0(hit.memory, hit.score), body.fields));
    return version === 'v3' || body.output_format === 'v1.1' ? { results: hits } : hits;
  }

  /** `GET /v1/memories/`: mem0's v1 listing, filtered by query parameters. */
  async listByQuery(r: Mem0Request): Promise<unknown> {
    const q = parse(Mem0ListQuerySchema, r.request.query, 'query');
    const namespaces = new Namespaces();
    const filter = allOf(entityFilter(q, namespaces), dateRangeFilter(q.start_date, q.end_date));
    const space = await open(r, namespaces, 'read');
    if (q.page !== undefined || q.page_size !== undefined) {
      return this.paginate(r, space, filter, q.page ?? 1, q.page_size ?? DEFAULT_PAGE_SIZE, undefined);
    }
    const items = (await this.ms.memories.list(space, { limit: q.limit ?? DEFAULT_LIST_LIMIT, ...definedOnly({ filter }) }, r.call)).items.map((m) => toMem0(m));
    return q.output_format === 'v1.1' ? { results: items } : items;
  }

  /** `POST /v2|v3/memories/`: the listings filtered by a body. */
  async listByBody(version: 'v2' | 'v3', r: Mem0Request): Promise<unknown> {
    const body = parse(Mem0ListBodySchema, r.request.body ?? {}, 'body');
    const page = parse(Mem0PageQuerySchema, r.request.query, 'query');
    const namespaces = new Namespaces();
    const filter = allOf(filtersOf(body.filters, namespaces), entityFilter(body, namespaces), dateRangeFilter(body.start_date, body.end_date), categoriesFilter(body.categories));
    const space = await open(r, namespaces, 'read');
    if (version === 'v3' || page.page !== undefined || page.page_size !== undefined) {
      return this.paginate(r, space, filter, page.page ?? 1, page.page_size ?? DEFAULT_PAGE_SIZE, body.fields);
    }
    const items = (await this.ms.memories.list(space, { limit: body.limit ?? DEFAULT_LIST_LIMIT, ...definedOnly({ filter }) }, r.call)).items.map((m) => pickFields(toMem0(m), body.fields));
    return body.output_format === 'v1.1' ? { results: items } : items;
  }

  async get(r: Mem0Request): Promise<unknown> {
    const space = await open(r, new Namespaces(), 'read');
    return toMem0(await this.ms.memories.get(space, memoryId(r), {}, r.call));
  }

  async update(r: Mem0Request): Promise<unknown> {
    const body = parse(Mem0UpdateSchema, r.request.body, 'body');
    const space = await open(r, new Namespaces(), 'write');
    const patch = definedOnly({
      content: body.text ?? undefined,
      metadata: body.metadata ?? undefined,
      expiresAt: body.expiration_date === undefined ? undefined : expiresAtOf(body.expiration_date),
    });
    return toMem0(await this.ms.memories.update(space, memoryId(r), patch, r.call));
  }

  async delete(r: Mem0Request): Promise<unknown> {
    parse(Mem0DeleteOneQuerySchema, r.request.query, 'query');
    const space = await open(r, new Namespaces(), 'write');
    await this.ms.memories.delete(space, memoryId(r), r.call);
    return { message: 'Memory deleted successfully!' };
  }

  async history(r: Mem0Request): Promise<unknown> {
    const space = await open(r, new Namespaces(), 'read');
    const id = memoryId(r);
    const entries = await this.ms.memories.history(space, id, r.call);
    const userId = await this.ms.memories.get(space, id, {}, r.call).then(
      (m) => m.userId,
      (error: unknown) => {
        if (isMemspaceError(error, 'NOT_FOUND')) return null; // deleted: its history remains
        throw error;
      },
    );
    return historyToMem0(entries, userId);
  }

  /** `DELETE /v1/memories/?user_id=`: every memory of a user, agent or run; never a whole space. */
  async deleteAll(r: Mem0Request): Promise<unknown> {
    const q = parse(Mem0DeleteAllQuerySchema, r.request.query, 'query');
    const namespaces = new Namespaces();
    const filter = entityFilter(q, namespaces);
    if (filter === undefined) {
      throw new MemspaceError('VALIDATION_FAILED', 'give user_id, agent_id or run_id: deleteAll never empties a whole space', {
        issues: [{ path: 'user_id', message: 'required (or agent_id, run_id)' }],
      });
    }
    const space = await open(r, namespaces, 'write');
    const { deleted } = await this.ms.memories.deleteMatching(space, filter, r.call);
    return { message: 'Memories deleted successfully!', deleted };
  }

  async entities(r: Mem0Request): Promise<unknown> {
    const q = parse(Mem0EntitiesQuerySchema, r.request.query, 'query');
    const space = await open(r, new Namespaces(), 'read');
    const tally = new EntityTally();
    await this.walk(r, space, undefined, (m) => tally.add(m));
    const all = tally.entities();
    const size = q.page_size ?? Math.max(all.length, 1);
    const page = q.page ?? 1;
    return {
      count: all.length,
      next: page * size < all.length ? pageUrl(r.request, page + 1, size) : null,
      previous: page > 1 ? pageUrl(r.request, page - 1, size) : null,
      results: all.slice((page - 1) * size, page * size),
    };
  }

  async deleteEntity(r: Mem0Request): Promise<unknown> {
    parse(Mem0EntitiesQuerySchema, r.request.query, 'query');
    const params = r.request.params as { type: string; name: string };
    const type = parse(Mem0EntityTypeSchema, params.type, 'entity type');
    const namespaces = new Namespaces();
    const name = type === 'user' ? namespaces.user(params.name, 'entity') : params.name;
    const space = await open(r, namespaces, 'write');
    const { deleted } = await this.ms.memories.deleteMatching(space, { [`${type}Id`]: { eq: name } }, r.call);
    return { message: 'Entity deleted successfully!', deleted };
  }

  /** Calls `fn` on every memory matching `filter`, newest first, page by page (no cap). */
  private async walk(r: Mem0Request, space: string, filter: SpaceFilter | undefined, fn: (m: Memory) => void): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.ms.memories.list(space, { limit: WALK_PAGE, ...definedOnly({ filter, cursor }) }, r.call);
      page.items.forEach(fn);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** mem0's numbered pages: `{count, next, previous, results}`, counting every match. */
  private async paginate(r: Mem0Request, space: string, filter: SpaceFilter | undefined, page: number, size: number, fields: readonly string[] | null | undefined) {
    const start = (page - 1) * size;
    const results: Record<string, unknown>[] = [];
    let count = 0;
    await this.walk(r, space, filter, (m) => {
      if (count >= start && count < start + size) results.push(pickFields(toMem0(m), fields));
      count += 1;
    });
    return {
      count,
      next: start + size < count ? pageUrl(r.request, page + 1, size) : null,
      previous: page > 1 ? pageUrl(r.request, page - 1, size) : null,
      results,
    };
  }
}

/** Chooses the space of a request (namespace, header, key default, `default`) and asks the guard for the role there. */
async function open(r: Mem0Request, namespaces: Namespaces, role: Role): Promise<string> {
  const space = chooseSpace(r.request.headers, r.call.principal, namespaces);
  await r.authorize(space, role);
  return space;
}

function memoryId(r: Mem0Request): string {
  return (r.request.params as { id: string }).id;
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
