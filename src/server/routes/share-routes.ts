import { z } from 'zod';
import { ShareInputSchema } from '../../core/grants.js';
import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { withoutSpace } from '../space-resolution.js';
import { ShareListResponse, ShareResponse } from '../../core/response-schemas.js';

/** Sharing a space with another space's readers or with a key. */
export function shareRoutes(ms: Memspace): RouteSpec[] {
  return [
    {
      method: 'POST',
      path: '/shares',
      scoped: true,
      tag: 'sharing',
      summary: 'Share the space (read, optionally only some tags) with another space or a key; refused by isolation strict',
      role: 'admin',
      body: ShareInputSchema,
      status: 201,
      response: ShareResponse,
      handler: ({ request, space, call }) => ms.shares.create(space, withoutSpace(request.body), call),
    },
    {
      method: 'GET',
      path: '/shares',
      scoped: true,
      tag: 'sharing',
      summary: 'Shares of the space',
      role: 'admin',
      query: z.strictObject({ space: z.string().optional() }),
      response: ShareListResponse,
      handler: async ({ space, call }) => ({ items: await ms.shares.list(space, call) }),
    },
    {
      method: 'GET',
      path: '/shares/incoming',
      scoped: true,
      tag: 'sharing',
      summary: 'Shares other spaces gave to this space (its readers may read them); those that no longer work are left out',
      role: 'read',
      query: z.strictObject({ space: z.string().optional() }),
      response: ShareListResponse,
      handler: async ({ space, call }) => ({ items: await ms.shares.incoming(space, call) }),
    },
    {
      method: 'DELETE',
      path: '/shares/:shareId',
      scoped: true,
      tag: 'sharing',
      summary: 'Stop sharing',
      role: 'admin',
      query: z.strictObject({ space: z.string().optional() }),
      status: 204,
      handler: async ({ request, space, call }) => {
        await ms.shares.delete(space, (request.params as { shareId: string }).shareId, call);
      },
    },
  ];
}
