import { z } from 'zod';
import { MemspaceError } from '../../core/errors.js';
import { allows, roleIn } from '../../core/grants.js';
import type { Space } from '../../core/views.js';
import { canSee, type Principal } from '../../engine/access.js';
import type { MemoryService, PageOf } from '../../engine/memory-service.js';
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

/**
 * A page of the spaces a key can see. Pages of the catalogue are filtered until the page is
 * full, so a scoped key can neither list nor count what lies outside its grants.
 */
async function visibleSpaces(s: MemoryService, principal: Principal, q: { prefix?: string | undefined; limit?: number | undefined; cursor?: string | undefined }): Promise<PageOf<Space>> {
  const limit = q.limit ?? 100;
  const items: Space[] = [];
  let cursor = q.cursor;
  for (;;) {
    const page = await s.listSpaces({ ...(q.prefix && { prefix: q.prefix }), limit: 1000, ...(cursor && { cursor }) });
    for (const space of page.items) {
      if (!canSee(principal, space.name)) continue;
      items.push(space);
      if (items.length === limit) return { items, nextCursor: space.name };
    }
    if (page.nextCursor === null) return { items, nextCursor: null };
    cursor = page.nextCursor;
  }
}
