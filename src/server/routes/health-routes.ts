import { z } from 'zod';
import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { HealthHistoryResponse, HealthResponse, SpaceHealthPageResponse, SpaceHealthResponse } from '../../core/response-schemas.js';
import { SpacesHealthQuerySchema } from '../../engine/space-health.js';
import { parseWith } from '../../core/validate.js';

/** Not ready: the health figures and an error, so that a load balancer reads the status and a client the error. */
const HEALTH_503 = {
  responses: {
    '503': { description: 'not ready', content: { 'application/json': { schema: { allOf: [{ $ref: '#/components/schemas/Health' }, { $ref: '#/components/schemas/Error' }] } } } },
  },
};

/** The query string of `GET /v1/health/spaces`: the engine's options, the limit as text. */
const SpacesHealthQuery = SpacesHealthQuerySchema.extend({ limit: z.coerce.number().int().min(1).max(1000).optional() });

/**
 * Liveness and readiness of the process, and the health of spaces. A space's health never
 * opens it: an idle space's figures are read from its files, so probing costs no registry slot.
 */
export function healthRoutes(ms: Pick<Memspace, 'health'>): RouteSpec[] {
  return [
    {
      method: 'GET',
      path: '/health',
      scoped: false,
      tag: 'operations',
      summary: 'Liveness and readiness (with open spaces, the cap and damaged spaces for a key over every space); 503 (with the same body and an error) when not ready',
      response: HealthResponse, openapi: HEALTH_503,
      handler: async ({ reply, call }) => {
        const health = await ms.health.health(call);
        if (health.ready) return health;
        // A load balancer reads the status; a client reads a memspace error like any other failure.
        return reply.status(503).send({
          ...health,
          error: { code: 'BACKEND_UNAVAILABLE', message: 'not ready: the catalogue does not answer', details: { ready: false } },
        });
      },
    },
    {
      method: 'GET',
      path: '/health/spaces',
      scoped: false,
      tag: 'operations',
      summary: 'A page of the spaces the key can see with their figures (state, open, memories, payload and disk bytes, index lag, last write, quotas, retention), without opening any',
      query: SpacesHealthQuery,
      response: SpaceHealthPageResponse,
      handler: ({ request, call }) => ms.health.spacesHealth(parseWith(SpacesHealthQuery, request.query, 'query'), call),
    },
    {
      method: 'GET',
      path: '/spaces/:space/health',
      scoped: false,
      tag: 'operations',
      summary: "A space's health: memories, bytes on disk, state, open, WAL bytes and lag, index lag, last write, registry pressure, consolidation figures",
      role: 'read',
      response: SpaceHealthResponse,
      handler: ({ space, call }) => ms.health.spaceHealth(space, call),
    },
    {
      method: 'GET',
      path: '/spaces/:space/health/history',
      scoped: false,
      tag: 'operations',
      summary: "A space's figures sampled by this process over the last hour (memories, payload and disk bytes, index lag, writes since the previous sample), oldest first; empty when never sampled",
      role: 'read',
      response: HealthHistoryResponse,
      handler: ({ space, call }) => ms.health.history(space, call),
    },
  ];
}
