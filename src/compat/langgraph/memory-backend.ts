import { isMemspaceError } from '../../core/errors.js';
import type { Memory, SearchHit } from '../../core/views.js';
import type { MemspaceClient } from '../../client/client.js';
import { definedOnly } from '../../core/defined.js';
import { LOCAL_PRINCIPAL, type AccessGuard, type Principal } from '../../engine/access-guard.js';
import type { MemoryService } from '../../engine/memory-service.js';
import type { SearchService } from '../../engine/search-service.js';
import type { SpaceService } from '../../engine/space-service.js';
import type { Page } from '../../core/views.js';

/** What the store needs to know of a space: how its memories are embedded. */
export interface SpaceFacts {
  embedder: string;
  dimension: number;
}

/**
 * The few memspace operations the LangGraph store is built on, so that it runs the same over
 * the engine in-process and over the HTTP client. Inputs are the engine's unparsed inputs
 * (the engine or the server validates them); errors are `MemspaceError`s.
 */
export interface MemoryBackend {
  /** A space's embedder and dimension; `SPACE_NOT_FOUND` when missing or not visible. */
  spaceFacts(space: string): Promise<SpaceFacts>;
  /** Creates a space; the caller needs admin on it. */
  createSpace(input: Record<string, unknown>): Promise<void>;
  /** True when the caller may create `space` (as far as this side can tell). */
  canCreate(space: string): boolean;
  /** A page of the names of the spaces the caller can see, starting with `prefix`. */
  listSpaces(prefix: string, cursor: string | undefined): Promise<{ names: string[]; nextCursor: string | null }>;
  /** One memory, or undefined when the space holds no such id. */
  get(space: string, id: string): Promise<Memory | undefined>;
  /** Adds a memory with a given id; `CONFLICT` when the id exists. */
  add(space: string, input: Record<string, unknown>): Promise<void>;
  /** Changes a memory; `NOT_FOUND` when it does not exist. */
  update(space: string, id: string, patch: Record<string, unknown>): Promise<void>;
  /** Deletes a memory; a missing one is not an error. */
  remove(space: string, id: string): Promise<void>;
  /** A page of memories matching a filter, oldest first. */
  list(space: string, query: { filter: unknown; limit: number; cursor: string | undefined }): Promise<Page<Memory>>;
  /** A ranked search. */
  search(space: string, request: Record<string, unknown>): Promise<SearchHit[]>;
}

/** Who acts through the engine, for grants and for history and audit entries. */
export interface EngineCaller {
  /** Whose grants apply; a space outside them is `SPACE_NOT_FOUND`. @default every space (the local principal) */
  principal?: Principal;
  /** Recorded as the actor of every change. @default "langgraph" */
  actor?: string;
}

/** The parts of an open memspace the store uses in-process. */
export interface EngineServices {
  guard: AccessGuard;
  spaces: SpaceService;
  memories: MemoryService;
  search: SearchService;
}

/** The store's operations over the engine in-process; the engine checks the principal's grants on every call. */
export function engineBackend(ms: EngineServices, caller: EngineCaller = {}): MemoryBackend {
  const principal = caller.principal ?? LOCAL_PRINCIPAL;
  const call = { principal, actor: caller.actor ?? 'langgraph' };
  return {
    async spaceFacts(space) {
      const info = await ms.spaces.get(space, call);
      return { embedder: info.embedder, dimension: info.dimension };
    },
    async createSpace(input) {
      await ms.spaces.create(input, call);
    },
    canCreate: (space) => ms.guard.canCreate(principal, space),
    async listSpaces(prefix, cursor) {
      const page = await ms.spaces.list({ ...definedOnly({ prefix: prefix === '' ? undefined : prefix, cursor }), limit: 1000 }, call);
      return { names: page.items.map((s) => s.name), nextCursor: page.nextCursor };
    },
    get: (space, id) => missingAsUndefined(ms.memories.get(space, id, {}, call)),
    async add(space, input) {
      await ms.memories.add(space, input, call);
    },
    async update(space, id, patch) {
      await ms.memories.update(space, id, patch, call);
    },
    async remove(space, id) {
      await missingAsUndefined(ms.memories.delete(space, id, call));
    },
    list: (space, query) => ms.memories.list(space, { ...query, order: 'asc' }, call),
    search: async (space, request) => (await ms.search.run(space, request, call)).results,
  };
}

/** The store's operations over the HTTP API; the server checks the key's grants. */
export function clientBackend(client: MemspaceClient): MemoryBackend {
  return {
    async spaceFacts(space) {
      const info = await client.spaces.get(space);
      return { embedder: info.embedder, dimension: info.dimension };
    },
    async createSpace(input) {
      await client.spaces.create(input as Parameters<MemspaceClient['spaces']['create']>[0]);
    },
    // The server alone knows the key's grants, and answers SPACE_NOT_FOUND alike for a missing space and a hidden one.
    canCreate: () => true,
    async listSpaces(prefix, cursor) {
      const page = await client.spaces.list({ ...(prefix !== '' && { prefix }), ...(cursor !== undefined && { cursor }), limit: 1000 });
      return { names: page.items.map((s) => s.name), nextCursor: page.nextCursor };
    },
    get: (space, id) => missingAsUndefined(client.memories.get(id, { space })),
    async add(space, input) {
      await client.memories.add(input as Parameters<MemspaceClient['memories']['add']>[0], { space });
    },
    async update(space, id, patch) {
      await client.memories.update(id, patch, { space });
    },
    async remove(space, id) {
      await missingAsUndefined(client.memories.delete(id, { space }));
    },
    async list(space, query) {
      const page = await client.memories.list(
        { filter: query.filter as Record<string, unknown>, limit: query.limit, order: 'asc', ...(query.cursor !== undefined && { cursor: query.cursor }) },
        { space },
      );
      return { items: page.items, nextCursor: page.nextCursor };
    },
    search: (space, request) => client.search(request as Parameters<MemspaceClient['search']>[0], { space }),
  };
}

/** The value of `promise`, or undefined when it fails with `NOT_FOUND` (a memory, not a space). */
async function missingAsUndefined<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (error) {
    if (isMemspaceError(error, 'NOT_FOUND')) return undefined;
    throw error;
  }
}
