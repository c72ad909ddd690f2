import { z } from 'zod';
import { SpaceCreateSchema, SpaceListQuerySchema, SpacePatchSchema } from '../../core/schemas.js';
import { parseWith } from '../../core/validate.js';
import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { SpaceInfoResponse, SpacePageResponse, SpaceResponse } from '../../core/response-schemas.js';

/** A space listing's query string: the listing's options, the limit as text. */
const ListSpacesQuery = SpaceListQuerySchema.extend({ limit: z.coerce.number().int().min(1).max(1000).optional() });

/** Routes on spaces themselves. */
export function spaceRoutes(ms: Memspace): RouteSpec[] {
  return [
    {
      method: 'POST',
      path: '/spaces',
      scoped: false,
      tag: 'spaces',
      summary: 'Create a space (takes admin over its name)',
      body: SpaceCreateSchema,
      status: 201,
      response: SpaceResponse,
      handler: ({ request, call }) => ms.spaces.create(request.body, call),
    },
    {
      method: 'GET',
      path: '/spaces',
      scoped: false,
      tag: 'spaces',
      summary: 'List the spaces the key can see',
      query: ListSpacesQuery,
      response: SpacePageResponse,
      handler: ({ request, call }) => ms.spaces.list(parseWith(ListSpacesQuery, request.query, 'query'), call),
    },
    {
      method: 'GET',
      path: '/spaces/:space',
      scoped: false,
      tag: 'spaces',
      summary: 'A space with its figures',
      role: 'read',
      response: SpaceInfoResponse,
      handler: ({ space, call }) => ms.spaces.get(space, call),
    },
    {
      method: 'PATCH',
      path: '/spaces/:space',
      scoped: false,
      tag: 'spaces',
      summary: "Change a space's description, isolation, sensitivity, retention, quotas or labels",
      role: 'admin',
      body: SpacePatchSchema,
      response: SpaceResponse,
      handler: ({ request, space, call }) => ms.spaces.update(space, request.body, call),
    },
    {
      method: 'DELETE',
      path: '/spaces/:space',
      scoped: false,
      tag: 'spaces',
      summary: 'Delete a space and every byte of it',
      role: 'admin',
      status: 204,
      handler: async ({ space, call }) => {
        await ms.spaces.delete(space, call);
      },
    },
  ];
}
