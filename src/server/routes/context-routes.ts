import { z } from 'zod';
import { ContextInputSchema } from '../../core/schemas.js';
import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { withoutSpace } from '../space-resolution.js';
import { callContext } from './memory-routes.js';

const SpaceOnlyQuery = z.strictObject({ space: z.string().optional() });

/** Routes on contexts: large blobs kept compressed, with a summary and its embedding. */
export function contextRoutes(ms: Memspace): RouteSpec[] {
  const s = ms.service;
  const id = (params: unknown): string => (params as { id: string }).id;
  return [
    {
      method: 'POST',
      path: '/contexts',
      scoped: true,
      tag: 'contexts',
      summary: 'Store a large context (an LLM context window, a document) compressed, with a summary',
      role: 'write',
      body: ContextInputSchema,
      status: 201,
      handler: ({ request, space }) => s.addContext(space, withoutSpace(request.body), callContext(request)),
    },
    {
      method: 'GET',
      path: '/contexts/:id',
      scoped: true,
      tag: 'contexts',
      summary: 'A context with its content',
      role: 'read',
      query: SpaceOnlyQuery,
      handler: ({ request, space }) => s.getContext(space, id(request.params)),
    },
    {
      method: 'DELETE',
      path: '/contexts/:id',
      scoped: true,
      tag: 'contexts',
      summary: 'Delete a context',
      role: 'write',
      query: SpaceOnlyQuery,
      status: 204,
      handler: async ({ request, space }) => {
        await s.deleteContext(space, id(request.params), callContext(request));
      },
    },
  ];
}
