import type Database from 'better-sqlite3-multiple-ciphers';
import type { ClosedSpaceStats } from '../../core/ports/space-catalog.js';
import { USAGE_SQL } from './space-usage.js';

/** The figures of a space that live in its database's rows (the rest are file sizes). */
export type DatabaseFigures = Pick<ClosedSpaceStats, 'memories' | 'relations' | 'contexts' | 'payloadBytes' | 'lastSeq' | 'lastWriteAt'>;

/** Figures of a space that has no database yet. */
export const EMPTY_FIGURES: DatabaseFigures = Object.freeze({ memories: 0, relations: 0, contexts: 0, payloadBytes: 0, lastSeq: 0, lastWriteAt: null });

/**
 * Reads a space's figures from a connection, with reads only: no migration, no write. The
 * database may be of any schema version this code has ever written, so tables added by later
 * migrations are looked up first: without the `usage` counters (migration 3) rows are counted
 * and payload bytes are 0, and without a `contexts` table there are none.
 */
export function readDatabaseFigures(db: Database.Database): DatabaseFigures {
  const tables = new Set(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[]);
  const count = (table: string): number => (tables.has(table) ? (db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get() as number) : 0);

  let usage: Pick<DatabaseFigures, 'memories' | 'relations' | 'contexts' | 'payloadBytes'> | undefined;
  if (tables.has('usage')) usage = db.prepare(USAGE_SQL).get() as typeof usage;
  // Before migration 3 there are no counters: count rows, and payload bytes are not known (0).
  usage ??= { memories: count('memories'), relations: count('relations'), contexts: count('contexts'), payloadBytes: 0 };

  let lastSeq = 0;
  let lastWriteAt: number | null = null;
  if (tables.has('changes')) {
    const last = db.prepare('SELECT seq, at FROM changes ORDER BY seq DESC LIMIT 1').get() as { seq: number; at: number } | undefined;
    lastWriteAt = last?.at ?? null;
    lastSeq = last?.seq ?? 0;
  }
  if (tables.has('sqlite_sequence')) {
    // The sequence survives removal of the newest events, so it is the true last seq.
    const seq = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'changes'`).pluck().get() as number | undefined;
    if (seq !== undefined && seq > lastSeq) lastSeq = seq;
  }
  return { ...usage, lastSeq, lastWriteAt };
}
