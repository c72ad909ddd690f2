/**
 * A space's full dump, page by page, and its restore: the rows of a part in their own
 * sequence, and the same rows written back verbatim (ids, times, hashes) with change events
 * so the vector index and subscribers follow.
 */
import type Database from 'better-sqlite3';
import { type AuditTextRow, auditFromTextRow } from '../../core/audit.js';
import { MemspaceError } from '../../core/errors.js';
import type { ContextRecord, DumpChunk, JsonObject } from '../../core/types.js';
import { decodeContext, type EncodedContext, encodeContext } from '../common/context-codec.js';
import {
  fromRow,
  type HistoryRow,
  historyFromRow,
  INSERT_CONTEXT_SQL,
  INSERT_MEMORY_SQL,
  INSERT_RELATION_SQL,
  type MemoryRow,
  type RelationRow,
  relationFromRow,
  toRow,
  toVector,
  vectorBlob,
} from './space-rows.js';
import { translateSqliteError } from './sqlite-errors.js';

/** One part of a dump. */
export type DumpPart = keyof DumpChunk;

/** A `contexts` row as SQLite returns it. */
export interface ContextRow {
  seq: number;
  id: string;
  content: Buffer;
  summary: string;
  metadata: string;
  embedding: Buffer;
  created_at: number;
  original_bytes: number;
  stored_bytes: number;
}

/** Every part's table is paged by its own `seq`; relations got theirs in migration 3. */
const TABLE: Readonly<Record<DumpPart, string>> = {
  memories: 'memories',
  history: 'history',
  relations: 'relations',
  contexts: 'contexts',
  audit: 'audit',
};

/** Rows of one dump page as read, before decoding. */
export interface RawDumpPage {
  part: DumpPart;
  rows: { seq: number }[];
  next: number | null;
}

/**
 * Reads rows of `part` after seq `after`, oldest first, in one statement (one snapshot). One
 * row more than asked tells whether a next page exists, so the last page says `next: null`.
 */
export function readDumpPage(db: Database.Database, part: DumpPart, after: number, limit: number): RawDumpPage {
  const table = TABLE[part];
  if (table === undefined) throw new MemspaceError('VALIDATION_FAILED', `unknown dump part ${String(part)}`);
  if (!Number.isSafeInteger(limit) || limit < 1 || !Number.isSafeInteger(after)) {
    throw new MemspaceError('VALIDATION_FAILED', 'a dump page needs an integer cursor and a positive integer limit', { after, limit });
  }
  const rows = db.prepare(`SELECT * FROM ${table} WHERE seq > ? ORDER BY seq LIMIT ?`).all(after, limit + 1) as { seq: number }[];
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { part, rows: page, next: more ? page[page.length - 1]!.seq : null };
}

/** Decodes a page into records; contexts are decompressed off the event loop. */
export async function decodeDumpPage(page: RawDumpPage): Promise<DumpChunk> {
  switch (page.part) {
    case 'memories':
      return { memories: (page.rows as MemoryRow[]).map(fromRow) };
    case 'history':
      return { history: (page.rows as HistoryRow[]).map(historyFromRow) };
    case 'relations':
      return { relations: (page.rows as RelationRow[]).map(relationFromRow) };
    case 'audit':
      return { audit: (page.rows as AuditTextRow[]).map(auditFromTextRow) };
    case 'contexts':
      return { contexts: await Promise.all((page.rows as ContextRow[]).map(contextFromRow)) };
  }
}

/** The context a row holds, decompressed. */
export async function contextFromRow(r: ContextRow): Promise<ContextRecord> {
  return {
    id: r.id,
    content: await decodeContext(r.content),
    summary: r.summary,
    metadata: JSON.parse(r.metadata) as JsonObject,
    embedding: toVector(r.embedding),
    createdAt: r.created_at,
    originalBytes: r.original_bytes,
    storedBytes: r.stored_bytes,
  };
}

/** A context with its text compressed, ready for {@link writeContext}. */
export interface PreparedContext {
  record: ContextRecord;
  encoded: EncodedContext;
}

/** Compresses the contexts of a chunk before its transaction opens. */
export async function prepareContexts(contexts: readonly ContextRecord[] | undefined): Promise<PreparedContext[]> {
  return Promise.all((contexts ?? []).map(async (record) => ({ record, encoded: await encodeContext(record.content) })));
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
 * (whose ends must exist), then contexts. What a restore records besides (change events,
 * history, audit entries) is the recorder's. Any failure throws, and the caller's transaction
 * takes every row of the chunk back.
 */
export function writeDumpChunk(db: Database.Database, chunk: DumpChunk, contexts: readonly PreparedContext[]): void {
  const memory = db.prepare(INSERT_MEMORY_SQL);
  for (const m of chunk.memories ?? []) {
    try {
      memory.run(toRow(m));
    } catch (error) {
      throw conflictOr(error, `memory ${m.id} already exists in this space`, m.id);
    }
  }
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
}

/** A uniqueness violation as `CONFLICT` naming the row; any other error translated as usual. */
export function conflictOr(error: unknown, message: string, id: string): MemspaceError {
  const e = translateSqliteError(error);
  return e.code === 'CONFLICT' ? new MemspaceError('CONFLICT', message, { id }, { cause: error }) : e;
}
