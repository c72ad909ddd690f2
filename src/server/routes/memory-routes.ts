import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { MemspaceError } from '../../core/errors.js';
import {
  FilterSchema,
  MemoryBatchSchema,
  MemoryInputSchema,
  MemoryPatchSchema,
  RelationInputSchema,
  SearchRequestSchema,
} from '../../core/schemas.js';
import { parseWith } from '../../core/validate.js';
import { requireRole } from '../../engine/access.js';
import type { CallContext } from '../../engine/memory-service.js';
import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { resolveSpace, withoutSpace } from '../space-resolution.js';
import { CrossSearchSpacesSchema } from '../../core/grants.js';

/** Query string of a memory listing; repeated `tag` is a list, `filter` is JSON. */
const ListQueryString = z.strictObject({
  space: z.string().optional(),
  userId: z.string().optional(),
  agentId: z.string().optional(),
  runId: z.string().optional(),
  kind: z.string().optional(),
  tag: z.union([z.string(), z.array(z.string())]).optional(),
  limit: z.coerce.number().int().optional(),
  cursor: z.string().optional(),
  order: z.enum(['asc', 'desc']).optional(),
  filter: z.string().optional(),
});

const RelationQueryString = z.strictObject({
  space: z.string().optional(),
  direction: z.enum(['out', 'in', 'both']).optional(),
  type: z.string().optional(),
});

const SpaceOnlyQuery = z.strictObject({ space: z.string().optional() });
const DeleteByFilterBody = z.strictObject({ filter: FilterSchema });

/** Who made a request and which one, for history and the audit trail. */
export function callContext(request: FastifyRequest): CallContext {
  return { actor: request.principal.keyId, requestId: request.id };
}

