/**
 * What a space holds, as the triggers of migration 3 keep it in the one-row `usage` table,
 * and the quota check made against it inside a write transaction.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';

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

/**
 * Total size of the files under a space's directory: the database, its WAL and shared-memory
 * files, and the derived vector index files. Files that vanish while it counts (a WAL
 * truncated, an index generation replaced) count as nothing.
 */
export function directoryBytes(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += directoryBytes(path);
    else total += fileBytes(path);
  }
  return total;
}

/** Size of a file, 0 when it does not exist. */
export function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
