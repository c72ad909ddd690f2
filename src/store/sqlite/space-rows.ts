/**
 * Rows of a space database: how a record's fields are laid out in SQLite columns (JSON as
 * text, vectors as float32 BLOBs) and the statements that write them, shared by the store,
 * its dump and its restore. The mapping back to records is common (common/space-rows.ts).
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import type { FeedBounds } from '../../core/feed-horizon.js';
import type { MemoryRecord } from '../../core/types.js';
import * as common from '../common/space-rows.js';
import { USAGE_SQL } from './space-usage.js';

/** A `memories` row as SQLite returns it. */
export type MemoryRow = common.MemoryRow<string, Buffer>;
/** A `history` row as SQLite returns it. */
export type HistoryRow = common.HistoryRow<string>;
/** A `relations` row as SQLite returns it. */
export type RelationRow = common.RelationRow<string>;
/** A `contexts` row as SQLite returns it. */
export type ContextRow = common.ContextRow<string, Buffer>;

/** Records of SQLite rows: JSON columns are text, vectors BLOBs. */
export const fromRow: common.RowMappers<string, Buffer> = common.rowMappers<string, Buffer>({ json: (text) => JSON.parse(text) as unknown, vector: toVector });

/** The column values of a memory, as bound to the insert and update statements. */
export function toRow(m: MemoryRecord): Omit<MemoryRow, 'seq'> {
  return common.memoryColumns(m, { json: (value) => JSON.stringify(value), vector: vectorBlob });
}

