import type { FeedbackHealth } from './feedback-api.js';
import type { Grant } from './grants.js';
import type { AuditRecord, ChangeOp, ChangeRecord, ContextRecord, HistoryRecord, JsonObject, MemoryRecord, ProjectRecord, RelationRecord, SpaceRecord, SpaceStats } from './types.js';

/** A memory as every interface shows it: times as ISO-8601 UTC strings. */
export interface Memory extends Omit<MemoryRecord, 'createdAt' | 'updatedAt' | 'expiresAt' | 'lastAccessedAt' | 'embedding'> {
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  lastAccessedAt: string | null;
  /** Present only when asked for (export, `includeEmbedding`). */
  embedding?: number[];
}

/** A relation as every interface shows it. */
export interface Relation extends Omit<RelationRecord, 'createdAt'> {
  createdAt: string;
}

/** One history entry as every interface shows it. */
export interface HistoryEntry extends Omit<HistoryRecord, 'seq' | 'at'> {
  at: string;
}

/** One audit entry as every interface shows it: `at` as ISO-8601 UTC, hashes for external checks. */
export interface AuditEntry extends Omit<AuditRecord, 'at'> {
  /** ISO-8601 UTC. */
  at: string;
}

/** A context as every interface shows it; `content` is left out of listings and shown by `get`. */
export interface Context {
  id: string;
  content?: string;
  summary: string;
  metadata: JsonObject;
  createdAt: string;
  originalBytes: number;
  storedBytes: number;
  /** `originalBytes / storedBytes`: how much compression saved. */
  compressionRatio: number;
  /** Present only in exports. */
  embedding?: number[];
}

/** A space as every interface shows it. */
export interface Space extends Omit<SpaceRecord, 'createdAt' | 'updatedAt'> {
  createdAt: string;
  updatedAt: string;
}

/** A space with its storage figures. */
export interface SpaceInfo extends Space {
  stats: Omit<SpaceStats, 'lastWriteAt'> & { lastWriteAt: string | null };
}

/**
 * One search hit. `scores` holds the per-ranking scores the hit has; with `rank` weights also the
 * relevance they were blended with and the signals of each weight above 0 (core/ranking.ts `blendScore`);
 * with `rerank`, the reranker's score (which `score` then is) and the first-stage `relevance`;
 * `neighbor` and `date` when those signals lifted the hit (core/search-signals.ts).
 */
export interface SearchHit {
  memory: Memory;
  score: number;
  scores: { vector?: number; keyword?: number; neighbor?: number; date?: number; relevance?: number; recency?: number; importance?: number; feedback?: number; narrative?: number; rerank?: number };
  /** Memories one relation away, when the search asked to expand. */
  related?: { relation: Relation; memory: Memory }[];
}

/** A hit of a search over several spaces, naming its space. */
export interface CrossSearchHit extends SearchHit {
  space: string;
}

