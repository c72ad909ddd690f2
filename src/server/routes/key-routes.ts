import { KeyCreateSchema } from '../../core/grants.js';
import type { KeyService } from '../../engine/key-service.js';
import type { RouteSpec } from '../route-table.js';

/** API key management; a key manages only keys within its own admin grants. */
export function keyRoutes(keys: KeyService): RouteSpec[] {
  return [
    {
      method: 'POST',
      path: '/keys',
      scoped: false,
      tag: 'keys',
      summary: 'Create an API key (the key is shown once, in this response)',
      body: KeyCreateSchema,
      status: 201,
      handler: ({ request }) => keys.create(request.body, request.principal),
    },
    {
      method: 'GET',
      path: '/keys',
      scoped: false,
      tag: 'keys',
      summary: 'The keys this key administers',
      handler: async ({ request }) => ({ items: await keys.list(request.principal) }),
    },
    {
      method: 'DELETE',
      path: '/keys/:id',
      scoped: false,
      tag: 'keys',
      summary: 'Revoke a key at once',
      status: 204,
      handler: async ({ request }) => {
        await keys.revoke((request.params as { id: string }).id, request.principal);
      },
    },
  ];
}
