/**
 * Types of the memspace client: inputs are the zod *input* types of the schemas the server
 * validates with (so callers get field completion and the server stays the judge), outputs
 * are the views every interface shows.
 */
import type { z } from 'zod';
import type { FederationCreateSchema, ParticipantJoinSchema, ReleaseRequestSchema } from '../core/federations.js';
import type { KeyCreateSchema, KeyPatchSchema } from '../core/grants.js';
import type { ProjectCreateSchema, ProjectListQuerySchema, ProjectPatchSchema } from '../core/project-schemas.js';
import type { AuditQuerySchema } from '../core/audit-query.js';
import type {
  ConsolidateRequestSchema,
  ContextInputSchema,
  ListQuerySchema,
  MemoryInputSchema,
  MemoryPatchSchema,
  RelationInputSchema,
  RelationQuerySchema,
  SearchRequestSchema,
  SpaceCreateSchema,
  SpaceListQuerySchema,
  SpacePatchSchema,
} from '../core/schemas.js';
import type { FeedbackRequestSchema, RerankRequestSchema } from '../core/feedback-api.js';
import type { ExportLine, ServiceHealth } from '../core/views.js';

export type {
  ArchiveResult,
  ChangeEvent,
  ConsolidationGroup,
  ConsolidationReport,
  ConsolidationUndoResult,
  Context,
  CreatedKey,
  CrossSearchHit,
  ExportLine,
  ImportCounts,
  ImportSummary,
  KeyView,
  Page,
  ShareView,
  SpaceHealth,
} from '../core/views.js';
export type { FeedbackReset, FeedbackResult, RerankedDocument, RerankResult } from '../core/feedback-api.js';

/** Options of a {@link MemspaceClient}. */
export interface MemspaceClientOptions {
  /** Where the server listens, e.g. `http://127.0.0.1:7420`; a trailing `/` is ignored. */
  baseUrl: string;
  /** API key (`msk_...`), sent as `Authorization: Bearer <key>`. @default undefined (no key: only for a `--no-auth` server) */
  apiKey?: string;
  /**
   * Space for space-scoped calls that name none, sent as `X-Memory-Space`. Without it, the
   * server uses the key's default space, else `default`.
   * @default undefined
   */
  space?: string;
  /** The `fetch` to use (tests, proxies, instrumentation). @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /**
   * Milliseconds a call may take before it fails with `BACKEND_UNAVAILABLE`; 0 for no limit.
   * JSON calls and imports count until the response is read; exports and event streams count
   * until the response starts. Each call may override it.
   * @default 30000
   */
  timeoutMs?: number;
}

/** Options every call takes. */
export interface RequestOptions {
  /** Aborts the call; the promise rejects with the signal's reason. @default undefined */
  signal?: AbortSignal;
  /** Overrides the client's `timeoutMs` for this call; 0 for no limit. @default the client's */
  timeoutMs?: number;
}

/** Options of a call on one space. */
export interface ScopedOptions extends RequestOptions {
  /**
   * The space to act on, sent in the path (`/v1/spaces/{space}/...`).
   * @default the client's `space`, else the key's default space, else `default`
   */
  space?: string;
}

/** Options of a space, as created (`POST /v1/spaces`). */
export type SpaceCreateInput = z.input<typeof SpaceCreateSchema>;
/** Changes to a space (`PATCH /v1/spaces/{space}`). */
export type SpacePatchInput = z.input<typeof SpacePatchSchema>;
/** Options of a space listing. */
export type SpaceListQuery = z.input<typeof SpaceListQuerySchema>;

/** A project, as created (`POST /v1/projects`). */
export type ProjectCreateInput = z.input<typeof ProjectCreateSchema>;
/** Changes to a project (`PATCH /v1/projects/{project}`): `defaults` and `quotas` merge, `null` removes. */
export type ProjectPatchInput = z.input<typeof ProjectPatchSchema>;
/** Options of a project listing. */
export type ProjectListQuery = z.input<typeof ProjectListQuerySchema>;

/** A memory to add. */
export type MemoryCreateInput = z.input<typeof MemoryInputSchema>;
/** Changes to a memory; `metadata` and `tags` replace the old values. */
export type MemoryPatchInput = z.input<typeof MemoryPatchSchema>;
/**
 * Options of a memory listing. `tags` go on the wire as repeated `tag` parameters (a memory
 * matches with any of them), `filter` as a JSON parameter.
 */
