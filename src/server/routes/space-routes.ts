import { z } from 'zod';
import { MemspaceError } from '../../core/errors.js';
import { allows, roleIn } from '../../core/grants.js';
import { visibleSpaces } from '../../engine/access.js';
import { SpaceCreateSchema, SpacePatchSchema } from '../../core/schemas.js';
import { parseWith } from '../../core/validate.js';
import type { Memspace } from '../../memspace.js';
import { callContext } from './memory-routes.js';
import type { RouteSpec } from '../route-table.js';

const ListSpacesQuery = z.strictObject({
  prefix: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(64).optional(),
});

/** Routes on spaces themselves. */
export function spaceRoutes(ms: Memspace): RouteSpec[] {
  const s = ms.service;
  const name = (params: unknown): string => (params as { space: string }).space;
  return [
    {
      method: 'POST',
      path: '/spaces',
      scoped: false,
      tag: 'spaces',
      summary: 'Create a space',
      body: SpaceCreateSchema,
      status: 201,
      handler: ({ request }) => {
        // Creating takes admin over the name; refused before looking, so it reveals nothing.
        const spaceName = (request.body as { name?: unknown } | null)?.name;
        if (typeof spaceName === 'string' && !allows(roleIn(request.principal.grants, spaceName), 'admin')) {
          throw new MemspaceError('FORBIDDEN', `this key may not create space "${spaceName}"`, { space: spaceName });
        }
        return s.createSpace(request.body);
      },
    },
    {
      method: 'GET',
      path: '/spaces',
      scoped: false,
      tag: 'spaces',
      summary: 'List spaces',
      query: ListSpacesQuery,
      handler: async ({ request }) => {
        const q = parseWith(ListSpacesQuery, request.query, 'query');
        return visibleSpaces(s, request.principal, q);
      },
    },
    {
      method: 'GET',
      path: '/spaces/:space',
      scoped: false,
      tag: 'spaces',
      summary: 'A space with its figures',
      role: 'read',
      handler: ({ request }) => s.getSpace(name(request.params)),
    },
    {
      method: 'PATCH',
      path: '/spaces/:space',
      scoped: false,
      tag: 'spaces',
      summary: "Change a space's description, isolation, sensitivity, retention, quotas or labels",
      role: 'admin',
      body: SpacePatchSchema,
      handler: ({ request }) => s.updateSpace(name(request.params), request.body, callContext(request)),
    },
    {
      method: 'DELETE',
      path: '/spaces/:space',
      scoped: false,
      tag: 'spaces',
      summary: 'Delete a space and every byte of it',
      role: 'admin',
      status: 204,
      handler: async ({ request }) => {
        await s.deleteSpace(name(request.params));
      },
    },
  ];
}
