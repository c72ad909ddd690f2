/**
 * How the rows of a space's tables map to its records, once for every backend. Tables and
 * columns are the same everywhere; what differs is how a driver returns JSON columns (text
 * for SQLite, parsed `jsonb` for PostgreSQL) and vectors (a float32 BLOB, pgvector's text), so
 * a backend gives a {@link ColumnDecoder} and gets its {@link RowMappers}.
 */
import type { NarrativeRecord, PheromoneRecord } from '../../core/feedback.js';
import type { ContextRecord, HistoryRecord, JsonObject, MemoryRecord, RelationRecord } from '../../core/types.js';
import { decodeContext } from './context-codec.js';

/** How a driver returns a JSON column (`J`) and a vector column (`V`). */
export interface ColumnDecoder<J, V> {
  /** The value a JSON column holds. */
  json(value: J): unknown;
  /** The vector a vector column holds. */
  vector(value: V): Float32Array;
}

/** How a driver takes a JSON column (`J`) and a vector column (`V`). */
export interface ColumnEncoder<J, V> {
  /** A JSON value as the column takes it. */
  json(value: unknown): J;
  /** A vector as the column takes it. */
  vector(value: Float32Array): V;
}

/** A `memories` row; `embedding` is NULL when the query left the vector out. */
export interface MemoryRow<J, V> {
  seq: number;
  id: string;
  content: string;
  metadata: J;
  tags: J;
  user_id: string | null;
  agent_id: string | null;
  run_id: string | null;
  kind: string;
  importance: number;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  embedding: V | null;
  access_count: number;
  last_accessed_at: number | null;
  superseded_by: string | null;
}

/** A `history` row. */
export interface HistoryRow<J> {
  seq: number;
  memory_id: string;
  action: string;
  old_content: string | null;
  new_content: string | null;
  old_metadata: J | null;
  new_metadata: J | null;
  actor: string | null;
  at: number;
}

/** A `relations` row; `seq` is null only in SQLite databases older than its migration 3. */
export interface RelationRow<J> {
  id: string;
  seq: number | null;
  from_id: string;
  to_id: string;
  type: string;
  weight: number;
  metadata: J;
  created_at: number;
}

/** A `contexts` row; `content` is the compressed text (context-codec.ts). */
export interface ContextRow<J, V> {
  seq: number;
  id: string;
  content: Buffer;
  summary: string;
  metadata: J;
  embedding: V;
  created_at: number;
  original_bytes: number;
  stored_bytes: number;
}

/** A `pheromones` row (core/feedback.ts); `half_lives` is `halfLivesLeft(level)`, which retention compares. */
export interface PheromoneRow {
  seq: number;
  id: string;
  level: number;
  updated_at: number;
  half_lives: number;
}

/** The `narrative` row of a space, when it has one. */
export interface NarrativeRow<V> {
  seq: number;
  vector: V;
  updated_at: number;
  updates: number;
}

/** The records of a backend's rows. */
export interface RowMappers<J, V> {
  /** The memory a row holds; an empty `embedding` when the row was read without its vector. */
  memory(r: MemoryRow<J, V>): MemoryRecord;
  /** The history entry a row holds. */
  history(r: HistoryRow<J>): HistoryRecord;
  /** The edge a row holds. */
  relation(r: RelationRow<J>): RelationRecord;
  /** The context a row holds, decompressed (off the event loop). */
  context(r: ContextRow<J, V>): Promise<ContextRecord>;
  /** The pheromone a row holds. */
  pheromone(r: PheromoneRow): PheromoneRecord;
  /** The narrative a row holds. */
  narrative(r: NarrativeRow<V>): NarrativeRecord;
}

/** The embedding of a record read without its vector. */
export const NO_VECTOR = new Float32Array(0);

/** The columns of a memory (all but its `seq`, which the database assigns), as a backend's statements bind them. */
export function memoryColumns<J, V>(m: MemoryRecord, encode: ColumnEncoder<J, V>): Omit<MemoryRow<J, V>, 'seq' | 'embedding'> & { embedding: V } {
  return {
    id: m.id,
    content: m.content,
    metadata: encode.json(m.metadata),
    tags: encode.json(m.tags),
    user_id: m.userId,
    agent_id: m.agentId,
    run_id: m.runId,
    kind: m.kind,
    importance: m.importance,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    expires_at: m.expiresAt,
    embedding: encode.vector(m.embedding),
    access_count: m.accessCount,
    last_accessed_at: m.lastAccessedAt,
    superseded_by: m.supersededBy,
  };
}

/** The mappers of a backend whose driver returns columns as `decode` reads them. */
export function rowMappers<J, V>(decode: ColumnDecoder<J, V>): RowMappers<J, V> {
  const object = (value: J): JsonObject => decode.json(value) as JsonObject;
  const objectOrNull = (value: J | null): JsonObject | null => (value === null ? null : object(value));
  return {
    memory: (r) => ({
      id: r.id,
      content: r.content,
      metadata: object(r.metadata),
      tags: decode.json(r.tags) as string[],
      userId: r.user_id,
      agentId: r.agent_id,
      runId: r.run_id,
      kind: r.kind,
      importance: r.importance,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      expiresAt: r.expires_at,
      embedding: r.embedding === null ? NO_VECTOR : decode.vector(r.embedding),
      accessCount: r.access_count,
      lastAccessedAt: r.last_accessed_at,
      // Absent from rows of a query that predates the column (none should): not superseded.
      supersededBy: r.superseded_by ?? null,
    }),
    history: (r) => ({
      seq: r.seq,
      memoryId: r.memory_id,
      action: r.action as HistoryRecord['action'],
      oldContent: r.old_content,
      newContent: r.new_content,
      oldMetadata: objectOrNull(r.old_metadata),
      newMetadata: objectOrNull(r.new_metadata),
      actor: r.actor,
      at: r.at,
    }),
    relation: (r) => ({ id: r.id, from: r.from_id, to: r.to_id, type: r.type, weight: r.weight, metadata: object(r.metadata), createdAt: r.created_at }),
    context: async (r) => ({
      id: r.id,
      content: await decodeContext(r.content),
      summary: r.summary,
      metadata: object(r.metadata),
      embedding: decode.vector(r.embedding),
      createdAt: r.created_at,
      originalBytes: r.original_bytes,
      storedBytes: r.stored_bytes,
    }),
    // Drivers return BIGINT columns as strings or numbers; times and counts are safe integers.
    pheromone: (r) => ({ id: r.id, level: Number(r.level), updatedAt: Number(r.updated_at) }),
    narrative: (r) => ({ vector: decode.vector(r.vector), updatedAt: Number(r.updated_at), updates: Number(r.updates) }),
  };
}
