import type { RouteAnswer } from '../core/routing.js';
import { RouteAnswerSchema } from '../core/routing.js';
import type { Call, Transport } from './transport.js';
import type { RequestOptions, RouteOptions } from './types.js';

/** Routing suggestions through the HTTP API (docs/routing.md). */
export interface RouteCalls {
  /**
   * Suggests the spaces `text` belongs in (`POST /v1/route`): the spaces the key can read,
   * ranked by how well the text fits each (its centroid and keywords), best first, each with
   * its best-matching memory. Spaces the key cannot read are never weighed; empty and archived
   * spaces are left out. More than 1000 readable spaces is `VALIDATION_FAILED`: narrow with
   * `spaces` or `prefix`.
   */
  route(text: string, options?: RouteOptions & RequestOptions): Promise<RouteAnswer>;
}

/** The route call over `http`; `call` carries a call's signal and timeout. */
export function routeCalls(http: Transport, call: (options: RequestOptions | undefined) => Pick<Call, 'signal' | 'timeoutMs'>): RouteCalls {
  return {
    route: async (text, o = {}) => {
      const { limit, spaces, prefix, embedding } = o;
      const json = { text, ...(limit !== undefined && { limit }), ...(spaces !== undefined && { spaces }), ...(prefix !== undefined && { prefix }), ...(embedding !== undefined && { embedding }) };
      return http.json({ method: 'POST', path: '/v1/route', json, ...call(o) }, RouteAnswerSchema);
    },
  };
}