/** Routes on the memories, relations and search of one space, in both route forms. */
export function memoryRoutes(ms: Memspace): RouteSpec[] {
  const s = ms.service;
  const ctx = callContext;
  const id = (params: unknown, name = 'id'): string => (params as Record<string, string>)[name]!;
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
      handler: ({ request, space }) => s.addMemory(space, withoutSpace(request.body), ctx(request)),
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
      handler: async ({ request, space }) => {
        const { memories } = parseWith(MemoryBatchSchema, withoutSpace(request.body), 'batch');
        return { memories: await s.addMemories(space, memories, ctx(request)) };
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
      handler: ({ request, space }) => {
        const q = parseWith(ListQueryString, request.query, 'query');
        return s.listMemories(space, {
          ...(q.userId !== undefined && { userId: q.userId }),
          ...(q.agentId !== undefined && { agentId: q.agentId }),
          ...(q.runId !== undefined && { runId: q.runId }),
          ...(q.kind !== undefined && { kind: q.kind }),
          ...(q.tag !== undefined && { tags: [q.tag].flat() }),
          ...(q.limit !== undefined && { limit: q.limit }),
          ...(q.cursor !== undefined && { cursor: q.cursor }),
          ...(q.order !== undefined && { order: q.order }),
          ...(q.filter !== undefined && { filter: jsonParameter(q.filter, 'filter') }),
        });
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
      handler: ({ request, space }) => {
        const body = withoutSpace(request.body) as { filter?: unknown } | undefined;
        parseWith(z.strictObject({ filter: z.unknown() }), body, 'body');
        return s.deleteMemories(space, body?.filter, ctx(request));
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
      handler: ({ request, space }) => s.getMemory(space, id(request.params)),
    },
    {
      method: 'PATCH',
      path: '/memories/:id',
      scoped: true,
      tag: 'memories',
      summary: 'Change a memory (new content is embedded again)',
      role: 'write',
      body: MemoryPatchSchema,
      handler: ({ request, space }) => s.updateMemory(space, id(request.params), withoutSpace(request.body), ctx(request)),
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
      handler: async ({ request, space }) => {
        await s.deleteMemory(space, id(request.params), ctx(request));
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
      handler: async ({ request, space }) => ({ history: await s.history(space, id(request.params)) }),
    },
    {
      method: 'POST',
      path: '/search',
      scoped: true,
      pathFormOnly: true,
      tag: 'search',
      summary: 'Search one space by meaning, keywords or both',
      role: 'read',
      body: SearchRequestSchema,
      handler: ({ request, space }) => s.search(space, withoutSpace(request.body)),
    },
    {
      method: 'POST',
      path: '/search',
      scoped: false,
      tag: 'search',
      summary:
        'Search one space (named by header, query or body, as every route) or, with "spaces": [...], several: each readable by a grant or a share; hits carry their space',
      body: SearchRequestSchema,
      handler: async ({ request, authorize }) => {
        const body = request.body as Record<string, unknown> | null;
        if (body !== null && typeof body === 'object' && 'spaces' in body) {
          const { spaces, ...rest } = body;
          if ('space' in rest || request.headers['x-memory-space'] !== undefined || (request.query as Record<string, unknown>)['space'] !== undefined) {
            throw new MemspaceError('SPACE_CONFLICT', 'name the spaces of a search either with "spaces" or with one space, not both');
          }
          return ms.shares.search(request.principal, parseWith(CrossSearchSpacesSchema, spaces, 'spaces'), rest, ctx(request));
        }
        const space = resolveSpace(request, request.principal.defaultSpace ?? undefined);
        await authorize(space, 'read');
        return s.search(space, withoutSpace(request.body));
      },
    },
    {
      method: 'POST',
      path: '/relations',
      scoped: true,
      tag: 'relations',
      summary: 'Relate two memories of the space',
      role: 'write',
      body: RelationInputSchema,
      status: 201,
      handler: ({ request, space }) => s.addRelation(space, withoutSpace(request.body), ctx(request)),
    },
    {
      method: 'GET',
      path: '/memories/:id/relations',
      scoped: true,
      tag: 'relations',
      summary: "A memory's relations",
      role: 'read',
      query: RelationQueryString,
      handler: async ({ request, space }) => {
        const q = parseWith(RelationQueryString, request.query, 'query');
        const { space: _space, ...rest } = q;
        return { relations: await s.listRelations(space, id(request.params), rest) };
      },
    },
    {
      method: 'DELETE',
      path: '/relations/:relationId',
      scoped: true,
      tag: 'relations',
      summary: 'Delete a relation',
      role: 'write',
      query: SpaceOnlyQuery,
      status: 204,
      handler: async ({ request, space }) => {
        await s.deleteRelation(space, id(request.params, 'relationId'), ctx(request));
      },
    },
    {
      method: 'GET',
      path: '/export',
      scoped: true,
      tag: 'transfer',
      summary: 'Export the space as JSON Lines, embeddings included',
      role: 'read',
      query: SpaceOnlyQuery,
      produces: 'application/x-ndjson',
      handler: async ({ reply, space }) => {
        await ms.registry.record(space); // fail before the 200 is sent
        const lines = ms.transfer.exportSpace(space);
        reply.type('application/x-ndjson');
        return Readable.from(
          (async function* () {
            for await (const line of lines) yield `${JSON.stringify(line)}\n`;
          })(),
        );
      },
    },
    {
      method: 'POST',
      path: '/import',
      scoped: true,
      tag: 'transfer',
      summary: 'Import JSON Lines (an export) into the space; existing ids are skipped',
      role: 'write',
      query: SpaceOnlyQuery,
      handler: async ({ request, space }) => {
        // Importing into a missing space creates it, which takes an admin.
        if (!(await ms.registry.backend.spaces.get(space))) requireRole(request.principal, space, 'admin');
        if (!(request.body instanceof Readable)) {
          throw new MemspaceError('VALIDATION_FAILED', 'send the export as application/x-ndjson', {
            issues: [{ path: 'content-type', message: 'expected application/x-ndjson' }],
          });
        }
        return ms.transfer.importSpace(space, createInterface({ input: request.body, crlfDelay: Infinity }), undefined, ctx(request));
      },
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
