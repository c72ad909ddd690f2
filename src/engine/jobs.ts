import { MemspaceError, toMemspaceError } from '../core/errors.js';
import { holds, ROOT_GRANT } from '../core/grants.js';
import { uuidv7 } from '../core/ids.js';
import type { JobProgress, JobView, MergeReport, SplitReport } from '../core/space-moves-api.js';
import { iso } from '../core/views.js';
import type { Principal } from './access-guard.js';

/** How many finished jobs the board keeps, and for how long. */
export interface JobBoardOptions {
  /** Finished jobs kept, newest first; older ones are forgotten. @default 100 */
  keepFinished?: number;
  /** How long a finished job stays visible, in ms. @default 3_600_000 (one hour) */
  keepMs?: number;
}

interface Entry {
  view: JobView;
  owner: string;
  finishedAtMs: number | null;
}

/**
 * Long operations (splits and merges) run in the background with their progress, in this
 * process's memory only: the work itself is resumable, so a job lost with its process is
 * finished by starting it again. A job is visible to the key that started it and to keys that
 * hold the root grant; to any other it does not exist (`NOT_FOUND`).
 */
export class JobBoard {
  private readonly jobs = new Map<string, Entry>();
  private readonly keepFinished: number;
  private readonly keepMs: number;

  constructor(
    private readonly now: () => number,
    options: JobBoardOptions = {},
  ) {
    this.keepFinished = options.keepFinished ?? 100;
    this.keepMs = options.keepMs ?? 3_600_000;
  }

  /**
   * Starts `work` as a job of `owner` and returns it at once, running, with `total` things to
   * do. `work` reports progress through its argument; its result or error ends the job.
   */
  start(kind: JobView['kind'], owner: Principal, work: (progress: (p: JobProgress) => void) => Promise<SplitReport | MergeReport>, total = 0): JobView {
    this.prune();
    const view: JobView = { id: uuidv7(), kind, state: 'running', progress: { done: 0, total, phase: 'planning' }, startedAt: iso(this.now()), finishedAt: null };
    const entry: Entry = { view, owner: owner.keyId, finishedAtMs: null };
    this.jobs.set(view.id, entry);
    const finish = (patch: Partial<JobView>): void => {
      entry.finishedAtMs = this.now();
      Object.assign(view, patch, { finishedAt: iso(entry.finishedAtMs) });
    };
    void work((p) => (view.progress = { ...p })).then(
      (result) => finish({ state: 'succeeded', result, progress: { ...view.progress, phase: 'done' } }),
      (error: unknown) => {
        const e = toMemspaceError(error);
        finish({ state: 'failed', error: { code: e.code, message: e.message, ...(e.details !== undefined && { details: e.details }) } });
      },
    );
    return { ...view };
  }

  /** A job as it stands; `NOT_FOUND` for an unknown id and for a job of another key (unless root). */
  get(id: string, principal: Principal): JobView {
    this.prune();
    const entry = this.jobs.get(id);
    if (entry === undefined || (entry.owner !== principal.keyId && !holds(principal.grants, ROOT_GRANT))) {
      throw new MemspaceError('NOT_FOUND', `job "${id.slice(0, 80)}" not found`, { job: id.slice(0, 80) });
    }
    return structuredClone(entry.view);
  }

  /** Forgets finished jobs past their time, and the oldest beyond the count kept. */
  private prune(): void {
    const finished = [...this.jobs.values()].filter((e) => e.finishedAtMs !== null).sort((a, b) => b.finishedAtMs! - a.finishedAtMs!);
    finished.forEach((e, i) => {
      if (i >= this.keepFinished || this.now() - e.finishedAtMs! > this.keepMs) this.jobs.delete(e.view.id);
    });
  }
}
