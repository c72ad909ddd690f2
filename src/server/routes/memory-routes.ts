import { z } from 'zod';
import { MemspaceError } from '../../core/errors.js';
import { FilterSchema, MAX_LIMIT, MemoryBatchSchema, MemoryInputSchema, MemoryPatchSchema } from '../../core/schemas.js';
import { parseWith } from '../../core/validate.js';
import { definedOnly } from '../../core/defined.js';
import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { withoutSpace } from '../space-resolution.js';
import { DeletedResponse, HistoryResponse, MemoryListResponse, MemoryPageResponse, MemoryResponse } from '../../core/response-schemas.js';

/** Query string of a memory listing; repeated `tag` is a list, `filter` is JSON. */
const ListQueryString = z.strictObject({
  space: z.string().optional(),
  userId: z.string().optional(),
  agentId: z.string().optional(),
  runId: z.string().optional(),
  kind: z.string().optional(),
  tag: z.union([z.string(), z.array(z.string())]).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).optional(),
  cursor: z.string().optional(),
  order: z.enum(['asc', 'desc']).optional(),
  filter: z.string().optional(),
  /** Text, as every query parameter: only `true` and `false`, so a typo is refused rather than read as true. */
  includeSuperseded: z.enum(['true', 'false']).optional(),
});

/** Query string of routes that take nothing but the space. */
export const SpaceOnlyQuery = z.strictObject({ space: z.string().optional() });
const DeleteByFilterBody = z.strictObject({ filter: FilterSchema });

/** The `:id` (or another) path parameter. */
export function param(params: unknown, name = 'id'): string {
  return (params as Record<string, string>)[name]!;
}

/** Routes on the memories of one space, in both route forms. */
export function memoryRoutes(ms: Memspace): RouteSpec[] {
  return [
    {
      method: 'POST',
      path: '/memories',
      scoped: true,
      tag: 'memories',
      summary: 'Add a memory',
      role: 'write',
      body: MemoryInputSchema,
      status: 201,
      response: MemoryResponse, errors: ['DIMENSION_MISMATCH'],
      handler: ({ request, space, call }) => ms.memories.add(space, withoutSpace(request.body), call),
    },
    {
      method: 'POST',
      path: '/memories/batch',
      scoped: true,
      tag: 'memories',
      summary: 'Add memories all together or not at all',
      role: 'write',
      body: MemoryBatchSchema,
      status: 201,
      response: MemoryListResponse, errors: ['DIMENSION_MISMATCH'],
      handler: async ({ request, space, call }) => {
        const { memories } = parseWith(MemoryBatchSchema, withoutSpace(request.body), 'batch');
        return { memories: await ms.memories.addMany(space, memories, call) };
      },
    },
    {
      method: 'GET',
      path: '/memories',
      scoped: true,
      tag: 'memories',
      summary: 'List memories, newest first',
      role: 'read',
      query: ListQueryString,
      response: MemoryPageResponse,
      handler: ({ request, space, call }) => {
        const { space: _space, tag, filter, includeSuperseded, ...q } = parseWith(ListQueryString, request.query, 'query');
        const query = {
          ...definedOnly(q),
          ...definedOnly({ tags: tag === undefined ? undefined : [tag].flat(), filter: filter === undefined ? undefined : jsonParameter(filter, 'filter') }),
          ...(includeSuperseded !== undefined && { includeSuperseded: includeSuperseded === 'true' }),
        };
        return ms.memories.list(space, query, call);
      },
    },
    {
      method: 'POST',
      path: '/memories/delete',
      scoped: true,
      tag: 'memories',
      summary: 'Delete every memory matching a filter (no cap); returns the count',
      role: 'write',
      body: DeleteByFilterBody,
      response: DeletedResponse,
      handler: ({ request, space, call }) => {
        const body = withoutSpace(request.body) as { filter?: unknown } | undefined;
        parseWith(z.strictObject({ filter: z.unknown() }), body, 'body');
        return ms.memories.deleteMatching(space, body?.filter, call);
      },
    },
    {
      method: 'GET',
      path: '/memories/:id',
      scoped: true,
      tag: 'memories',
      summary: 'Get a memory',
      role: 'read',
      query: SpaceOnlyQuery,
      response: MemoryResponse,
      handler: ({ request, space, call }) => ms.memories.get(space, param(request.params), {}, call),
    },
    {
      method: 'PATCH',
      path: '/memories/:id',
      scoped: true,
      tag: 'memories',
      summary: 'Change a memory (new content is embedded again)',
      role: 'write',
      body: MemoryPatchSchema,
      response: MemoryResponse,
      handler: ({ request, space, call }) => ms.memories.update(space, param(request.params), withoutSpace(request.body), call),
    },
    {
      method: 'DELETE',
      path: '/memories/:id',
      scoped: true,
      tag: 'memories',
      summary: 'Delete a memory and its relations',
      role: 'write',
      query: SpaceOnlyQuery,
      status: 204,
      handler: async ({ request, space, call }) => {
        await ms.memories.delete(space, param(request.params), call);
      },
    },
    {
      method: 'GET',
      path: '/memories/:id/history',
      scoped: true,
      tag: 'memories',
      summary: "A memory's history, oldest first",
      role: 'read',
      query: SpaceOnlyQuery,
      response: HistoryResponse,
      handler: async ({ request, space, call }) => ({ history: await ms.memories.history(space, param(request.params), call) }),
    },
  ];
}

function jsonParameter(text: string, name: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new MemspaceError('VALIDATION_FAILED', `${name} is not valid JSON`, { issues: [{ path: name, message: 'not JSON' }] });
  }
}
