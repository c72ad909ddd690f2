import type { HealthHistory, SpaceHealthRow } from '../core/health-views.js';
import type { RegistryReport } from '../core/response-schemas.js';
import type { Page } from '../core/views.js';
import { segment } from './path-segment.js';
import { HealthHistoryResponse, RegistryReportResponse, SpaceHealthPageResponse } from './responses.js';
import type { Call, Transport } from './transport.js';
import type { RequestOptions } from './types.js';

/** What operators and dashboards read (the web console's figures; docs/console.md). */
export interface OperationsClient {
  /**
   * A page of the spaces the key can see, each with its figures (`GET /v1/health/spaces`): state,
   * memories, payload and disk bytes, index lag, last write, quotas, retention. Never opens a space.
   */
  spacesHealth(query?: { prefix?: string; limit?: number; cursor?: string }, options?: RequestOptions): Promise<Page<SpaceHealthRow>>;
  /** A space's figures sampled by the server over the last hour (`GET /v1/spaces/{space}/health/history`, role read). */
  healthHistory(space: string, options?: RequestOptions): Promise<HealthHistory>;
  /** The server's open-space registry (`GET /v1/operators/registry`): keys with a grant over every space only, else `FORBIDDEN`. */
  registry(options?: RequestOptions): Promise<RegistryReport>;
}

/** The operations calls over `http`; `call` carries a call's signal and timeout. */
export function operationsClient(http: Transport, call: (options: RequestOptions | undefined) => Pick<Call, 'signal' | 'timeoutMs'>): OperationsClient {
  return {
    spacesHealth: async (query = {}, o) => http.json({ method: 'GET', path: '/v1/health/spaces', query: { ...query }, ...call(o) }, SpaceHealthPageResponse),
    healthHistory: async (space, o) => http.json({ method: 'GET', path: `/v1/spaces/${segment(space, 'space')}/health/history`, ...call(o) }, HealthHistoryResponse),
    registry: async (o) => http.json({ method: 'GET', path: '/v1/operators/registry', ...call(o) }, RegistryReportResponse),
  };
}
