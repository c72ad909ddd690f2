import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { HealthResponse, SpaceHealthResponse } from '../../core/response-schemas.js';

/** Not ready: the health figures and an error, so that a load balancer reads the status and a client the error. */
const HEALTH_503 = {
  responses: {
    '503': { description: 'not ready', content: { 'application/json': { schema: { allOf: [{ $ref: '#/components/schemas/Health' }, { $ref: '#/components/schemas/Error' }] } } } },
  },
};

/**
 * Liveness and readiness of the process, and the health of one space. A space's health never
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
      path: '/spaces/:space/health',
      scoped: false,
      tag: 'operations',
      summary: "A space's health: memories, bytes on disk, state, open, WAL bytes and lag, index lag, last write, registry pressure, consolidation figures",
      role: 'read',
      response: SpaceHealthResponse,
      handler: ({ space, call }) => ms.health.spaceHealth(space, call),
    },
  ];
}
