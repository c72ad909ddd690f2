import { z } from 'zod';
import { RelationInputSchema } from '../../core/schemas.js';
import { parseWith } from '../../core/validate.js';
import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { withoutSpace } from '../space-resolution.js';
import { param, SpaceOnlyQuery } from './memory-routes.js';
import { RelationListResponse, RelationResponse } from '../../core/response-schemas.js';

const RelationQueryString = z.strictObject({
  space: z.string().optional(),
  direction: z.enum(['out', 'in', 'both']).optional(),
  type: z.string().optional(),
});

/** Routes on the typed, directed edges between memories of one space. */
export function relationRoutes(ms: Memspace): RouteSpec[] {
  return [
    {
      method: 'POST',
      path: '/relations',
      scoped: true,
      tag: 'relations',
      summary: 'Relate two memories of the space',
      role: 'write',
      body: RelationInputSchema,
      status: 201,
      response: RelationResponse,
      handler: ({ request, space, call }) => ms.memories.relate(space, withoutSpace(request.body), call),
    },
    {
      method: 'GET',
      path: '/memories/:id/relations',
      scoped: true,
      tag: 'relations',
      summary: "A memory's relations",
      role: 'read',
      query: RelationQueryString,
      response: RelationListResponse,
      handler: async ({ request, space, call }) => {
        const { space: _space, ...query } = parseWith(RelationQueryString, request.query, 'query');
        return { relations: await ms.memories.relations(space, param(request.params), query, call) };
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
      handler: async ({ request, space, call }) => {
        await ms.memories.unrelate(space, param(request.params, 'relationId'), call);
      },
    },
  ];
}
