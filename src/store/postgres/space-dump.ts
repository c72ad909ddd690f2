/**
 * A space's full dump, page by page, and its restore: rows of a part in their own sequence,
 * and the same rows written back verbatim (ids, times, history, audit hashes) with change
 * events so subscribers follow. The Postgres twin of the embedded store's space-dump.ts.
 */
import { type AuditTextRow, auditFromTextRow } from '../../core/audit.js';
import { MemspaceError } from '../../core/errors.js';
import type { ContextRecord, DumpChunk, JsonObject } from '../../core/types.js';
import { decodeContext, type EncodedContext, encodeContext } from '../common/context-codec.js';
import {
  historyFromRow,
  type HistoryRow,
  INSERT_MEMORIES_SQL,
  MEMORY_COLUMNS,
  memoryFromRow,
  memoryJson,
  type MemoryRow,
  parseVector,
  relationFromRow,
  type RelationRow,
  vectorText,
} from './pg-rows.js';
import type { Db, SpaceWrite } from './space-tx.js';

/** One part of a dump. */
export type DumpPart = keyof DumpChunk;

/** Each part's rows, in its own sequence. */
const PAGE_SQL: Readonly<Record<DumpPart, string>> = {
  memories: `SELECT ${MEMORY_COLUMNS}, m.embedding::text AS embedding FROM memories m WHERE m.space_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3`,
  history: 'SELECT * FROM history WHERE space_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
  relations: 'SELECT * FROM relations WHERE space_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
  contexts: `SELECT seq, id, content, summary, metadata, embedding::text AS embedding, created_at, original_bytes, stored_bytes
    FROM contexts WHERE space_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
  audit: 'SELECT * FROM audit WHERE space_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
};

/** A `contexts` row as the dump reads it. */
export interface ContextRow {
  seq: number;
  id: string;
  content: Buffer;
  summary: string;
  metadata: JsonObject;
  embedding: string;
  created_at: number;
  original_bytes: number;
  stored_bytes: number;
}

/** The context a row holds, decompressed. */
export async function contextFromRow(r: Omit<ContextRow, 'seq'>): Promise<ContextRecord> {
  return {
    id: r.id,
    content: await decodeContext(r.content),
    summary: r.summary,
    metadata: r.metadata,
    embedding: parseVector(r.embedding),
    createdAt: r.created_at,
    originalBytes: r.original_bytes,
    storedBytes: r.stored_bytes,
  };
}

/**
 * Reads rows of `part` after seq `after`, oldest first, in one statement (one snapshot). One
 * row more than asked tells whether a next page exists, so the last page says `next: null`.
 */
export async function readDumpPage(db: Db, spaceId: string, part: DumpPart, after: number, limit: number): Promise<{ chunk: DumpChunk; next: number | null }> {
  const sql = PAGE_SQL[part];
  if (sql === undefined) throw new MemspaceError('VALIDATION_FAILED', `unknown dump part ${String(part)}`);
  if (!Number.isSafeInteger(limit) || limit < 1 || !Number.isSafeInteger(after)) {
    throw new MemspaceError('VALIDATION_FAILED', 'a dump page needs an integer cursor and a positive integer limit', { after, limit });
  }
  const rows = (await db.query<{ seq: number }>(sql, [spaceId, after, limit + 1])).rows;
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const next = more ? page[page.length - 1]!.seq : null;
  switch (part) {
    case 'memories':
      return { chunk: { memories: (page as MemoryRow[]).map(memoryFromRow) }, next };
    case 'history':
      return { chunk: { history: (page as HistoryRow[]).map(historyFromRow) }, next };
    case 'relations':
      return { chunk: { relations: (page as RelationRow[]).map(relationFromRow) }, next };
    case 'audit':
      return { chunk: { audit: (page as AuditTextRow[]).map(auditFromTextRow) }, next };
    case 'contexts':
      return { chunk: { contexts: await Promise.all((page as ContextRow[]).map(contextFromRow)) }, next };
  }
}

/** A context with its text compressed, ready for {@link writeContextRow}. */
export interface PreparedContext {
  record: ContextRecord;
  encoded: EncodedContext;
  /** What the row counts against `quotas.maxBytes`. */
  payloadBytes: number;
}

/** Compresses contexts before a transaction opens, so no lock is held while brotli runs. */
export async function prepareContexts(contexts: readonly ContextRecord[] | undefined): Promise<PreparedContext[]> {
  return Promise.all(
    (contexts ?? []).map(async (record) => {
      const encoded = await encodeContext(record.content);
      const payloadBytes =
        encoded.storedBytes + Buffer.byteLength(record.summary, 'utf8') + Buffer.byteLength(JSON.stringify(record.metadata), 'utf8') + 4 * record.embedding.length;
      return { record, encoded, payloadBytes };
    }),
  );
}

/** Inserts one prepared context with the next context seq, counting it; `CONFLICT` when its id exists. */
export async function writeContextRow(w: SpaceWrite, c: PreparedContext): Promise<void> {
  const { record: r, encoded: e } = c;
  const inserted = await w.db.query(
    `INSERT INTO contexts (space_id, id, seq, content, summary, metadata, embedding, created_at, original_bytes, stored_bytes, payload_bytes)
     VALUES ($1, $2, $3, $4, $5, $6, $7::vector, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
    [w.spaceId, r.id, w.state.contextSeq + 1, e.stored, r.summary, JSON.stringify(r.metadata), vectorText(r.embedding), r.createdAt, e.originalBytes, e.storedBytes, c.payloadBytes],
  );
  if (inserted.rowCount === 0) throw new MemspaceError('CONFLICT', `context ${r.id} already exists in this space`, { id: r.id });
  w.state.contextSeq += 1;
  w.state.contexts += 1;
  w.state.payloadBytes += c.payloadBytes;
}

