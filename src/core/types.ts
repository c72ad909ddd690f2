import type { NarrativeRecord, PheromoneRecord } from './feedback.js';

/** A JSON object, as stored in `metadata`. */
export type JsonObject = { [key: string]: JsonValue };
/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/** Isolation level of a space: `strict` refuses every share. */
export type Isolation = 'strict' | 'shared' | 'federated';
/** How sensitive a space's data is; recorded for policy and display. */
export type Sensitivity = 'low' | 'medium' | 'high' | 'highest';
/**
 * Lifecycle state of a space: `active` (open in this process), `idle` (closed: no file handle,
 * no memory), `archived` (one compressed file under `archive/`, its directory gone), `damaged`
 * (its files failed to open; reported by health and status, retried on the next use).
 */
export type SpaceState = 'active' | 'idle' | 'archived' | 'damaged';

/** Per-space limits; `null` means unlimited. */
export interface Quotas {
  maxMemories: number | null;
  maxBytes: number | null;
  maxRequestsPerSecond: number | null;
}

/**
 * The storage quotas a store enforces inside the write transaction; `null` means unlimited.
 * `project` names the project of the space, whose own quotas (totals across its spaces) the
 * store reads and enforces in the same transaction.
 */
export type StorageLimits = Pick<Quotas, 'maxMemories' | 'maxBytes'> & { project?: string | null };

/**
 * How consolidation treats a space (docs/consolidation.md): whether passes run on a schedule and
 * how often, the thresholds of the duplicate rule, the half-life of decaying importance and the
 * floor under which retention drops a memory, and the age after which sessions are summarised
 * (with a chat model only).
 */
export interface ConsolidationSettings {
  /** Whether passes run on their own, every `intervalMinutes`; off by default. */
  enabled: boolean;
  intervalMinutes: number;
  /** Least cosine similarity for the duplicate rule to compare two memories, in [0, 1]. */
  minCosine: number;
  /** Least share of content words two duplicates agree on, in [0.5, 1]; 1 is the identity. */
  minOverlap: number;
  /** Days for an unused memory's importance to halve (core/decay.ts). */
  halfLifeDays: number;
  /** Decayed importance under which retention drops a memory; null (the default) drops none. */
  importanceFloor: number | null;
  /** Age in days after which a session's memories are summarised, with a chat model; null: never. */
  summarizeAfterDays: number | null;
}

/** How a space learns from feedback (core/feedback.ts, docs/feedback.md). */
export interface FeedbackSettings {
  /** Days for a pheromone, and the narrative's pull, to halve without new feedback. */
  halfLifeDays: number;
  /** Share each new vector takes in the narrative, in (0, 1]. */
  narrativeRate: number;
  /** The weights a search of the space uses when it sets none (`rank.feedback`, `rank.narrative`); 0 and 0 by default. */
  rank: { feedback: number; narrative: number };
}

/** A project's storage quotas: totals across all its spaces; `null` means unlimited. */
export type ProjectQuotas = Pick<Quotas, 'maxMemories' | 'maxBytes'>;

/**
 * What a project's spaces take when they do not set it themselves. The inheritable settings
 * ({@link InheritableSetting}) follow the project while a space inherits them; embedder,
 * dimension and encryption apply once, at a space's creation. An absent key falls back to the
 * global default.
 */
export interface ProjectDefaults {
  embedder?: string;
  /** The dimension going with `embedder`, for embedders that do not fix one (`none`, OpenAI-compatible). */
  dimension?: number;
  isolation?: Isolation;
  sensitivity?: Sensitivity;
  retentionDays?: number | null;
  quotas?: Partial<Quotas>;
  consolidation?: Partial<ConsolidationSettings>;
  encryption?: boolean;
}

/** A project as recorded in the catalogue: a named group of spaces. Times are epoch milliseconds. */
export interface ProjectRecord {
  name: string;
  description: string;
  /** Key id of the creator; `local` for the holder of the data directory. */
  owner: string;
  labels: Record<string, string>;
  defaults: ProjectDefaults;
  quotas: ProjectQuotas;
  createdAt: number;
  updatedAt: number;
}

