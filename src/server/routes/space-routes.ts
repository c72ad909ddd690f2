import { z } from 'zod';
import { SpaceCreateSchema, SpacePatchSchema } from '../../core/schemas.js';
import { parseWith } from '../../core/validate.js';
import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';

const ListSpacesQuery = z.strictObject({
  prefix: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(64).optional(),
});

/** Routes on spaces themselves, and the liveness check. */
export function spaceRoutes(ms: Memspace): RouteSpec[] {
  const s = ms.service;
  const name = (params: unknown): string => (params as { space: string }).space;
  return [
    {
      method: 'GET',
      path: '/health',
      scoped: false,
      tag: 'operations',
      summary: 'Liveness and readiness',
      handler: async () => ({ status: 'ok', openSpaces: ms.registry.openCount }),
    },
    {
      method: 'POST',
      path: '/spaces',
      scoped: false,
      tag: 'spaces',
      summary: 'Create a space',
      body: SpaceCreateSchema,
      status: 201,
      handler: ({ request }) => s.createSpace(request.body),
    },
    {
      method: 'GET',
      path: '/spaces',
      scoped: false,
      tag: 'spaces',
      summary: 'List spaces',
      query: ListSpacesQuery,
      handler: ({ request }) => {
        const q = parseWith(ListSpacesQuery, request.query, 'query');
        return s.listSpaces({ ...(q.prefix && { prefix: q.prefix }), ...(q.limit && { limit: q.limit }), ...(q.cursor && { cursor: q.cursor }) });
      },
    },
    {
      method: 'GET',
      path: '/spaces/:space',
      scoped: false,
      tag: 'spaces',
      summary: 'A space with its figures',
      handler: ({ request }) => s.getSpace(name(request.params)),
    },
    {
      method: 'PATCH',
      path: '/spaces/:space',
      scoped: false,
      tag: 'spaces',
      summary: "Change a space's description, isolation, sensitivity, retention, quotas or labels",
      body: SpacePatchSchema,
      handler: ({ request }) => s.updateSpace(name(request.params), request.body),
    },
    {
      method: 'DELETE',
      path: '/spaces/:space',
      scoped: false,
      tag: 'spaces',
      summary: 'Delete a space and every byte of it',
      status: 204,
      handler: async ({ request }) => {
        await s.deleteSpace(name(request.params));
      },
    },
  ];
}