/** A page of a listing; pass `nextCursor` back as `cursor` for the next page, `null` at the end. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** An API key as every interface shows it: never the secret, except once, on creation. */
export interface KeyView {
  id: string;
  name: string;
  grants: Grant[];
  defaultSpace: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/** A key just created: the only time its secret `key` is ever shown. */
export interface CreatedKey extends KeyView {
  key: string;
}

/** A share as every interface shows it. */
export interface ShareView {
  id: string;
  space: string;
  to: string;
  toKind: 'space' | 'key';
  role: 'read';
  tags: string[] | null;
  createdAt: string;
}

/**
 * One line of a space export (JSON Lines): the space first, then memories, relations,
 * contexts, history and the audit chain. `type` tells the line's kind, so a relation's own type
 * travels as `relationType`.
 */
export type ExportLine =
  | ({ type: 'space' } & Space)
  | ({ type: 'memory' } & Memory)
  | ({ type: 'relation'; relationType: string } & Omit<Relation, 'type'>)
  | ({ type: 'context' } & Context)
  | ({ type: 'history' } & HistoryEntry)
  | ({ type: 'audit' } & AuditEntry)
  | { type: 'pheromone'; id: string; level: number; updatedAt: string }
  | { type: 'narrative'; vector: number[]; updatedAt: string; updates: number };

/** Lines of one kind an import wrote, and those it left because they were there already (or cannot merge). */
export interface ImportCounts {
  imported: number;
  skipped: number;
}

/**
 * What an import did. Into an empty space, an import restores everything exactly (`mode:
 * restore`), audit chain included. Into a space with data it merges (`mode: merge`): existing
 * ids are left as they are, so importing twice changes nothing, and history and audit lines are
 * skipped (a hash chain cannot be spliced into another), the space's own trail recording the import.
 */
export interface ImportSummary {
  mode: 'restore' | 'merge';
  memories: ImportCounts;
  relations: ImportCounts;
  contexts: ImportCounts;
  history: ImportCounts;
  audit: ImportCounts;
  /** The feedback state (docs/feedback.md): kept by a restore, skipped by a merge. */
  pheromones: ImportCounts;
  narrative: ImportCounts;
}

/** What archiving a space did. */
export interface ArchiveResult {
  space: Space;
  /** Size of the archive file. */
  archiveBytes: number;
}

/** One event of a space's change stream (SSE `data`); `seq` increases within the space. */
export interface ChangeEvent {
  seq: number;
  op: ChangeOp;
  /** The memory, relation or context the event is about. */
  id: string;
  /** ISO-8601 UTC time of the change. */
  at: string;
}

/** Epoch milliseconds as ISO-8601 UTC. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The public view of a stored memory. */
export function memoryView(m: MemoryRecord, includeEmbedding = false): Memory {
  const view: Memory = {
    id: m.id,
    content: m.content,
    metadata: m.metadata,
    tags: m.tags,
    userId: m.userId,
    agentId: m.agentId,
    runId: m.runId,
    kind: m.kind,
    importance: m.importance,
    createdAt: iso(m.createdAt),
    updatedAt: iso(m.updatedAt),
    expiresAt: m.expiresAt === null ? null : iso(m.expiresAt),
    accessCount: m.accessCount,
    lastAccessedAt: m.lastAccessedAt === null ? null : iso(m.lastAccessedAt),
    supersededBy: m.supersededBy,
  };
  if (includeEmbedding) view.embedding = Array.from(m.embedding);
  return view;
}

/** The public view of a relation. */
export function relationView(r: RelationRecord): Relation {
  return { id: r.id, from: r.from, to: r.to, type: r.type, weight: r.weight, metadata: r.metadata, createdAt: iso(r.createdAt) };
}

/** The public view of a history entry. */
export function historyView(h: HistoryRecord): HistoryEntry {
  return {
    memoryId: h.memoryId,
    action: h.action,
    oldContent: h.oldContent,
    newContent: h.newContent,
    oldMetadata: h.oldMetadata,
    newMetadata: h.newMetadata,
    actor: h.actor,
    at: iso(h.at),
  };
}

/** The public view of a context. */
export function contextView(c: ContextRecord, options: { content?: boolean; embedding?: boolean } = {}): Context {
  const view: Context = {
    id: c.id,
    summary: c.summary,
    metadata: c.metadata,
    createdAt: iso(c.createdAt),
    originalBytes: c.originalBytes,
    storedBytes: c.storedBytes,
    compressionRatio: c.storedBytes === 0 ? 1 : Math.round((c.originalBytes / c.storedBytes) * 100) / 100,
  };
  if (options.content !== false) view.content = c.content;
  if (options.embedding === true) view.embedding = Array.from(c.embedding);
  return view;
}

/** The public view of a space record. */
export function spaceView(r: SpaceRecord): Space {
  return { ...r, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) };
}

/** A project as every interface shows it. */
export interface Project extends Omit<ProjectRecord, 'createdAt' | 'updatedAt'> {
  createdAt: string;
  updatedAt: string;
}

/** A project with its totals across its spaces (`GET /v1/projects/{project}`). */
export interface ProjectInfo extends Project {
  totals: {
    /** Memories in all its spaces. */
    memories: number;
    /** Payload bytes (what `quotas.maxBytes` counts) in all its spaces. */
    payloadBytes: number;
    /** Bytes on disk (archives for archived spaces); damaged spaces count none. */
    diskBytes: number;
    /** Its spaces, by state. */
    spaces: Record<SpaceRecord['state'], number> & { total: number };
  };
  /** How much of each project quota is used: `used` of `limit` (null: unlimited). */
  quotaUse: {
    maxMemories: { used: number; limit: number | null };
    maxBytes: { used: number; limit: number | null };
  };
}

/** The public view of a project record. */
export function projectView(r: ProjectRecord): Project {
  return { ...r, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) };
}

/** The public view of a change-feed event. */
export function changeView(c: ChangeRecord): ChangeEvent {
  return { seq: c.seq, op: c.op, id: c.id, at: iso(c.at) };
}

/** The public view of an audit entry. */
export function auditView(a: AuditRecord): AuditEntry {
  return {
    seq: a.seq,
    at: iso(a.at),
    actor: a.actor,
    action: a.action,
    ids: a.ids,
    requestId: a.requestId,
    details: a.details,
    prevHash: a.prevHash,
    hash: a.hash,
  };
}

