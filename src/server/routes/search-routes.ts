import { MemspaceError } from '../../core/errors.js';
import { CrossSearchSpacesSchema } from '../../core/grants.js';
import { SearchRequestSchema } from '../../core/schemas.js';
import { SPACE_HEADERS } from '../../core/space-name.js';
import { parseWith } from '../../core/validate.js';
import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { z } from 'zod';
import { CrossSearchResponse, SearchResponse } from '../../core/response-schemas.js';
import { resolveSpace, withoutSpace } from '../space-resolution.js';

/** Search in one space, or across several spaces readable by grant or share. */
export function searchRoutes(ms: Memspace): RouteSpec[] {
  return [
    {
      method: 'POST',
      path: '/search',
      scoped: true,
      pathFormOnly: true,
      tag: 'search',
      summary: 'Search one space by meaning, keywords or both',
      role: 'read',
      body: SearchRequestSchema,
      response: SearchResponse, errors: ['DIMENSION_MISMATCH'],
      handler: ({ request, space, call }) => ms.search.run(space, withoutSpace(request.body), call),
    },
    {
      method: 'POST',
      path: '/search',
      scoped: false,
      tag: 'search',
      summary:
        'Search one space (named by header, query or body, as every route) or, with "spaces": [...], several: each readable by a grant or a share; hits carry their space',
      body: SearchRequestSchema,
      response: z.union([CrossSearchResponse, SearchResponse]), errors: ['DIMENSION_MISMATCH'],
      handler: async ({ request, call, authorize }) => {
        const body = request.body as Record<string, unknown> | null;
        if (body !== null && typeof body === 'object' && 'spaces' in body) {
          const { spaces, ...rest } = body;
          if ('space' in rest || SPACE_HEADERS.some((h) => request.headers[h] !== undefined) || (request.query as Record<string, unknown>)['space'] !== undefined) {
            throw new MemspaceError('SPACE_CONFLICT', 'name the spaces of a search either with "spaces" or with one space, not both');
          }
          return ms.search.across(parseWith(CrossSearchSpacesSchema, spaces, 'spaces'), rest, call);
        }
        const space = resolveSpace(request, request.principal.defaultSpace ?? undefined);
        await authorize(space, 'read');
        return ms.search.run(space, withoutSpace(request.body), call);
      },
    },
  ];
}
