import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { RegistryReportResponse } from '../../core/response-schemas.js';

/** What operators (keys whose grants cover every space) read of the process: the open-space registry. */
export function operatorRoutes(ms: Pick<Memspace, 'operators'>): RouteSpec[] {
  return [
    {
      method: 'GET',
      path: '/operators/registry',
      scoped: false,
      tag: 'operations',
      summary: 'The open-space registry of this process: open spaces by recency, the cap, evictions and other counters, damaged spaces with their error (operators only)',
      response: RegistryReportResponse,
      handler: ({ call }) => ms.operators.report(call),
    },
  ];
}
