/**
 * A space's full dump, page by page, and its restore: the rows of a part in their own
 * sequence, and the same rows written back verbatim (ids, times, hashes). What a restore
 * records besides its rows (change events, history, audit) is the mutation recorder's.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { MemspaceError } from '../../core/errors.js';
import type { DumpChunk } from '../../core/types.js';
import type { PreparedContext } from '../common/context-codec.js';
import { checkDumpRequest, type DumpPart, type RowPage, takePage } from '../common/pages.js';
import { INSERT_CONTEXT_SQL, INSERT_FTS_AFTER_SQL, INSERT_MEMORY_SQL, INSERT_RELATION_SQL, MAX_MEMORY_SEQ_SQL, toRow, vectorBlob } from './space-rows.js';
import { translateSqliteError } from './sqlite-errors.js';
import { putFeedback } from './feedback-state.js';

/**
 * Reads rows of `part` after seq `after`, oldest first, in one statement (one snapshot); every
 * part's table is paged by its own `seq` (relations got theirs in migration 3). Decoding, which
 * decompresses contexts, happens after the read (common/pages.ts).
 */
export function readDumpPage(db: Database.Database, part: DumpPart, after: number, limit: number): RowPage<{ seq: number }> {
  checkDumpRequest(part, after, limit);
  return takePage(db.prepare(`SELECT * FROM ${part} WHERE seq > ? ORDER BY seq LIMIT ?`).all(after, limit + 1) as { seq: number }[], limit);
}

/** Inserts one encoded context through `insert` ({@link INSERT_CONTEXT_SQL}); `CONFLICT` when its id exists. */
export function writeContext(insert: Database.Statement, c: PreparedContext): void {
  const { record: r, encoded: e } = c;
  try {
    insert.run(r.id, e.stored, r.summary, JSON.stringify(r.metadata), vectorBlob(r.embedding), r.createdAt, e.originalBytes, e.storedBytes);
  } catch (error) {
    throw conflictOr(error, `context ${r.id} already exists in this space`, r.id);
  }
}

/**
 * Writes a chunk's rows verbatim inside the caller's transaction: memories, then relations
 * (whose ends must exist), then contexts, then the feedback state (over what the space holds). Any failure throws, and the caller's transaction
 * takes every row of the chunk back.
 */
export function writeDumpChunk(db: Database.Database, chunk: DumpChunk, contexts: readonly PreparedContext[]): void {
  const memory = db.prepare(INSERT_MEMORY_SQL);
  const lastSeq = db.prepare(MAX_MEMORY_SEQ_SQL).pluck().get() as number;
  for (const m of chunk.memories ?? []) {
    try {
      memory.run(toRow(m));
    } catch (error) {
      throw conflictOr(error, `memory ${m.id} already exists in this space`, m.id);
    }
  }
  db.prepare(INSERT_FTS_AFTER_SQL).run(lastSeq);
  const relation = db.prepare(INSERT_RELATION_SQL);
  for (const r of chunk.relations ?? []) {
    try {
      relation.run(r.id, r.from, r.to, r.type, r.weight, JSON.stringify(r.metadata), r.createdAt);
    } catch (error) {
      throw conflictOr(error, `relation ${r.id} already exists in this space`, r.id);
    }
  }
  const context = db.prepare(INSERT_CONTEXT_SQL);
  for (const c of contexts) writeContext(context, c);
  putFeedback(db, chunk.pheromones ?? [], chunk.narrative ?? []);
}

/** A uniqueness violation as `CONFLICT` naming the row; any other error translated as usual. */
export function conflictOr(error: unknown, message: string, id: string): MemspaceError {
  const e = translateSqliteError(error);
  return e.code === 'CONFLICT' ? new MemspaceError('CONFLICT', message, { id }, { cause: error }) : e;
}
