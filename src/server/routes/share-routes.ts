import { z } from 'zod';
import { ShareInputSchema } from '../../core/grants.js';
import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { withoutSpace } from '../space-resolution.js';
import { callContext } from './memory-routes.js';

/** Sharing a space with another space's readers or with a key. */
export function shareRoutes(ms: Memspace): RouteSpec[] {
  const ctx = callContext;
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
      handler: ({ request, space }) => ms.shares.create(space, withoutSpace(request.body), request.principal, ctx(request)),
    },
    {
      method: 'GET',
      path: '/shares',
      scoped: true,
      tag: 'sharing',
      summary: 'Shares of the space',
      role: 'admin',
      query: z.strictObject({ space: z.string().optional() }),
      handler: async ({ space }) => ({ items: await ms.shares.list(space) }),
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
      handler: async ({ request, space }) => {
        await ms.shares.delete(space, (request.params as { shareId: string }).shareId, ctx(request));
      },
    },
  ];
}
