import { z } from 'zod';
import { MemspaceError } from '../core/errors.js';
import { JobResponse, MoveReportResponse, type JobView, type MergeReport, type MergeRequestSchema, type SplitReport, type SplitRequestSchema } from '../core/space-moves-api.js';
import { segment } from './path-segment.js';
import type { Call, Transport } from './transport.js';
import type { RequestOptions } from './types.js';

/** A split as `POST /v1/spaces/{space}/split` takes it: exactly one of `byTag` (`"dataset:*"`) and `byMetadata`. */
export type SplitInput = z.input<typeof SplitRequestSchema>;
/** A merge as `POST /v1/spaces/merge` takes it. */
export type MergeInput = z.input<typeof MergeRequestSchema>;

/** Splits and merges of spaces (docs/split-merge.md); members of `client.spaces`. */
export interface SpaceMoveCalls {
  /**
   * Splits `space` into one space per tag value or metadata value (admin of the source and of
   * every target, or the right to create it). Starts a job (poll it with `client.jobs`); with
   * `dryRun: true`, answers the plan at once and changes nothing.
   */
  split(space: string, input: SplitInput & { dryRun: true }, options?: RequestOptions): Promise<SplitReport>;
  split(space: string, input: SplitInput, options?: RequestOptions): Promise<JobView>;
  /** Merges the spaces `from` into `into` (created when missing): a job, or with `dryRun: true` the plan. */
  merge(input: MergeInput & { dryRun: true }, options?: RequestOptions): Promise<MergeReport>;
  merge(input: MergeInput, options?: RequestOptions): Promise<JobView>;
}

/** Options of {@link JobsClient.waitForJob}. */
export interface WaitOptions extends RequestOptions {
  /** Wait between two looks at the job, in ms. @default 250 */
  pollMs?: number;
}

/** The jobs of the server (splits and merges), visible to the key that started them and to the root key. */
export interface JobsClient {
  /** A job with its progress and, once finished, its result or error (`GET /v1/jobs/{id}`); `NOT_FOUND` for another key's. */
  get(id: string, options?: RequestOptions): Promise<JobView>;
  /**
   * Polls a job until it finishes: resolves with it once succeeded, throws its error (a
   * {@link MemspaceError} with the job's code) once failed. A split or merge is resumable, so
   * after a failure the same call can simply be made again.
   */
  waitForJob(id: string, options?: WaitOptions): Promise<JobView>;
}

const AnyJobOrReport = z.union([JobResponse, MoveReportResponse]);

/** The split and merge calls over `http`. */
export function spaceMoveCalls(http: Transport, call: (options: RequestOptions | undefined) => Pick<Call, 'signal' | 'timeoutMs'>): SpaceMoveCalls {
  const unwrap = (body: z.output<typeof AnyJobOrReport>): unknown => ('job' in body ? body.job : body);
  return {
    split: (async (space: string, input: SplitInput, o?: RequestOptions) =>
      unwrap(await http.json({ method: 'POST', path: `/v1/spaces/${segment(space, 'space')}/split`, json: input, ...call(o) }, AnyJobOrReport))) as SpaceMoveCalls['split'],
    merge: (async (input: MergeInput, o?: RequestOptions) => unwrap(await http.json({ method: 'POST', path: '/v1/spaces/merge', json: input, ...call(o) }, AnyJobOrReport))) as SpaceMoveCalls['merge'],
  };
}

/** The job calls over `http`. */
export function jobsClient(http: Transport, call: (options: RequestOptions | undefined) => Pick<Call, 'signal' | 'timeoutMs'>): JobsClient {
  const get = async (id: string, o?: RequestOptions): Promise<JobView> => (await http.json({ method: 'GET', path: `/v1/jobs/${segment(id)}`, ...call(o) }, JobResponse)).job as JobView;
  return {
    get,
    async waitForJob(id, o = {}) {
      for (;;) {
        const job = await get(id, o);
        if (job.state === 'succeeded') return job;
        if (job.state === 'failed') throw new MemspaceError((job.error?.code ?? 'INTERNAL') as never, job.error?.message ?? 'the job failed', job.error?.details);
        await new Promise((resolve) => setTimeout(resolve, o.pollMs ?? 250));
        o.signal?.throwIfAborted();
      }
    },
  };
}
