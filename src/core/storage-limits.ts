import { MemspaceError } from './errors.js';
import type { ProjectQuotas, SpaceRecord, StorageLimits } from './types.js';

/** The figures of a space that quotas count. */
export interface UsageFigures {
  memories: number;
  payloadBytes: number;
}

/**
 * Throws `QUOTA_EXCEEDED` when a change that moves the space from `before` to `after` grows it
 * past one of `limits`. A change that does not grow a figure never fails on it, so a space
 * already above a lowered quota can still shrink or be edited in place. Every store calls it
 * inside the transaction of the change (which the error rolls back), holding the space's write
 * lock, so concurrent writers cannot cross a quota together.
 */
export function enforceLimits(before: UsageFigures, after: UsageFigures, limits: StorageLimits | undefined): void {
  if (limits === undefined) return;
  const check = (quota: 'maxMemories' | 'maxBytes', limit: number | null, current: number, next: number, unit: string): void => {
    const requested = next - current;
    if (limit === null || requested <= 0 || next <= limit) return;
    throw new MemspaceError('QUOTA_EXCEEDED', `this write would take the space to ${next} ${unit}, above its quota of ${limit}`, {
      quota,
      limit,
      current,
      requested,
    });
  };
  check('maxMemories', limits.maxMemories, before.memories, after.memories, 'memories');
  check('maxBytes', limits.maxBytes, before.payloadBytes, after.payloadBytes, 'payload bytes');
}

/**
 * Throws `QUOTA_EXCEEDED` (`details.quota` `project.maxMemories` or `project.maxBytes`, with
 * `project`) when a change that moves one of a project's spaces from `before` to `after` grows
 * the project's total past its quotas; `others` is the total of its other spaces. Like
 * {@link enforceLimits}, a change that does not grow a figure never fails on it. Stores call it
 * inside the write transaction, holding what serialises the project's writers.
 */
export function enforceProjectLimits(project: string, quotas: ProjectQuotas, others: UsageFigures, before: UsageFigures, after: UsageFigures): void {
  const check = (quota: 'maxMemories' | 'maxBytes', limit: number | null, figure: 'memories' | 'payloadBytes', unit: string): void => {
    const requested = after[figure] - before[figure];
    const current = others[figure] + before[figure];
    if (limit === null || requested <= 0 || current + requested <= limit) return;
    throw new MemspaceError('QUOTA_EXCEEDED', `this write would take project "${project}" to ${current + requested} ${unit}, above its quota of ${limit}`, {
      quota: `project.${quota}`,
      project,
      limit,
      current,
      requested,
    });
  };
  check('maxMemories', quotas.maxMemories, 'memories', 'memories');
  check('maxBytes', quotas.maxBytes, 'payloadBytes', 'payload bytes');
}

/** True when a project's quotas limit anything, so that its writers must be counted together. */
export function limitsProject(quotas: ProjectQuotas | undefined): quotas is ProjectQuotas {
  return quotas !== undefined && (quotas.maxMemories !== null || quotas.maxBytes !== null);
}

/** The storage quotas of a space, as its store enforces them inside the write transaction, with its project's. */
export function storageLimits(record: SpaceRecord): StorageLimits {
  return { maxMemories: record.quotas.maxMemories, maxBytes: record.quotas.maxBytes, project: record.project };
}
