import { ConsolidateRequestSchema, ConsolidationUndoSchema } from '../../core/schemas.js';
import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { ConsolidationReportResponse, ConsolidationUndoResponse } from '../../core/response-schemas.js';

/**
 * Consolidation of one space (docs/consolidation.md): a pass that merges near-verbatim repeats
 * and supersedes older statements of a fact, and the undo of a pass. Admin only: a pass
 * deletes memories (recoverably) across the whole space, which no writer's grant should allow.
 */
export function consolidationRoutes(ms: Memspace): RouteSpec[] {
  return [
    {
      method: 'POST',
      path: '/spaces/:space/consolidate',
      scoped: false,
      tag: 'consolidation',
      summary: 'Run a consolidation pass: merge near-verbatim repeats of one scope, supersede older statements of a fact (dryRun: report, change nothing)',
      role: 'admin',
      body: ConsolidateRequestSchema,
      // The engine validates the body; an empty one is a pass at the default thresholds.
      response: ConsolidationReportResponse,
      handler: ({ request, space, call }) => ms.consolidation.run(space, request.body === undefined ? {} : request.body, call),
    },
    {
      method: 'POST',
      path: '/spaces/:space/consolidate/undo',
      scoped: false,
      tag: 'consolidation',
      summary: 'Undo a consolidation run: merged memories re-created, survivors, relations and supersessions put back',
      role: 'admin',
      body: ConsolidationUndoSchema,
      response: ConsolidationUndoResponse,
      handler: ({ request, space, call }) => ms.consolidation.undo(space, request.body, call),
    },
  ];
}