/**
 * Health of one space (`GET /v1/spaces/{space}/health`, `memspace status`). Figures of a space
 * that is not open are read from its files; those only an open space knows (`indexLag`) are null.
 */
export interface SpaceHealth {
  name: string;
  state: SpaceRecord['state'];
  /** Open in this process right now. */
  open: boolean;
  memories: number | null;
  /** Bytes on disk. */
  bytes: number | null;
  /** Bytes counted against `quotas.maxBytes`. */
  payloadBytes: number | null;
  walBytes: number | null;
  /** Milliseconds since the oldest write not yet checkpointed from the WAL; 0 when none waits. */
  walLagMs: number | null;
  /** Changes not yet in the ANN index (scored exactly meanwhile); null when the space is not open. */
  indexLag: number | null;
  lastWriteAt: string | null;
  /**
   * Open spaces and the cap, in this process; null unless the caller holds a grant over every
   * space (an operator): how busy the process is says something of other tenants.
   */
  registry: { open: number; cap: number } | null;
  quotas: SpaceRecord['quotas'];
  retentionDays: number | null;
  /** What consolidation did and has left to do (core/consolidation-health.ts); null when the space's storage cannot be read (archived, damaged). */
  consolidation: ConsolidationHealth | null;
  /** Pheromones held and the narrative's age (docs/feedback.md); null unless the space is open. */
  feedback: FeedbackHealth | null;
  /** Why the space is damaged, when it is. */
  error?: string;
}

/**
 * A space's consolidation figures in its health (docs/consolidation.md, "Watching it"). A pass
 * counts once it completed; dry runs change nothing and count nowhere.
 */
export interface ConsolidationHealth {
  /** ISO-8601 UTC end of the last completed pass (undone or not); null when none completed. */
  lastRunAt: string | null;
  /** Completed passes, undone ones included. */
  runs: number;
  /** Memories merged away by completed passes not undone. */
  merged: number;
  /** Memories superseded by completed passes not undone. */
  superseded: number;
  /** Memories retention dropped because their decayed importance fell under the space's floor. */
  decayed: number;
  /** Memories consolidated per minute over the last hour: merged or superseded by passes not undone, and dropped by decay. */
  ratePerMinute: number;
  /** Memories not expired that were created or updated after the last completed pass (all of them before the first). */
  pending: number;
}

/** Liveness and readiness of the whole process (`GET /v1/health`). */
export interface ServiceHealth {
  /** `ok`, or `degraded` when some space is damaged (the others serve). */
  status: 'ok' | 'degraded';
  /** The process answers. */
  live: true;
  /** The catalogue answers, so requests can be served. */
  ready: boolean;
  /** Operators only (a key over every space), like the two figures below. */
  openSpaces?: number;
  maxOpenSpaces?: number;
  /** Spaces whose storage failed to open in this process. */
  damagedSpaces?: number;
}

/** One group a consolidation pass merged (or would merge): ids and the reason, never content. */
export interface ConsolidationGroup {
  kind: 'duplicate' | 'superseded' | 'summary';
  /** The survivor of a merge; the newer memory of a supersession; empty for a summary (it does not exist yet). */
  keep: string;
  /** Memories merged into `keep`; the older memory a supersession marks; the memories a summary would summarise. */
  ids: string[];
  reason: string;
}

/** What a consolidation pass did (or, dry, would do): `POST /v1/spaces/{space}/consolidate`. */
export interface ConsolidationReport {
  runId: string;
  dryRun: boolean;
  examined: number;
  merged: number;
  superseded: number;
  /** Summaries of sessions added (a chat model wrote them; none without one). A dry run: sessions that would be summarised. */
  summarized: number;
  /** Merges, supersessions and summaries left out because their memories changed while the pass ran. */
  skipped: number;
  /** Calls made to the chat model, when one is configured (absent otherwise). */
  modelCalls?: number;
  /** Of those, the calls that failed or whose answer could not be read: they decided nothing. */
  modelErrors?: number;
  /** Candidate pairs and sessions the pass left for a later one: past its bound of model calls, or after the model kept failing. */
  modelPending?: number;
  /** What would change: dry runs only. */
  groups?: ConsolidationGroup[];
}

/** What undoing a consolidation run put back: memories re-created and supersessions cleared; summaries it made deleted. */
export interface ConsolidationUndoResult {
  runId: string;
  restored: number;
  unsuperseded: number;
  /** Summaries the run added, deleted with their `summarizes` edges: present when the run added any. */
  summariesDeleted?: number;
}
