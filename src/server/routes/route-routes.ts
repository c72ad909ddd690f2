import { RouteAnswerSchema, RouteRequestSchema } from '../../core/routing.js';
import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';

/**
 * Routing suggestions (docs/routing.md): `POST /v1/route` ranks the spaces the key can read by
 * how well a text fits each. Not scoped to a space: the service decides which spaces the key
 * sees, as the space listing does.
 */
export function routeRoutes(ms: Memspace): RouteSpec[] {
  return [
    {
      method: 'POST',
      path: '/route',
      scoped: false,
      tag: 'routing',
      summary: 'Suggest the spaces a text belongs in: the spaces the key can read, ranked by the fit of their centroid and keywords, with each one\'s best match',
      body: RouteRequestSchema,
      response: RouteAnswerSchema,
      handler: ({ request, call }) => ms.route.route(request.body, call),
    },
  ];
}