/** Settings a space takes from its project unless it sets them itself. */
export type InheritableSetting = 'isolation' | 'sensitivity' | 'retentionDays' | 'quotas' | 'consolidation';

/** A space as recorded in the system catalogue. Times are epoch milliseconds. */
export interface SpaceRecord {
  name: string;
  /** The project the space belongs to, fixed at creation; null for a space of no project. */
  project: string | null;
  /**
   * The settings whose value is the project's default, kept equal to it when the project's
   * defaults change; a setting the space sets itself leaves this list.
   */
  inherited: InheritableSetting[];
  description: string;
  isolation: Isolation;
  sensitivity: Sensitivity;
  retentionDays: number | null;
  quotas: Quotas;
  consolidation: ConsolidationSettings;
  feedback: FeedbackSettings;
  labels: Record<string, string>;
  embedder: string;
  dimension: number;
  /** Whether the space's storage is encrypted at rest with a key of its own; fixed at creation. */
  encryption: boolean;
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
  /**
   * Id of the newer memory that states a changed value of the same fact (consolidation); a
   * superseded memory stays, but searches and listings leave it out unless asked.
   */
  supersededBy: string | null;
}

/**
 * What happened to a memory, as kept in its history. `supersede` records that consolidation
 * marked the memory superseded (or, undone, no longer): its `newMetadata` is
 * `{supersededBy, consolidationRun}`, content and metadata being unchanged. A memory merged
 * into another is a `delete` whose `newMetadata` (otherwise null for a delete) is
 * `{consolidatedInto, consolidationRun}`: see core/consolidation.ts.
 */
export type HistoryAction = 'create' | 'update' | 'delete' | 'supersede';

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
export type ChangeOp =
  | 'memory.created'
  | 'memory.updated'
  | 'memory.deleted'
  | 'relation.created'
  | 'relation.deleted'
  | 'context.created'
  | 'context.deleted'
  | 'feedback.recorded'
  | 'feedback.reset';

/** One event of a space's change feed; `seq` increases monotonically within the space. */
export interface ChangeRecord {
  seq: number;
  at: number;
  op: ChangeOp;
  id: string;
}

/** Who or what performs a write, when, and for which request; recorded in history and the audit trail. */
export interface WriteContext {
  actor: string | null;
  now: number;
  /** The request that caused the write (HTTP request id), when there is one. */
  requestId: string | null;
}

/**
 * Actions the engine and the stores write to the audit trail themselves (in the transaction of
 * the change they record, or for a project's or a federation's change that concerns the space); {@link AuditRecord.action} may also hold other actions recorded
 * through the engine (`request.denied`, `read.cross_space`, `share.create`, `share.delete`).
 */
export type EngineAuditAction =
  | 'memory.create'
  | 'memory.update'
  | 'memory.delete'
  | 'relation.create'
  | 'relation.delete'
  | 'memory.expire'
  | 'memory.decay'
  | 'context.create'
  | 'context.delete'
  | 'space.update'
  | 'space.archive'
  | 'space.restore'
  | 'import'
  | 'project.delete'
  | 'federation.join'
  | 'federation.withdraw'
  | 'federation.release'
  | 'consolidation.run'
  | 'consolidation.undo'
  | 'feedback.record'
  | 'feedback.reset'
  | 'feedback.expire'
  | 'key.update'
  | 'space.split'
  | 'space.split.in'
  | 'space.merge'
  | 'space.merge.in';

/** What a caller asks to append to a space's audit trail; the store adds seq, time, actor, request id and hashes. */
export interface AuditEvent {
  action: string;
  /** Ids concerned; a store keeps at most the first 1,000. */
  ids: readonly string[];
  /** Names, counts and ids; never memory content. */
  details: JsonObject | null;
}

