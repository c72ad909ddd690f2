import {
  FederationPageResponse,
  FederationResponse,
  ParticipationResponse,
  ReleasePageResponse,
  ReleaseResponse,
  SpaceFederationsResponse,
} from './responses.js';
import type { Call, Transport } from './transport.js';
import type {
  FederationCreateInput,
  FederationJoinInput,
  FederationPageQuery,
  FederationView,
  Page,
  ParticipationView,
  ReleaseRequestInput,
  ReleaseView,
  RequestOptions,
  SpaceFederationsView,
} from './types.js';

/**
 * Federations: differentially private insights across opted-in spaces (docs/federations.md).
 * Operators create them and ask for releases; a space's admin opts it in and out.
 */
export interface FederationsApi {
  /** Creates a federation (operator keys only). */
  create(input: FederationCreateInput, options?: RequestOptions): Promise<FederationView>;
  /** A page of the federations the key may see. */
  list(query?: FederationPageQuery, options?: RequestOptions): Promise<Page<FederationView>>;
  /** One federation; `NOT_FOUND` for a key that is neither an operator nor the admin of a participant. */
  get(id: string, options?: RequestOptions): Promise<FederationView>;
  /** Opts a space of isolation `federated` in with a privacy budget (admin of the space). */
  join(id: string, input: FederationJoinInput, options?: RequestOptions): Promise<ParticipationView>;
  /** Withdraws a space (admin of the space). */
  leave(id: string, space: string, options?: RequestOptions): Promise<void>;
  /** Computes one release (operator keys only), spending epsilon from every contributor. */
  release(id: string, input: ReleaseRequestInput, options?: RequestOptions): Promise<ReleaseView>;
  /** A page of a federation's releases, oldest first. */
  releases(id: string, query?: FederationPageQuery, options?: RequestOptions): Promise<Page<ReleaseView>>;
  /** A space's participations, budgets and spends (admin of the space). */
  ofSpace(space: string, options?: RequestOptions): Promise<SpaceFederationsView>;
}

/**
 * The federation calls of a client over `http`; `call` turns per-call options into a request's
 * and `segment` encodes a path segment, as the client does for every route.
 */
export function federationsApi(
  http: Transport,
  call: (options: RequestOptions | undefined) => Pick<Call, 'signal' | 'timeoutMs'>,
  segment: (value: string, what?: 'space' | 'id') => string,
): FederationsApi {
  const federation = (id: string): string => `/v1/federations/${segment(id)}`;
  return {
    create: async (input, o) => http.json({ method: 'POST', path: '/v1/federations', json: input, ...call(o) }, FederationResponse),
    list: async (query = {}, o) => http.json({ method: 'GET', path: '/v1/federations', query: { ...query }, ...call(o) }, FederationPageResponse),
    get: async (id, o) => http.json({ method: 'GET', path: federation(id), ...call(o) }, FederationResponse),
    join: async (id, input, o) => http.json({ method: 'POST', path: `${federation(id)}/participants`, json: input, ...call(o) }, ParticipationResponse),
    leave: async (id, space, o) => http.empty({ method: 'DELETE', path: `${federation(id)}/participants/${segment(space, 'space')}`, ...call(o) }),
    release: async (id, input, o) => http.json({ method: 'POST', path: `${federation(id)}/releases`, json: input, ...call(o) }, ReleaseResponse),
    releases: async (id, query = {}, o) => http.json({ method: 'GET', path: `${federation(id)}/releases`, query: { ...query }, ...call(o) }, ReleasePageResponse),
    ofSpace: async (space, o) => http.json({ method: 'GET', path: `/v1/spaces/${segment(space, 'space')}/federations`, ...call(o) }, SpaceFederationsResponse),
  };
}
