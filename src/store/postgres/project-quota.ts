/**
 * Project quotas on PostgreSQL: inside a space's write transaction, the project's advisory lock
 * and the sum of its spaces' usage (`memspace_project_usage`, space-schema.ts), so writers of
 * one project's spaces cross its quotas one at a time, on every server of the database.
 */
import { spaceKey } from '../../core/space-name.js';
import { enforceProjectLimits, type UsageFigures } from '../../core/storage-limits.js';
import type { SpaceWrite } from './space-tx.js';

/** What `memspace_project_usage` returns: no row when the project is gone or limits nothing. */
interface ProjectUsageRow {
  max_memories: number | null;
  max_bytes: number | null;
  memories: number;
  payload_bytes: number;
}

/**
 * Throws `QUOTA_EXCEEDED` when the write, taking its space from `before` to `after`, would take
 * the space's project past one of its quotas. A write that grows nothing neither locks nor reads.
 * The lock is held until the transaction ends, so the next writer of the project sees this one.
 */
export async function enforceProjectQuota(w: SpaceWrite, project: string | null | undefined, before: UsageFigures, after: UsageFigures): Promise<void> {
  if (project === null || project === undefined) return;
  if (after.memories <= before.memories && after.payloadBytes <= before.payloadBytes) return;
  const row = (await w.db.query<ProjectUsageRow>('SELECT * FROM memspace_project_usage($1)', [spaceKey(project)])).rows[0];
  if (row === undefined) return;
  // The sum holds this space's committed figures, not what this transaction changed so far.
  const others = { memories: Number(row.memories) - w.committed.memories, payloadBytes: Number(row.payload_bytes) - w.committed.payloadBytes };
  const quotas = { maxMemories: row.max_memories === null ? null : Number(row.max_memories), maxBytes: row.max_bytes === null ? null : Number(row.max_bytes) };
  enforceProjectLimits(project, quotas, others, before, after);
}
