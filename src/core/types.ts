/** A JSON object, as stored in `metadata`. */
export type JsonObject = { [key: string]: JsonValue };
/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/** Isolation level of a space: `strict` refuses every share. */
export type Isolation = 'strict' | 'shared' | 'federated';
/** How sensitive a space's data is; recorded for policy and display. */
export type Sensitivity = 'low' | 'medium' | 'high' | 'highest';
/** Lifecycle state of a space. */
export type SpaceState = 'active' | 'idle' | 'archived';

/** Per-space limits; `null` means unlimited. */
export interface Quotas {
  maxMemories: number | null;
  maxBytes: number | null;
  maxRequestsPerSecond: number | null;
}

/** A space as recorded in the system catalogue. Times are epoch milliseconds. */
export interface SpaceRecord {
  name: string;
  description: string;
  isolation: Isolation;
  sensitivity: Sensitivity;
  retentionDays: number | null;
  quotas: Quotas;
  labels: Record<string, string>;
  embedder: string;
  dimension: number;
  createdAt: number;
  updatedAt: number;
  state: SpaceState;
}

/** A memory as a store persists it. Times are epoch milliseconds. */
export interface MemoryRecord {
  id: string;
  content: string;
  metadata: JsonObject;
  tags: string[];
  userId: string | null;
  agentId: string | null;
  runId: string | null;
  kind: string;
  importance: number;
  createdAt: number;
  updatedAt: number;
  expiresAt: number | null;
  /** L2-normalised, length = the space's dimension. */
  embedding: Float32Array;
  accessCount: number;
  lastAccessedAt: number | null;
}

/** What happened to a memory, as kept in its history. */
export type HistoryAction = 'create' | 'update' | 'delete';

/** One entry of a memory's history. */
export interface HistoryRecord {
  seq: number;
  memoryId: string;
  action: HistoryAction;
  oldContent: string | null;
  newContent: string | null;
  oldMetadata: JsonObject | null;
  newMetadata: JsonObject | null;
  actor: string | null;
  at: number;
}

/** A typed, directed edge between two memories of one space. */
export interface RelationRecord {
  id: string;
  from: string;
  to: string;
  type: string;
  weight: number;
  metadata: JsonObject;
  createdAt: number;
}

/** Kinds of change-feed events. */
export type ChangeOp = 'memory.created' | 'memory.updated' | 'memory.deleted' | 'relation.created' | 'relation.deleted';

/** One event of a space's change feed; `seq` increases monotonically within the space. */
export interface ChangeRecord {
  seq: number;
  at: number;
  op: ChangeOp;
  id: string;
}

/** Who or what performs a write; recorded in history. */
export interface WriteContext {
  actor: string | null;
  now: number;
}

/** One hit of a ranking stage: memory id and its score in that stage (higher is better). */
export interface ScoredId {
  id: string;
  score: number;
}

/** Figures about one space's storage, for health and status. */
export interface SpaceStats {
  memories: number;
  relations: number;
  bytes: number;
  walBytes: number;
  lastWriteAt: number | null;
  lastSeq: number;
}
