import { FederationCreateSchema, FederationPageQuerySchema, ParticipantJoinSchema, ReleaseRequestSchema } from '../../core/federations.js';
import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { FederationPageResponse, FederationResponse, ParticipationResponse, ReleasePageResponse, ReleaseResponse, SpaceFederationsResponse } from '../../core/response-schemas.js';

/** The federation id of a route's path. */
function federationId(params: unknown): string {
  return (params as { federationId: string }).federationId;
}

/**
 * Federations: differentially private insights across opted-in spaces (docs/federations.md).
 * Who may do what is decided by the service, through the engine's guard.
 */
export function federationRoutes(ms: Memspace): RouteSpec[] {
  return [
    {
      method: 'POST',
      path: '/federations',
      scoped: false,
      tag: 'federations',
      summary: 'Create a federation (operator keys only)',
      body: FederationCreateSchema,
      status: 201,
      response: FederationResponse,
      handler: ({ request, call }) => ms.federations.create(request.body, call),
    },
    {
      method: 'GET',
      path: '/federations',
      scoped: false,
      tag: 'federations',
      summary: 'The federations the key may see: all for operators, those of spaces it administers otherwise',
      query: FederationPageQuerySchema,
      response: FederationPageResponse,
      handler: ({ request, call }) => ms.federations.list(request.query, call),
    },
    {
      method: 'GET',
      path: '/federations/:federationId',
      scoped: false,
      tag: 'federations',
      summary: 'A federation: participants by name for operators, the count and your own participation for participant admins',
      response: FederationResponse,
      handler: ({ request, call }) => ms.federations.get(federationId(request.params), call),
    },
    {
      method: 'POST',
      path: '/federations/:federationId/participants',
      scoped: false,
      tag: 'federations',
      summary: 'Opt a space of isolation federated in, with a privacy budget (admin of the space)',
      body: ParticipantJoinSchema,
      status: 201,
      response: ParticipationResponse,
      handler: ({ request, call }) => ms.federations.join(federationId(request.params), request.body, call),
    },
    {
      method: 'DELETE',
      path: '/federations/:federationId/participants/:space',
      scoped: false,
      tag: 'federations',
      summary: 'Withdraw a space from a federation (admin of the space)',
      role: 'admin',
      status: 204,
      handler: async ({ request, space, call }) => {
        await ms.federations.leave(federationId(request.params), space, call);
      },
    },
    {
      method: 'POST',
      path: '/federations/:federationId/releases',
      scoped: false,
      tag: 'federations',
      summary: 'Compute one differentially private release (operator keys only); spends epsilon from every contributor',
      body: ReleaseRequestSchema,
      status: 201,
      response: ReleaseResponse,
      handler: ({ request, call }) => ms.federations.release(federationId(request.params), request.body, call),
    },
    {
      method: 'GET',
      path: '/federations/:federationId/releases',
      scoped: false,
      tag: 'federations',
      summary: "A federation's releases, oldest first",
      query: FederationPageQuerySchema,
      response: ReleasePageResponse,
      handler: ({ request, call }) => ms.federations.releases(federationId(request.params), request.query, call),
    },
    {
      method: 'GET',
      path: '/spaces/:space/federations',
      scoped: false,
      tag: 'federations',
      summary: "The space's participations: budgets, epsilon spent, reputation (admin of the space)",
      role: 'admin',
      response: SpaceFederationsResponse,
      handler: ({ space, call }) => ms.federations.ofSpace(space, call),
    },
  ];
}
