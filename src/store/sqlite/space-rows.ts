/**
 * Rows of a space database: how a record's fields are laid out in SQLite columns (JSON as
 * text, vectors as float32 BLOBs) and the statements that write them, shared by the store,
 * its dump and its restore. The mapping back to records is common (common/space-rows.ts).
 */
import type { MemoryRecord } from '../../core/types.js';
import * as common from '../common/space-rows.js';

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
  created_at, updated_at, expires_at, embedding, access_count, last_accessed_at)
  VALUES (@id, @content, @metadata, @tags, @user_id, @agent_id, @run_id, @kind, @importance,
  @created_at, @updated_at, @expires_at, @embedding, @access_count, @last_accessed_at)`;

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