/** The bytes of a vector as stored (float32, platform order: little-endian everywhere Node runs). */
export function vectorBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Copies a BLOB into an aligned Float32Array (a Buffer's offset need not be 4-aligned). */
export function toVector(blob: Buffer): Float32Array {
  const out = new Float32Array(blob.byteLength / 4);
  new Uint8Array(out.buffer).set(blob);
  return out;
}

/** Inserts a memory with every field, bound by the names of {@link toRow}. */
export const INSERT_MEMORY_SQL = `INSERT INTO memories (id, content, metadata, tags, user_id, agent_id, run_id, kind, importance,
  created_at, updated_at, expires_at, embedding, access_count, last_accessed_at, superseded_by)
  VALUES (@id, @content, @metadata, @tags, @user_id, @agent_id, @run_id, @kind, @importance,
  @created_at, @updated_at, @expires_at, @embedding, @access_count, @last_accessed_at, @superseded_by)`;

/**
 * Every write that inserts memories inserts them with {@link INSERT_MEMORY_SQL}, then indexes
 * them for keywords with this one statement, given the largest seq before its first insert (new
 * rows always get larger seqs): the keyword index has no insert trigger (schema 4).
 */
export const INSERT_FTS_AFTER_SQL = 'INSERT INTO memories_fts (rowid, content, tags) SELECT seq, content, tags FROM memories WHERE seq > ?';
/** The largest memory seq so far, 0 for none: what {@link INSERT_FTS_AFTER_SQL} is given. */
export const MAX_MEMORY_SEQ_SQL = 'SELECT coalesce(max(seq), 0) FROM memories';

/** Appends a history entry (its seq is the next one). */
export const INSERT_HISTORY_SQL = `INSERT INTO history (memory_id, action, old_content, new_content, old_metadata, new_metadata, actor, at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

/** Inserts an edge; its creation seq is the next one (under the write lock, so without races). */
export const INSERT_RELATION_SQL = `INSERT INTO relations (id, from_id, to_id, type, weight, metadata, created_at, seq)
  VALUES (?, ?, ?, ?, ?, ?, ?, coalesce((SELECT max(seq) FROM relations), 0) + 1)`;

/** Inserts a context already encoded (context-codec.ts). */
export const INSERT_CONTEXT_SQL = `INSERT INTO contexts (id, content, summary, metadata, embedding, created_at, original_bytes, stored_bytes)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

/** Appends one change-feed event. */
export const INSERT_CHANGE_SQL = 'INSERT INTO changes (at, op, id) VALUES (?, ?, ?)';

/** Inserts a sealed audit entry. */
export const INSERT_AUDIT_SQL = `INSERT INTO audit (seq, at, actor, action, ids, request_id, details, prev_hash, hash)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** The newest audit entry: the head the next one links to. */
export const AUDIT_HEAD_SQL = 'SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1';

/** Memories expired at `?`, soonest first, through the partial index on expires_at. */
export const SWEEP_EXPIRED_SQL = 'SELECT id, content, metadata FROM memories WHERE expires_at <= ? ORDER BY expires_at LIMIT ?';

/**
 * Memories created before `?` and not expired at `?` (those the expiry query takes), oldest
 * first, through the index on created_at (migration 3).
 */
export const SWEEP_RETENTION_SQL = `SELECT id, content, metadata FROM memories
  WHERE created_at < ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at LIMIT ?`;

/** The text of every fixed statement of a space's store, by name. */
const STATEMENT_SQL = {
  insert: INSERT_MEMORY_SQL,
  indexKeywordsAfter: INSERT_FTS_AFTER_SQL,
  maxMemorySeq: MAX_MEMORY_SEQ_SQL,
  update: `UPDATE memories SET content = @content, metadata = @metadata, tags = @tags, kind = @kind,
    importance = @importance, updated_at = @updated_at, expires_at = @expires_at, embedding = @embedding WHERE id = @id`,
  byId: 'SELECT * FROM memories WHERE id = ?',
  byIds: 'SELECT m.* FROM json_each(?) j JOIN memories m ON m.id = j.value',
  byIdsWithoutEmbedding: `SELECT m.seq, m.id, m.content, m.metadata, m.tags, m.user_id, m.agent_id, m.run_id, m.kind,
    m.importance, m.created_at, m.updated_at, m.expires_at, NULL AS embedding, m.access_count, m.last_accessed_at, m.superseded_by
    FROM json_each(?) j JOIN memories m ON m.id = j.value`,
  deleteById: 'DELETE FROM memories WHERE id = ?',
  historyOf: 'SELECT * FROM history WHERE memory_id = ? ORDER BY seq',
  history: INSERT_HISTORY_SQL,
  change: INSERT_CHANGE_SQL,
  changesAfter: 'SELECT seq, at, op, id FROM changes WHERE seq > ? ORDER BY seq LIMIT ?',
  lastSeq: `SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0) AS seq`,
  lastChange: 'SELECT seq, at FROM changes ORDER BY seq DESC LIMIT 1',
  oldestChange: 'SELECT min(seq) FROM changes',
  // Walks from the oldest event: compaction leaves few before the first recent one.
  firstChangeSince: 'SELECT seq FROM changes WHERE at >= ? ORDER BY seq LIMIT 1',
  // The oldest events below the first parameter, at most the second many (seqs are dense), never the newest.
  compactChanges: 'DELETE FROM changes WHERE seq < min(?, (SELECT max(seq) FROM changes), (SELECT min(seq) FROM changes) + ?)',
  memoryChangesAfter: `SELECT c.seq AS cseq, c.id AS id, m.seq AS seq, m.expires_at AS expires_at, m.embedding AS embedding
    FROM changes c LEFT JOIN memories m ON m.id = c.id
    WHERE c.seq > ? AND c.op IN ('memory.created', 'memory.updated', 'memory.deleted') ORDER BY c.seq`,
  allVectors: 'SELECT id, seq, expires_at, embedding FROM memories',
  vectorBySeq: 'SELECT id, seq, expires_at, embedding FROM memories WHERE seq = ?',
  vectorById: 'SELECT id, seq, expires_at, embedding FROM memories WHERE id = ?',
  memoryIdsChangedAfter: `SELECT DISTINCT id FROM changes WHERE seq > ? AND op IN ('memory.created', 'memory.updated', 'memory.deleted')`,
  keywordTop: `SELECT m.id AS id, f.rank AS rank FROM
    (SELECT rowid, bm25(memories_fts, 1.0, 0.5) AS rank FROM memories_fts WHERE memories_fts MATCH ? ORDER BY rank LIMIT ?) f
    JOIN memories m ON m.seq = f.rowid WHERE m.expires_at IS NULL OR m.expires_at > ? ORDER BY f.rank`,
  access: 'UPDATE memories SET access_count = access_count + ?, last_accessed_at = max(coalesce(last_accessed_at, 0), ?) WHERE id = ?',
  insertRelation: INSERT_RELATION_SQL,
  relationIdsTouching: 'SELECT id FROM relations WHERE from_id = @id OR to_id = @id',
  deleteRelation: 'DELETE FROM relations WHERE id = ?',
  memoryExists: 'SELECT 1 FROM memories WHERE id = ?',
  relationById: 'SELECT from_id, to_id, type FROM relations WHERE id = ?',
  auditHead: AUDIT_HEAD_SQL,
  auditInsert: INSERT_AUDIT_SQL,
  auditAll: 'SELECT * FROM audit ORDER BY seq',
  usage: USAGE_SQL,
  // Two indexed scans rather than one OR, each able to stop at its limit.
  expired: SWEEP_EXPIRED_SQL,
  retained: SWEEP_RETENTION_SQL,
  insertContext: INSERT_CONTEXT_SQL,
  contextById: 'SELECT * FROM contexts WHERE id = ?',
  contextSizes: 'SELECT original_bytes AS originalBytes, stored_bytes AS storedBytes FROM contexts WHERE id = ?',
  deleteContext: 'DELETE FROM contexts WHERE id = ?',
  totalChanges: 'SELECT total_changes()',
  // Through the partial index memories_superseded: answers without a scan.
  hasSuperseded: 'SELECT EXISTS (SELECT 1 FROM memories WHERE superseded_by IS NOT NULL)',
  relationsTouching: `SELECT r.* FROM relations r WHERE r.from_id IN (SELECT value FROM json_each(@ids)) OR r.to_id IN (SELECT value FROM json_each(@ids))`,
  moveRelation: 'UPDATE relations SET from_id = ?, to_id = ? WHERE id = ?',
  // Every field a consolidation may change, and nothing of the scopes: a survivor's, or one restored by an undo.
  rewriteMemory: `UPDATE memories SET content = @content, metadata = @metadata, tags = @tags, kind = @kind, importance = @importance,
    created_at = @created_at, updated_at = @updated_at, expires_at = @expires_at, embedding = @embedding, access_count = @access_count,
    last_accessed_at = @last_accessed_at, superseded_by = @superseded_by WHERE id = @id`,
  supersede: 'UPDATE memories SET superseded_by = ? WHERE id = ?',
  insertRunBatch: 'INSERT INTO consolidation_runs (run_id, batch, at, actor, data) VALUES (?, ?, ?, ?, ?)',
  runBatches: 'SELECT data, undone_at FROM consolidation_runs WHERE run_id = ? ORDER BY batch',
  markRunUndone: 'UPDATE consolidation_runs SET undone_at = ? WHERE run_id = ?',
} as const;

/** Statements whose rows are their first column's values (better-sqlite3's `pluck`). */
const PLUCKED: ReadonlySet<string> = new Set(['lastSeq', 'oldestChange', 'firstChangeSince', 'memoryIdsChangedAfter', 'totalChanges', 'maxMemorySeq', 'hasSuperseded']);

/** The statements of an open space, prepared once per connection; see {@link prepareSpaceStatements}. */
export type SpaceStatements = { readonly [K in keyof typeof STATEMENT_SQL]: Database.Statement };

/** Prepares every fixed statement of a space's store on its connection. */
export function prepareSpaceStatements(db: Database.Database): SpaceStatements {
  const prepared = Object.entries(STATEMENT_SQL).map(([name, sql]) => [name, PLUCKED.has(name) ? db.prepare(sql).pluck() : db.prepare(sql)]);
  return Object.fromEntries(prepared) as SpaceStatements;
}

/**
 * The change feed's bounds, read by two statements that must see one state: inside a
 * transaction, or in one synchronous call on the connection that writes.
 */
export function feedBounds(stmt: SpaceStatements): FeedBounds {
  const latest = stmt.lastSeq.get() as number;
  const oldest = stmt.oldestChange.get() as number | null;
  return { oldest: oldest ?? latest + 1, latest };
}