/**
 * One entry of a space's append-only audit trail. `hash` is
 * `sha256_hex(prevHash + canonicalJson({seq, at, actor, action, ids, requestId, details}))`,
 * and the first entry's `prevHash` is 64 zeros.
 */
export interface AuditRecord {
  /** 1, 2, 3, ... without gaps within a space. */
  seq: number;
  /** Epoch milliseconds. */
  at: number;
  actor: string | null;
  action: string;
  ids: string[];
  requestId: string | null;
  details: JsonObject | null;
  prevHash: string;
  hash: string;
}

/** What an audit listing asks a store for. */
export interface AuditQuery {
  /** Only entries with a larger seq. */
  afterSeq?: number;
  /** Only entries at or after this time (epoch ms). */
  since?: number;
  /** Only entries with exactly this action. */
  action?: string;
  /** Only entries with exactly this actor. */
  actor?: string;
  /** Only entries with a smaller seq (a newest-first page's cursor). */
  beforeSeq?: number;
  /** Newest first (seq descending) instead of oldest first. */
  newestFirst?: boolean;
  limit: number;
}

/** The outcome of recomputing a space's audit hash chain; `entries` counts every entry present. */
export type AuditVerification =
  | { ok: true; entries: number }
  | { ok: false; entries: number; firstBadSeq: number; reason: string };

/** One hit of a ranking stage: memory id and its score in that stage (higher is better). */
export interface ScoredId {
  id: string;
  score: number;
}

/**
 * A large blob (an offloaded LLM context window, a document) kept compressed, with a summary
 * and the summary's embedding. Times are epoch milliseconds.
 */
export interface ContextRecord {
  id: string;
  /** The whole text, as given. */
  content: string;
  summary: string;
  metadata: JsonObject;
  /** Unit vector of the summary (of the content's start when no summary is given). */
  embedding: Float32Array;
  createdAt: number;
  /** UTF-8 bytes of `content`. */
  originalBytes: number;
  /** Bytes as stored, compressed. */
  storedBytes: number;
}

/** Figures about one space's storage, for health and status. */
export interface SpaceStats {
  memories: number;
  relations: number;
  contexts: number;
  /** Bytes on disk: database, WAL and shared-memory files, and derived index files. */
  bytes: number;
  /**
   * Payload bytes counted against `quotas.maxBytes`: each memory's content, metadata, tags
   * and vector, and each context as stored. Unlike `bytes`, it does not move with page
   * allocation or the WAL, so a quota check gives the same answer every time.
   */
  payloadBytes: number;
  walBytes: number;
  /** Time of the oldest write not yet checkpointed from the WAL into the database; null when none. */
  uncheckpointedSince: number | null;
  lastWriteAt: number | null;
  lastSeq: number;
  vectorIndex: VectorIndexStatus;
}

/** One page of a space's full dump, as export writes it and import restores it. */
export interface DumpChunk {
  memories?: MemoryRecord[];
  history?: HistoryRecord[];
  relations?: RelationRecord[];
  contexts?: ContextRecord[];
  audit?: AuditRecord[];
  /** The space's reinforcements (core/feedback.ts). */
  pheromones?: PheromoneRecord[];
  /** The space's narrative: none or one. */
  narrative?: NarrativeRecord[];
}

/** Where the approximate (HNSW) vector index of a space stands. */
export interface VectorIndexStatus {
  /** `none` while the space is searched exactly (below the threshold, or no index yet). */
  state: 'none' | 'opening' | 'building' | 'ready' | 'failed';
  /** Memory count from which the space searches through the index. */
  threshold: number | null;
  /** Vectors in the current index. */
  indexed: number;
  /** Memories changed since the index was built: scored exactly at every search until the next build (`indexLag`). */
  lag: number;
  /**
   * Exact vectors held in memory (in the server process): every vector once a search scanned
   * exactly, 0 while the index answers alone and rescores its candidates from their rows.
   */
  resident: number;
  error?: string;
}
