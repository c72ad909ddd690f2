import { ContextInputSchema } from '../../core/schemas.js';
import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { withoutSpace } from '../space-resolution.js';
import { param, SpaceOnlyQuery } from './memory-routes.js';
import { ContextResponse } from '../../core/response-schemas.js';

/** Routes on contexts: large blobs kept compressed, with a summary and its embedding. */
export function contextRoutes(ms: Memspace): RouteSpec[] {
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
      response: ContextResponse,
      handler: ({ request, space, call }) => ms.memories.addContext(space, withoutSpace(request.body), call),
    },
    {
      method: 'GET',
      path: '/contexts/:id',
      scoped: true,
      tag: 'contexts',
      summary: 'A context with its content',
      role: 'read',
      query: SpaceOnlyQuery,
      response: ContextResponse,
      handler: ({ request, space, call }) => ms.memories.getContext(space, param(request.params), call),
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
      handler: async ({ request, space, call }) => {
        await ms.memories.deleteContext(space, param(request.params), call);
      },
    },
  ];
}
