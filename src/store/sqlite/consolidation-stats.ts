/**
 * A space's consolidation record (`SpaceStore.consolidationStats`) from its database: one
 * aggregate over `consolidation_passes` (a row per completed pass, migration 6) and an indexed
 * count of the memories changed since the last pass. Read by the open store and, with the same
 * SQL, from the files of a closed space, whose database may be of an older schema.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { CONSOLIDATION_RATE_WINDOW_MS } from '../../core/consolidation-health.js';
import type { ClosedConsolidationStats } from '../../core/ports/space-catalog.js';
import type { ConsolidationPassSummary, ConsolidationStats, UnfinishedConsolidationRun } from '../../core/ports/space-store.js';
import { unfinishedRunOf } from '../common/consolidation-writes.js';
import { readDecayed } from './decay-sweep.js';
import { USAGE_SQL } from './space-usage.js';

/** The statements of the record; prepared where they run, since health asks seldom. */
const SQL = {
  // Undone passes still count as runs and move lastRunAt; their changes are put back, so not counted.
  passes: `SELECT count(*) AS runs, max(finished_at) AS lastRunAt,
      coalesce(sum(CASE WHEN undone_at IS NULL THEN merged END), 0) AS merged,
      coalesce(sum(CASE WHEN undone_at IS NULL THEN superseded END), 0) AS superseded,
      coalesce(sum(CASE WHEN undone_at IS NULL AND finished_at > ? THEN merged + superseded END), 0) AS recent
    FROM consolidation_passes`,
  // Through memories_updated: a range of the index, as long as what changed since the pass.
  changedSince: 'SELECT count(*) FROM memories WHERE updated_at > ? AND (expires_at IS NULL OR expires_at > ?)',
  // Memories retention dropped by decay in the window, from their audit entries (`details.count`,
  // SpaceStore.sweepDecayed): through audit_action, so only the few decay entries are read.
  decayedSince: `SELECT coalesce(sum(json_extract(details, '$.count')), 0) FROM audit INDEXED BY audit_action WHERE action = 'memory.decay' AND at > ?`,
  // Through memories_expires: only the expired rows the sweeper has not removed yet.
  expired: 'SELECT count(*) FROM memories WHERE expires_at IS NOT NULL AND expires_at <= ?',
  insertPass: 'INSERT INTO consolidation_passes (run_id, started_at, finished_at, examined, merged, superseded) VALUES (?, ?, ?, ?, ?, ?)',
  markPassUndone: 'UPDATE consolidation_passes SET undone_at = ? WHERE run_id = ?',
} as const;

/** The record of a space that never completed a pass, with `pending` memories and `recent` dropped by decay. */
function noPasses(pending: number, recent: number): ConsolidationStats {
  return { lastRunAt: null, runs: 0, merged: 0, superseded: 0, recent, pending };
}

/**
 * The consolidation record at `now`, read from `db` in one transaction. A database older than
 * migration 6 (a closed space not opened since) has no record of passes: none counted, every
 * memory not expired pending.
 */
export function readConsolidationStats(db: Database.Database, now: number): ConsolidationStats {
  return db.transaction(() => {
    const tables = new Set(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('consolidation_passes', 'usage', 'audit')`).pluck().all() as string[]);
    const since = now - CONSOLIDATION_RATE_WINDOW_MS;
    const decayed = tables.has('audit') ? (db.prepare(SQL.decayedSince).pluck().get(since) as number) : 0;
    const live = (): number => {
      const all = tables.has('usage') ? (db.prepare(USAGE_SQL).get() as { memories: number }).memories : (db.prepare('SELECT count(*) FROM memories').pluck().get() as number);
      return all - (db.prepare(SQL.expired).pluck().get(now) as number);
    };
    if (!tables.has('consolidation_passes')) return noPasses(live(), decayed);
    const passes = db.prepare(SQL.passes).get(since) as Omit<ConsolidationStats, 'pending'>;
    if (passes.lastRunAt === null) return noPasses(live(), decayed);
    return { ...passes, recent: passes.recent + decayed, pending: db.prepare(SQL.changedSince).pluck().get(passes.lastRunAt, now) as number };
  })();
}

/** The record of a space whose database was never created: nothing done, nothing pending. */
export const NO_CONSOLIDATION: ClosedConsolidationStats = Object.freeze({ ...noPasses(0, 0), decayed: 0 });

/**
 * The record of a closed space (`SpaceCatalog.inspectConsolidation`), read with reads only from
 * a database of any schema: before migration 7 (`usage.decayed`) no memory was dropped by decay.
 */
export function readClosedConsolidation(db: Database.Database, now: number): ClosedConsolidationStats {
  const counted = db.prepare(`SELECT 1 FROM pragma_table_info('usage') WHERE name = 'decayed'`).pluck().get() === 1;
  return { ...readConsolidationStats(db, now), decayed: counted ? readDecayed(db) : 0 };
}

/** Keeps the record of a completed pass, inside its last batch's write transaction; it finished at `at`. */
export function insertPass(db: Database.Database, runId: string, pass: ConsolidationPassSummary, at: number): void {
  db.prepare(SQL.insertPass).run(runId, pass.startedAt, at, pass.examined, pass.merged, pass.superseded);
}

/** Marks the record of pass `runId` undone at `at`, inside the undo's write transaction (no row: an interrupted pass). */
export function markPassUndone(db: Database.Database, runId: string, at: number): void {
  db.prepare(SQL.markPassUndone).run(at, runId);
}

/** The batches of runs that have no record of a completed pass, oldest run first. */
const UNFINISHED_SQL = `SELECT run_id AS runId, at, data, undone_at IS NOT NULL AS undone FROM consolidation_runs r
  WHERE NOT EXISTS (SELECT 1 FROM consolidation_passes p WHERE p.run_id = r.run_id) ORDER BY run_id, batch`;

/** The runs of the space that never completed (`SpaceStore.unfinishedConsolidationRuns`). */
export function readUnfinishedRuns(db: Database.Database): UnfinishedConsolidationRun[] {
  const rows = db.prepare(UNFINISHED_SQL).all() as { runId: string; at: number; data: string; undone: number }[];
  const byRun = new Map<string, { at: number; data: unknown; undone: boolean }[]>();
  for (const r of rows) byRun.set(r.runId, [...(byRun.get(r.runId) ?? []), { at: r.at, data: r.data, undone: r.undone === 1 }]);
  return [...byRun].map(([runId, batches]) => unfinishedRunOf(runId, batches));
}
