/**
 * Rows of the PostgreSQL tables and their records: how a record's fields map to columns, and
 * the type parsers the backend's pool uses.
 */
import pg from 'pg';
import type { HistoryRecord, JsonObject, MemoryRecord, RelationRecord } from '../../core/types.js';

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

/** The embedding of a record read without its vector. */
export const NO_VECTOR = new Float32Array(0);

/** Columns of a memory, with the vector as text (or NULL when left out). */
export const MEMORY_COLUMNS = `m.seq, m.id, m.content, m.metadata, m.tags, m.user_id, m.agent_id, m.run_id, m.kind, m.importance,
  m.created_at, m.updated_at, m.expires_at, m.access_count, m.last_accessed_at, m.payload_bytes`;

/** A `memories` row as the pool returns it. */
export interface MemoryRow {
  seq: number;
  id: string;
  content: string;
  metadata: JsonObject;
  tags: string[];
  user_id: string | null;
  agent_id: string | null;
  run_id: string | null;
  kind: string;
  importance: number;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  embedding: string | null;
  access_count: number;
  last_accessed_at: number | null;
  payload_bytes: number;
}

/** The memory a row holds. */
export function memoryFromRow(r: MemoryRow): MemoryRecord {
  return {
    id: r.id,
    content: r.content,
    metadata: r.metadata,
    tags: r.tags,
    userId: r.user_id,
    agentId: r.agent_id,
    runId: r.run_id,
    kind: r.kind,
    importance: r.importance,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    expiresAt: r.expires_at,
    embedding: r.embedding === null ? NO_VECTOR : parseVector(r.embedding),
    accessCount: r.access_count,
    lastAccessedAt: r.last_accessed_at,
  };
}

/**
 * Bytes a memory counts against `quotas.maxBytes`: UTF-8 bytes of its content, metadata JSON
 * and tags JSON, and 4 per vector component (what the embedded store counts). Kept per row, so
 * a delete subtracts exactly what the insert added.
 */
export function memoryPayloadBytes(m: MemoryRecord): number {
  return Buffer.byteLength(m.content, 'utf8') + Buffer.byteLength(JSON.stringify(m.metadata), 'utf8') + Buffer.byteLength(JSON.stringify(m.tags), 'utf8') + 4 * m.embedding.length;
}

/** A memory as one element of the JSON array that `jsonb_to_recordset` turns into rows. */
export function memoryJson(m: MemoryRecord, seq: number): Record<string, unknown> {
  return {
    seq,
    id: m.id,
    content: m.content,
    metadata: m.metadata,
    tags: m.tags,
    user_id: m.userId,
    agent_id: m.agentId,
    run_id: m.runId,
    kind: m.kind,
    importance: m.importance,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    expires_at: m.expiresAt,
    dimension: m.embedding.length,
    embedding: vectorText(m.embedding),
    access_count: m.accessCount,
    last_accessed_at: m.lastAccessedAt,
    payload_bytes: memoryPayloadBytes(m),
  };
}

/** Inserts the memories of the JSON array `$2` into space `$1`. */
export const INSERT_MEMORIES_SQL = `INSERT INTO memories (space_id, seq, id, content, metadata, tags, user_id, agent_id, run_id, kind, importance,
    created_at, updated_at, expires_at, dimension, embedding, access_count, last_accessed_at, payload_bytes)
  SELECT $1, r.seq, r.id, r.content, r.metadata, r.tags, r.user_id, r.agent_id, r.run_id, r.kind, r.importance,
    r.created_at, r.updated_at, r.expires_at, r.dimension, r.embedding::vector, r.access_count, r.last_accessed_at, r.payload_bytes
  FROM jsonb_to_recordset($2::jsonb) AS r(seq bigint, id text, content text, metadata jsonb, tags jsonb, user_id text, agent_id text,
    run_id text, kind text, importance double precision, created_at bigint, updated_at bigint, expires_at bigint, dimension integer,
    embedding text, access_count bigint, last_accessed_at bigint, payload_bytes bigint)`;

/** A `history` row as the pool returns it. */
export interface HistoryRow {
  seq: number;
  memory_id: string;
  action: string;
  old_content: string | null;
  new_content: string | null;
  old_metadata: JsonObject | null;
  new_metadata: JsonObject | null;
  actor: string | null;
  at: number;
}

/** The history entry a row holds. */
export function historyFromRow(r: HistoryRow): HistoryRecord {
  return {
    seq: r.seq,
    memoryId: r.memory_id,
    action: r.action as HistoryRecord['action'],
    oldContent: r.old_content,
    newContent: r.new_content,
    oldMetadata: r.old_metadata,
    newMetadata: r.new_metadata,
    actor: r.actor,
    at: r.at,
  };
}

/** A `relations` row as the pool returns it. */
export interface RelationRow {
  id: string;
  seq: number;
  from_id: string;
  to_id: string;
  type: string;
  weight: number;
  metadata: JsonObject;
  created_at: number;
}

/** The edge a row holds. */
export function relationFromRow(r: RelationRow): RelationRecord {
  return { id: r.id, from: r.from_id, to: r.to_id, type: r.type, weight: r.weight, metadata: r.metadata, createdAt: r.created_at };
}