/**
 * Writes a chunk's rows verbatim inside the caller's write: memories, then relations (whose
 * ends must exist), then contexts. What a restore records besides (change events, history,
 * audit entries) is the recorder's. Any failure throws, and the transaction takes every row of
 * the chunk back.
 */
export async function writeDumpChunk(w: SpaceWrite, chunk: DumpChunk, contexts: readonly PreparedContext[]): Promise<void> {
  const memories = chunk.memories ?? [];
  if (memories.length > 0) {
    const ids = memories.map((m) => m.id);
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    const taken = twice ?? (await w.db.query<{ id: string }>('SELECT id FROM memories WHERE space_id = $1 AND id = ANY($2::text[]) LIMIT 1', [w.spaceId, ids])).rows[0]?.id;
    if (taken !== undefined) throw new MemspaceError('CONFLICT', `memory ${taken} already exists in this space`, { id: taken });
    const json = memories.map((m) => memoryJson(m, (w.state.memorySeq += 1)));
    await w.db.query(INSERT_MEMORIES_SQL, [w.spaceId, JSON.stringify(json)]);
    w.state.memories += memories.length;
    w.state.payloadBytes += json.reduce((sum, r) => sum + (r['payload_bytes'] as number), 0);
  }
  for (const r of chunk.relations ?? []) {
    // A missing end fails the foreign key (NOT_FOUND); an id present is CONFLICT.
    const inserted = await w.db.query(
      `INSERT INTO relations (space_id, id, seq, from_id, to_id, type, weight, metadata, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (space_id, id) DO NOTHING`,
      [w.spaceId, r.id, w.state.relationSeq + 1, r.from, r.to, r.type, r.weight, JSON.stringify(r.metadata), r.createdAt],
    );
    if (inserted.rowCount === 0) throw new MemspaceError('CONFLICT', `relation ${r.id} already exists in this space`, { id: r.id });
    w.state.relationSeq += 1;
    w.state.relations += 1;
  }
  for (const c of contexts) await writeContextRow(w, c);
}
