/**
 * A space's consolidation record (`SpaceStore.consolidationStats`) from its rows: one aggregate
 * over `consolidation_passes` (a row per completed pass) and an indexed count of the memories
 * changed since the last pass, in a transaction scoped to the space.
 */
import { CONSOLIDATION_RATE_WINDOW_MS } from '../../core/consolidation-health.js';
import type { ConsolidationPassSummary, ConsolidationStats, UnfinishedConsolidationRun } from '../../core/ports/space-store.js';
import { unfinishedRunOf } from '../common/consolidation-writes.js';
import type { Db } from './space-tx.js';

/**
 * The migration of `PG_MIGRATIONS` (space-schema.ts, which hands over its RLS policy and app
 * role) that keeps the record of completed consolidation passes, one row each, written by a
 * pass's last batch, and indexes memories by update time, so the memories a pass has not seen
 * yet are an indexed count. Kept here beside the SQL that reads it.
 */
export function consolidationPassesMigration(rls: (table: string) => string, appRole: string): string {
  return `
  CREATE TABLE consolidation_passes (
    space_id text COLLATE "C" NOT NULL,
    run_id text NOT NULL,
    started_at bigint NOT NULL,
    finished_at bigint NOT NULL,
    examined integer NOT NULL,
    merged integer NOT NULL,
    superseded integer NOT NULL,
    undone_at bigint,
    PRIMARY KEY (space_id, run_id)
  );
  ${rls('consolidation_passes')}
  GRANT SELECT, INSERT, UPDATE ON consolidation_passes TO ${appRole};
  CREATE INDEX memories_updated ON memories (space_id, updated_at);`;
}

// Undone passes still count as runs and move lastRunAt; their changes are put back, so not counted.
const PASSES_SQL = `SELECT count(*)::int AS runs, max(finished_at) AS "lastRunAt",
    coalesce(sum(merged) FILTER (WHERE undone_at IS NULL), 0)::bigint AS merged,
    coalesce(sum(superseded) FILTER (WHERE undone_at IS NULL), 0)::bigint AS superseded,
    coalesce(sum(merged + superseded) FILTER (WHERE undone_at IS NULL AND finished_at > $2), 0)::bigint AS recent
  FROM consolidation_passes WHERE space_id = $1`;
// Memories retention dropped by decay in the window, from their audit entries (`details.count`,
// SpaceStore.sweepDecayed): through audit_action, so only the space's few decay entries are read.
const DECAYED_SINCE_SQL = `SELECT coalesce(sum((details::jsonb->>'count')::bigint), 0)::bigint AS n FROM audit
  WHERE space_id = $1 AND action = 'memory.decay' AND at > $2`;
// Through memories_updated: a range of the index, as long as what changed since the pass.
const CHANGED_SINCE_SQL = 'SELECT count(*)::bigint AS n FROM memories WHERE space_id = $1 AND updated_at > $2 AND (expires_at IS NULL OR expires_at > $3)';
// Every memory not expired: the state row's counter less the expired rows the sweeper has not removed (memories_expires).
const LIVE_SQL = `SELECT coalesce((SELECT memories FROM space_state WHERE space_id = $1), 0)::bigint
    - (SELECT count(*) FROM memories WHERE space_id = $1 AND expires_at IS NOT NULL AND expires_at <= $2) AS n`;

/** The consolidation record of space `spaceId` at `now`, read on `db`, a transaction scoped to the space. */
export async function readConsolidationStats(db: Db, spaceId: string, now: number): Promise<ConsolidationStats> {
  const since = now - CONSOLIDATION_RATE_WINDOW_MS;
  const row = (await db.query<Record<keyof Omit<ConsolidationStats, 'pending'>, string | number | null>>(PASSES_SQL, [spaceId, since])).rows[0];
  const decayed = (await db.query<{ n: string }>(DECAYED_SINCE_SQL, [spaceId, since])).rows[0]?.n;
  const lastRunAt = row?.lastRunAt === null || row?.lastRunAt === undefined ? null : Number(row.lastRunAt);
  const pending =
    lastRunAt === null
      ? (await db.query<{ n: string }>(LIVE_SQL, [spaceId, now])).rows[0]?.n
      : (await db.query<{ n: string }>(CHANGED_SINCE_SQL, [spaceId, lastRunAt, now])).rows[0]?.n;
  return { lastRunAt, runs: Number(row?.runs ?? 0), merged: Number(row?.merged ?? 0), superseded: Number(row?.superseded ?? 0), recent: Number(row?.recent ?? 0) + Number(decayed ?? 0), pending: Number(pending ?? 0) };
}

/** Keeps the record of a completed pass, inside its last batch's write transaction; it finished at `at`. */
export async function insertPass(db: Db, spaceId: string, runId: string, pass: ConsolidationPassSummary, at: number): Promise<void> {
  const sql = 'INSERT INTO consolidation_passes (space_id, run_id, started_at, finished_at, examined, merged, superseded) VALUES ($1, $2, $3, $4, $5, $6, $7)';
  await db.query(sql, [spaceId, runId, pass.startedAt, at, pass.examined, pass.merged, pass.superseded]);
}

/** Marks the record of pass `runId` undone at `at`, inside the undo's write transaction (no row: an interrupted pass). */
export async function markPassUndone(db: Db, spaceId: string, runId: string, at: number): Promise<void> {
  await db.query('UPDATE consolidation_passes SET undone_at = $3 WHERE space_id = $1 AND run_id = $2', [spaceId, runId, at]);
}

/** The batches of runs that have no record of a completed pass, oldest run first. */
const UNFINISHED_SQL = `SELECT run_id AS "runId", at, data, undone_at IS NOT NULL AS undone FROM consolidation_runs r
  WHERE space_id = $1 AND NOT EXISTS (SELECT 1 FROM consolidation_passes p WHERE p.space_id = $1 AND p.run_id = r.run_id) ORDER BY run_id, batch`;

/** The runs of space `spaceId` that never completed (`SpaceStore.unfinishedConsolidationRuns`), read on `db`. */
export async function readUnfinishedRuns(db: Db, spaceId: string): Promise<UnfinishedConsolidationRun[]> {
  const rows = (await db.query<{ runId: string; at: string | number; data: unknown; undone: boolean }>(UNFINISHED_SQL, [spaceId])).rows;
  const byRun = new Map<string, { at: number; data: unknown; undone: boolean }[]>();
  for (const r of rows) byRun.set(r.runId, [...(byRun.get(r.runId) ?? []), { at: Number(r.at), data: r.data, undone: r.undone }]);
  return [...byRun].map(([runId, batches]) => unfinishedRunOf(runId, batches));
}
