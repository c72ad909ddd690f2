import { MemspaceError } from './errors.js';
import type { SpaceRecord, StorageLimits } from './types.js';

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

/** The storage quotas of a space, as its store enforces them inside the write transaction. */
export function storageLimits(record: SpaceRecord): StorageLimits {
  return { maxMemories: record.quotas.maxMemories, maxBytes: record.quotas.maxBytes };
}
