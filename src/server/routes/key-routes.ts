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
      handler: ({ request, call }) => keys.create(request.body, call),
    },
    {
      method: 'GET',
      path: '/keys',
      scoped: false,
      tag: 'keys',
      summary: 'The keys this key administers',
      handler: async ({ call }) => ({ items: await keys.list(call) }),
    },
    {
      method: 'DELETE',
      path: '/keys/:id',
      scoped: false,
      tag: 'keys',
      summary: 'Revoke a key at once',
      status: 204,
      handler: async ({ request, call }) => {
        await keys.revoke((request.params as { id: string }).id, call);
      },
    },
  ];
}
