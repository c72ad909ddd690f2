import { KeyCreateSchema, KeyPatchSchema } from '../../core/grants.js';
import type { KeyService } from '../../engine/key-service.js';
import type { RouteSpec } from '../route-table.js';
import { CreatedKeyResponse, KeyListResponse, KeyResponse, WhoAmIResponse } from '../../core/response-schemas.js';

/** API key management (a key manages only keys within its own admin grants, and its own default space), and `whoami`. */
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
      response: CreatedKeyResponse,
      handler: ({ request, call }) => keys.create(request.body, call),
    },
    {
      method: 'GET',
      path: '/keys',
      scoped: false,
      tag: 'keys',
      summary: 'The keys this key administers',
      response: KeyListResponse,
      handler: async ({ call }) => ({ items: await keys.list(call) }),
    },
    {
      method: 'PATCH',
      path: '/keys/:id',
      scoped: false,
      tag: 'keys',
      summary: "Change a key's default (current) space: the key itself, within its grants, or a key that administers it",
      body: KeyPatchSchema,
      response: KeyResponse,
      handler: ({ request, call }) => keys.update((request.params as { id: string }).id, request.body, call),
    },
    {
      method: 'GET',
      path: '/whoami',
      scoped: false,
      tag: 'keys',
      summary: 'The calling key: id, name, grants, default (current) space and how many spaces it can see',
      response: WhoAmIResponse,
      handler: ({ call }) => keys.whoami(call),
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
