/**
 * Retention's decay floor in PostgreSQL (`SpaceStore.sweepDecayed`): which memories of a space
 * `dropsByDecay` (core/decay.ts) drops, and the counter of those dropped, `space_state.decayed`.
 * The delete itself is the store's one delete path (space-writes.ts).
 */
import { type DecayFloor, type DecayInput, decayIdleCutoff, dropsByDecay } from '../../core/decay.js';
import type { Db } from './space-tx.js';

const SQL = {
  // The rule is core's; the SQL only leaves out what it can never drop: pinned (importance 1),
  // read (or, never read, stored) within the last half-life, and expired (the expiry sweep's).
  candidates: `SELECT id, importance, access_count AS "accessCount", last_accessed_at AS "lastAccessedAt", created_at AS "createdAt"
    FROM memories WHERE space_id = $1 AND importance < 1 AND coalesce(last_accessed_at, created_at) <= $2 AND (expires_at IS NULL OR expires_at > $3)
    ORDER BY seq`,
  count: 'UPDATE space_state SET decayed = decayed + $2 WHERE space_id = $1',
  read: 'SELECT decayed FROM space_state WHERE space_id = $1',
} as const;

/**
 * Ids of the first `limit` memories of the space, in insertion order, that `rule` drops at
 * `now`. Run inside the write transaction that deletes them, which holds the space's state row
 * locked, so no other write of the space runs in between.
 */
export async function decayVictims(db: Db, spaceId: string, now: number, rule: DecayFloor, limit: number): Promise<string[]> {
  const rows = (await db.query<DecayInput & { id: string }>(SQL.candidates, [spaceId, decayIdleCutoff(now, rule.halfLifeDays), now])).rows;
  const ids: string[] = [];
  for (const row of rows) {
    if (!dropsByDecay(row, now, rule)) continue;
    ids.push(row.id);
    if (ids.length >= limit) break;
  }
  return ids;
}

/** Adds `n` to the space's count of memories dropped by decay, in the caller's write (the state row is locked). */
export async function countDecayed(db: Db, spaceId: string, n: number): Promise<void> {
  await db.query(SQL.count, [spaceId, n]);
}

/** The space's count of memories dropped by decay, ever; 0 for a space without a state row yet. */
export async function readDecayed(db: Db, spaceId: string): Promise<number> {
  return (await db.query<{ decayed: number }>(SQL.read, [spaceId])).rows[0]?.decayed ?? 0;
}
