/**
 * Retention's decay floor in a space database (`SpaceStore.sweepDecayed`): which memories
 * `dropsByDecay` (core/decay.ts) drops, and the counter of those dropped, `usage.decayed`
 * (migration 7). The delete itself is the store's one delete path (space-writes.ts).
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { type DecayFloor, type DecayInput, decayIdleCutoff, dropsByDecay } from '../../core/decay.js';

/** A memory about to be dropped, as its row holds it (what its `delete` history row keeps). */
export interface DecayVictim {
  id: string;
  content: string;
  metadata: string;
}

const SQL = {
  // The rule is core's; the SQL only leaves out what it can never drop: pinned (importance 1),
  // read (or, never read, stored) within the last half-life, and expired (the expiry sweep's).
  candidates: `SELECT id, importance, access_count AS accessCount, last_accessed_at AS lastAccessedAt, created_at AS createdAt
    FROM memories WHERE importance < 1 AND coalesce(last_accessed_at, created_at) <= ? AND (expires_at IS NULL OR expires_at > ?)
    ORDER BY seq`,
  victims: 'SELECT m.id, m.content, m.metadata FROM json_each(?) j JOIN memories m ON m.id = j.value ORDER BY j.key',
  count: 'UPDATE usage SET decayed = decayed + ? WHERE id = 1',
  read: 'SELECT decayed FROM usage WHERE id = 1',
} as const;

/**
 * The first `limit` memories, in insertion order, that `rule` drops at `now`, with what their
 * history keeps. Run inside the write transaction that deletes them, so none is read in between.
 */
export function decayVictims(db: Database.Database, now: number, rule: DecayFloor, limit: number): DecayVictim[] {
  const ids: string[] = [];
  const rows = db.prepare(SQL.candidates).iterate(decayIdleCutoff(now, rule.halfLifeDays), now) as IterableIterator<DecayInput & { id: string }>;
  for (const row of rows) {
    if (!dropsByDecay(row, now, rule)) continue;
    ids.push(row.id);
    if (ids.length >= limit) break; // ends the statement
  }
  return ids.length === 0 ? [] : (db.prepare(SQL.victims).all(JSON.stringify(ids)) as DecayVictim[]);
}

/** Adds `n` to the space's count of memories dropped by decay, in the caller's transaction. */
export function countDecayed(db: Database.Database, n: number): void {
  db.prepare(SQL.count).run(n);
}

/** The space's count of memories dropped by decay, ever. */
export function readDecayed(db: Database.Database): number {
  return (db.prepare(SQL.read).pluck().get() as number | undefined) ?? 0;
}
