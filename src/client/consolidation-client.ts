import type { ConsolidationReport, ConsolidationUndoResult } from '../core/views.js';
import { segment } from './path-segment.js';
import { ConsolidationReportResponse, ConsolidationUndoResponse } from './responses.js';
import type { Call, Transport } from './transport.js';
import type { ConsolidateInput, RequestOptions } from './types.js';

/** Consolidation of a space through the HTTP API (needs admin of it; docs/consolidation.md). */
export interface ConsolidationClient {
  /**
   * Runs a pass (`POST /v1/spaces/{space}/consolidate`): near-verbatim repeats of one scope are
   * merged into the oldest, older statements of a fact (same `metadata.key` or `subject`)
   * superseded by the newest. With `dryRun: true` nothing changes and the report lists the
   * groups (ids and reasons) a pass would act on.
   */
  run(space: string, input?: ConsolidateInput, options?: RequestOptions): Promise<ConsolidationReport>;
  /**
   * Undoes run `runId` of `space`: merged memories come back with their ids, survivors,
   * relations and supersessions as they were. `NOT_FOUND` for a run the space never had,
   * `CONFLICT` for one undone already or whose survivors changed since.
   */
  undo(space: string, runId: string, options?: RequestOptions): Promise<ConsolidationUndoResult>;
}

/** The consolidation calls over `http`; `call` carries a call's signal and timeout. */
export function consolidationClient(http: Transport, call: (options: RequestOptions | undefined) => Pick<Call, 'signal' | 'timeoutMs'>): ConsolidationClient {
  const path = (space: string): string => `/v1/spaces/${segment(space, 'space')}/consolidate`;
  return {
    run: async (space, input = {}, o) => http.json({ method: 'POST', path: path(space), json: input, ...call(o) }, ConsolidationReportResponse),
    undo: async (space, runId, o) => http.json({ method: 'POST', path: `${path(space)}/undo`, json: { runId }, ...call(o) }, ConsolidationUndoResponse),
  };
}
