/**
 * Rows of the PostgreSQL tables: how a record's fields map to columns (JSON as `jsonb`,
 * vectors as pgvector's text form), the statement that inserts memories in bulk, and the type
 * parsers the backend's pool uses. The mapping back to records is common (common/space-rows.ts).
 */
import pg from 'pg';
import type { MemoryRecord } from '../../core/types.js';
import { memoryPayloadBytes } from '../common/payload-bytes.js';
import * as common from '../common/space-rows.js';

/**
 * Type parsers of the backend's pool: `bigint` columns (times, counters, seqs) as numbers,
 * since every value memspace stores is below 2^53. Per pool, so other users of `pg` in the
 * process keep the driver's defaults.
 */
export const PG_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8 && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** pgvector's text form of a vector: exact, since every float32 prints and parses back to itself. */
export function vectorText(v: Float32Array): string {
  return `[${Array.from(v).join(',')}]`;
}

/** A vector from pgvector's text form. */
export function parseVector(text: string): Float32Array {
  const inner = text.slice(1, -1);
  return inner.length === 0 ? new Float32Array(0) : Float32Array.from(inner.split(','), Number);
}

/** A `memories` row as the pool returns it, with the figure it counts against `maxBytes`. */
export type MemoryRow = common.MemoryRow<unknown, string> & { payload_bytes: number };
/** A `history` row as the pool returns it. */
export type HistoryRow = common.HistoryRow<unknown>;
/** A `relations` row as the pool returns it. */
export type RelationRow = common.RelationRow<unknown>;
/** A `contexts` row as the pool returns it. */
export type ContextRow = common.ContextRow<unknown, string>;

/** Records of PostgreSQL rows: `jsonb` columns arrive parsed, vectors as pgvector text. */
export const fromRow: common.RowMappers<unknown, string> = common.rowMappers<unknown, string>({ json: (value) => value, vector: parseVector });

/** Columns of a memory, with the vector as text (or NULL when left out). */
export const MEMORY_COLUMNS = `m.seq, m.id, m.content, m.metadata, m.tags, m.user_id, m.agent_id, m.run_id, m.kind, m.importance,
  m.created_at, m.updated_at, m.expires_at, m.access_count, m.last_accessed_at, m.payload_bytes`;

/** Columns of a context, with the vector as text. */
export const CONTEXT_COLUMNS = 'seq, id, content, summary, metadata, embedding::text AS embedding, created_at, original_bytes, stored_bytes';

/** A memory as one element of the JSON array that `jsonb_to_recordset` turns into rows (JSON values stay values there). */
export function memoryJson(m: MemoryRecord, seq: number): Record<string, unknown> {
  const columns = common.memoryColumns(m, { json: (value) => value, vector: vectorText });
  return { ...columns, seq, dimension: m.embedding.length, payload_bytes: memoryPayloadBytes(m) };
}

/**
 * `FROM` for rows given as a JSON array (`jsonb_to_recordset(...) AS r(...)`) and inserted into
 * space `$1`: the space id comes from the space's `space_state` row, not from the parameter. The
 * same rows either way, but on a Citus coordinator an `INSERT ... SELECT` that reads only a
 * function is run through the coordinator with COPY, which row-level security refuses; reading
 * a co-located table by its distribution key sends the whole statement to the space's worker.
 */
export function fromRowsInSpace(recordset: string): string {
  return `FROM space_state s CROSS JOIN ${recordset} WHERE s.space_id = $1`;
}

/** Inserts the memories of the JSON array `$2` into space `$1`. */
export const INSERT_MEMORIES_SQL = `INSERT INTO memories (space_id, seq, id, content, metadata, tags, user_id, agent_id, run_id, kind, importance,
    created_at, updated_at, expires_at, dimension, embedding, access_count, last_accessed_at, payload_bytes)
  SELECT s.space_id, r.seq, r.id, r.content, r.metadata, r.tags, r.user_id, r.agent_id, r.run_id, r.kind, r.importance,
    r.created_at, r.updated_at, r.expires_at, r.dimension, r.embedding::vector, r.access_count, r.last_accessed_at, r.payload_bytes
  ${fromRowsInSpace(`jsonb_to_recordset($2::jsonb) AS r(seq bigint, id text, content text, metadata jsonb, tags jsonb, user_id text, agent_id text,
    run_id text, kind text, importance double precision, created_at bigint, updated_at bigint, expires_at bigint, dimension integer,
    embedding text, access_count bigint, last_accessed_at bigint, payload_bytes bigint)`)}`;
