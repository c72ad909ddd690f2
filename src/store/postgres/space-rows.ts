/**
 * Rows of the PostgreSQL tables: how a record's fields map to columns (JSON as `jsonb`,
 * vectors in pgvector's binary form going in and its text form coming out), the statement that
 * inserts memories in bulk, and the type parsers the backend's pool uses. The mapping back to records is common (common/space-rows.ts).
 */
import pg from 'pg';
import type { MemoryRecord } from '../../core/types.js';
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

/**
 * A vector as a binary query parameter, in pgvector's wire format (what `vector_recv` reads):
 * the dimension and a reserved zero as 16-bit integers, then each float32, all big-endian.
 * `pg` sends a Buffer in binary, so neither side prints or parses hundreds of decimal numbers
 * per vector (printing them exactly cost the writer about 0.2 ms per 512-dimension vector).
 */
export function vectorParam(v: Float32Array): Buffer {
  const buffer = Buffer.allocUnsafe(4 + 4 * v.length);
  buffer.writeUInt16BE(v.length, 0);
  buffer.writeUInt16BE(0, 2);
  for (let i = 0; i < v.length; i++) buffer.writeFloatBE(v[i]!, 4 + 4 * i);
  return buffer;
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
  m.created_at, m.updated_at, m.expires_at, m.access_count, m.last_accessed_at, m.payload_bytes, m.superseded_by`;

/** Columns of a context, with the vector as text. */
export const CONTEXT_COLUMNS = 'seq, id, content, summary, metadata, embedding::text AS embedding, created_at, original_bytes, stored_bytes';

/** A memory to insert, with the figure it counts against `quotas.maxBytes` (computed once, by the caller). */
export interface SizedMemory {
  memory: MemoryRecord;
  payloadBytes: number;
}

/**
 * A memory as one element of the JSON array that `jsonb_to_recordset` turns into rows (JSON
 * values stay values there). Its vector travels apart, as binary parameter number `position`
 * of the statement's vectors.
 */
function memoryJson({ memory: m, payloadBytes }: SizedMemory, seq: number, position: number): Record<string, unknown> {
  const columns = common.memoryColumns(m, { json: (value) => value, vector: () => undefined }); // undefined: left out of the JSON
  return { ...columns, seq, position, dimension: m.embedding.length, payload_bytes: payloadBytes };
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

/** Most memories one INSERT takes: each vector is a parameter of its own, and a statement takes at most 65,535. */
export const MEMORIES_PER_INSERT = 1_000;

/**
 * The INSERT of at most {@link MEMORIES_PER_INSERT} memories into space `spaceId`, numbered from
 * `firstSeq`; it skips an id the space holds (`ON CONFLICT`) and returns the ids it inserted.
 */
export function insertMemoriesQuery(spaceId: string, memories: readonly SizedMemory[], firstSeq: number): { text: string; values: unknown[] } {
  const json = memories.map((m, i) => memoryJson(m, firstSeq + i, i + 1));
  const vectors = memories.map((_, i) => `$${i + 3}::vector`).join(', ');
  return {
    text: `INSERT INTO memories (space_id, seq, id, content, metadata, tags, user_id, agent_id, run_id, kind, importance,
       created_at, updated_at, expires_at, dimension, embedding, access_count, last_accessed_at, payload_bytes, superseded_by)
     SELECT s.space_id, r.seq, r.id, r.content, r.metadata, r.tags, r.user_id, r.agent_id, r.run_id, r.kind, r.importance,
       r.created_at, r.updated_at, r.expires_at, r.dimension, (ARRAY[${vectors}])[r.position], r.access_count, r.last_accessed_at, r.payload_bytes, r.superseded_by
     ${fromRowsInSpace(`jsonb_to_recordset($2::jsonb) AS r(seq bigint, position integer, id text, content text, metadata jsonb, tags jsonb, user_id text,
       agent_id text, run_id text, kind text, importance double precision, created_at bigint, updated_at bigint, expires_at bigint, dimension integer,
       access_count bigint, last_accessed_at bigint, payload_bytes bigint, superseded_by text)`)}
     ON CONFLICT (space_id, id) DO NOTHING RETURNING id`,
    values: [spaceId, JSON.stringify(json), ...memories.map((m) => vectorParam(m.memory.embedding))],
  };
}