export type MemoryListQuery = z.input<typeof ListQuerySchema>;
/** Options of `memories.all` (both clients): the memories matching `filter`, the filter language of listings and searches. */
export interface MemoryScanQuery {
  /** Only memories matching this filter. @default undefined (every memory) */
  filter?: Record<string, unknown>;
}
/** A search request: a `query`, an `embedding`, or both. */
export type SearchInput = z.input<typeof SearchRequestSchema>;
/** A relation to add between two memories of one space. */
export type RelationCreateInput = z.input<typeof RelationInputSchema>;
/** Options of a relation listing. */
export type RelationListQuery = z.input<typeof RelationQuerySchema>;
/** Options of a consolidation pass: `dryRun` and the thresholds (`minCosine`, `minOverlap`); omitted ones are the server's defaults. */
export type ConsolidateInput = z.input<typeof ConsolidateRequestSchema>;
/**
 * A feedback call (`POST /v1/spaces/{space}/feedback`): each result `used`, `helpful` or `wrong`,
 * a memory of the space unless `kind: 'document'`; `query` (and a helpful document's `text`)
 * feed the space's narrative; `weight` multiplies every deposit (default 1).
 */
export type FeedbackInput = z.input<typeof FeedbackRequestSchema>;
/** A rerank (`POST /v1/spaces/{space}/rerank`): documents not stored, ordered for `query`; `rank` weighs feedback and narrative. */
export type RerankInput = z.input<typeof RerankRequestSchema>;
/** Options of an audit listing; `since` is an ISO-8601 time. */
export type AuditListQuery = z.input<typeof AuditQuerySchema>;
/** Options of a new API key. */
export type KeyCreateInput = z.input<typeof KeyCreateSchema>;

/** Options of a share: `to` is a space name or a key id (`key_…`). */
export interface ShareInput {
  to: string;
  role?: 'read';
  tags?: string[];
}

/** A line to import: an export line (or any JSON object of that shape), or its JSON text. */
export type ImportLine = ExportLine | Record<string, unknown> | string;

/** A context to store. */
export type ContextInput = z.input<typeof ContextInputSchema>;

/**
 * The server's liveness and readiness (`GET /v1/health`). A server that is not ready answers
 * 503, which the client throws as `BACKEND_UNAVAILABLE`.
 */
export type Health = ServiceHealth;

/** Options of {@link MemspaceClient.events}. */
export interface EventsOptions {
  /**
   * Start after this sequence number (the last one seen), or at `latest`: only the changes
   * committed from now on. A number older than what the server's feed still holds (compacted)
   * fails with `CURSOR_EXPIRED`, whose details give `oldest` and `latest`.
   * @default 0 (everything the feed holds, from its oldest event)
   */
  after?: number | 'latest';
  /** Ends the stream: the iteration finishes without an error. @default undefined (runs until the loop breaks) */
  signal?: AbortSignal;
  /**
   * A connection that sends nothing (not even the server's 15-second keep-alive) for this
   * many ms is deemed dead and replaced; 0 never.
   * @default 45000
   */
  idleTimeoutMs?: number;
  /** First wait before reconnecting, doubled after each failed attempt. @default 100 */
  minBackoffMs?: number;
  /** Longest wait before reconnecting. @default 5000 */
  maxBackoffMs?: number;
}

export type { FederationView, ParticipantView, ParticipationView, ReleaseView, ReputationView, SpaceFederationsView } from '../core/federation-views.js';

/** A new federation, as `POST /v1/federations` takes it. */
export type FederationCreateInput = z.input<typeof FederationCreateSchema>;
/** A space opting in, as `POST /v1/federations/{id}/participants` takes it. */
export type FederationJoinInput = z.input<typeof ParticipantJoinSchema>;
/** A release request, as `POST /v1/federations/{id}/releases` takes it. */
export type ReleaseRequestInput = z.input<typeof ReleaseRequestSchema>;
/** Options of a federation or release listing. */
export interface FederationPageQuery {
  limit?: number;
  cursor?: string;
}

export type { RouteAnswer, RouteSuggestion, RouteTop } from '../core/routing.js';

/** Options of a routing suggestion (`client.route(text, options)`). */
export interface RouteOptions {
  /** Suggestions to return, best first. @default 5 (at most 50) */
  limit?: number;
  /** Weigh only these spaces, each readable by the key. @default every readable space */
  spaces?: string[];
  /** Weigh only the readable spaces whose name starts with this. @default no prefix */
  prefix?: string;
  /** The text's vector, used for spaces of its dimension instead of their embedder. @default none */
  embedding?: number[];
}

/** A change of a key (`client.keys.update`): its default ("current") space, or null for `default`. */
export type KeyPatchInput = z.input<typeof KeyPatchSchema>;
export type { WhoAmI } from '../core/grants.js';

export type { MergeInput, SplitInput, WaitOptions } from './jobs-client.js';
export type { DroppedRelation, JobProgress, JobView, MergeReport, MoveGroup, SplitReport } from '../core/space-moves-api.js';
