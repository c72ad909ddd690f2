/**
 * What a space holds, as the triggers of migration 3 keep it in the one-row `usage` table,
 * read inside a write transaction for the quota check.
 */
import type Database from 'better-sqlite3-multiple-ciphers';

/** Counters of a space, read from its `usage` row. */
export interface Usage {
  memories: number;
  relations: number;
  contexts: number;
  /** Bytes counted against `maxBytes`; see `SpaceStats.payloadBytes`. */
  payloadBytes: number;
}

/** SQL reading the usage row; every space at schema 3 or later has exactly one. */
export const USAGE_SQL = 'SELECT memories, relations, contexts, payload_bytes AS payloadBytes FROM usage WHERE id = 1';

/** The same figures counted from the tables, for a database not yet migrated to schema 3 (a scan). */
export const USAGE_SCAN_SQL = `SELECT (SELECT count(*) FROM memories) AS memories, (SELECT count(*) FROM relations) AS relations, 0 AS contexts,
  (SELECT coalesce(sum(length(CAST(content AS BLOB)) + length(metadata) + length(tags) + length(embedding)), 0) FROM memories) AS payloadBytes`;

/** Reads the usage row through a prepared {@link USAGE_SQL} statement. */
export function readUsage(statement: Database.Statement): Usage {
  return statement.get() as Usage;
}
