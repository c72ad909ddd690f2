import { JobResponse, MergeRequestSchema, MoveReportResponse, SplitRequestSchema } from '../../core/space-moves-api.js';
import type { Memspace } from '../../memspace.js';
import { jsonSchema } from '../openapi-document.js';
import type { RouteContext, RouteSpec } from '../route-table.js';

/** The other success of a split or merge: a dry run's plan, at once. */
const DRY_RUN_200 = { responses: { '200': { description: 'a dry run: the plan, nothing changed', content: { 'application/json': { schema: jsonSchema(MoveReportResponse, 'output') } } } } };

/**
 * A job's answer: 202 with `{job}` while it runs in the background; a dry run is no job, and
 * answers its plan at once with 200.
 */
function accepted({ reply }: RouteContext, started: object): unknown {
  if (!('state' in started)) return reply.status(200).send(started);
  return reply.status(202).send({ job: started });
}

/**
 * Splits and merges of spaces (docs/split-merge.md), run as jobs, and the jobs themselves.
 * Admin of the source here; the engine asks for admin of (or the right to create) every
 * target, and of every source of a merge, before anything moves.
 */
export function jobRoutes(ms: Memspace): RouteSpec[] {
  return [
    {
      method: 'POST',
      path: '/spaces/:space/split',
      scoped: false,
      tag: 'jobs',
      summary: 'Split the space into one space per tag value (byTag "dataset:*") or metadata value (byMetadata): a job (202 {job}); dryRun answers the plan (200)',
      role: 'admin',
      body: SplitRequestSchema,
      status: 202,
      response: JobResponse,
      openapi: DRY_RUN_200,
      handler: async (ctx) => accepted(ctx, await ms.splits.startSplit(ctx.space, ctx.request.body ?? {}, ctx.call)),
    },
    {
      method: 'POST',
      path: '/spaces/merge',
      scoped: false,
      tag: 'jobs',
      summary: 'Merge spaces into one, created when missing (admin of each): a job (202 {job}); dryRun answers the plan (200)',
      body: MergeRequestSchema,
      status: 202,
      response: JobResponse,
      openapi: DRY_RUN_200,
      handler: async (ctx) => accepted(ctx, await ms.splits.startMerge(ctx.request.body ?? {}, ctx.call)),
    },
    {
      method: 'GET',
      path: '/jobs/:id',
      scoped: false,
      tag: 'jobs',
      summary: 'A job with its progress and, once finished, its result or error; only the key that started it (or the root key) sees it',
      response: JobResponse,
      handler: async ({ request, call }) => ({ job: ms.splits.job((request.params as { id: string }).id, call) }),
    },
  ];
}
