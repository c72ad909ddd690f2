import { z } from 'zod';
import type { AuditVerification } from './types.js';
import type { FederationView, ParticipationView, ReleaseView, SpaceFederationsView } from './federation-views.js';
import type { FeedbackReset, FeedbackResult, RerankResult } from './feedback-api.js';
import type { WhoAmI } from './grants.js';
import type {
  ArchiveResult,
  AuditEntry,
  ChangeEvent,
  ConsolidationReport,
  ConsolidationUndoResult,
  Context,
  CreatedKey,
  CrossSearchHit,
  ExportLine,
  HistoryEntry,
  ImportSummary,
  KeyView,
  Memory,
  Page,
  Project,
  ProjectInfo,
  Relation,
  SearchHit,
  ServiceHealth,
  ShareView,
  Space,
  SpaceHealth,
  SpaceInfo,
} from './views.js';
import type { HealthHistory, SpaceHealthRow } from './health-views.js';

/*
 * The bodies the HTTP API answers with, as zod schemas: the server documents its responses with
 * them (/openapi.json) and the SDK parses what it receives with them, so the two cannot disagree
 * (test/server/openapi.test.ts validates every answer of a realistic session against the
 * document). Objects are loose, so a newer server may add fields without breaking an older SDK;
 * the fields listed are those every answer carries. Each schema is typed as the view it stands for.
 */

const loose = z.looseObject;
const typed = <T>(schema: z.ZodType): z.ZodType<T> => schema as z.ZodType<T>;
const time = z.string().describe('ISO-8601 UTC');
const count = z.number().int().nonnegative();
const json = z.record(z.string(), z.unknown());
const page = (item: z.ZodType) => loose({ items: z.array(item), nextCursor: z.string().nullable().describe('pass back as `cursor` for the next page; null at the end') });

const memory = loose({
  id: z.string(),
  content: z.string(),
  metadata: json,
  tags: z.array(z.string()),
  userId: z.string().nullable(),
  agentId: z.string().nullable(),
  runId: z.string().nullable(),
  kind: z.string(),
  importance: z.number(),
  createdAt: time,
  updatedAt: time,
  expiresAt: time.nullable(),
});
const space = loose({ name: z.string(), description: z.string(), embedder: z.string(), dimension: count, state: z.string(), createdAt: time, updatedAt: time });
const relation = loose({ id: z.string(), from: z.string(), to: z.string(), type: z.string(), weight: z.number(), metadata: json, createdAt: time });
const grant = loose({ role: z.enum(['read', 'write', 'admin']) });
const key = loose({ id: z.string(), name: z.string(), grants: z.array(grant), defaultSpace: z.string().nullable(), createdAt: time, revokedAt: time.nullable() });
const counts = loose({ imported: count, skipped: count });
const historyEntry = loose({ memoryId: z.string(), action: z.enum(['create', 'update', 'delete', 'supersede']), at: time, actor: z.string().nullable() });
const scores = loose({ vector: z.number().optional(), keyword: z.number().optional() });
const hit = loose({ memory, score: z.number(), scores });

/** A memory. */
export const MemoryResponse = typed<Memory>(memory);
/** `{memories: [...]}` of a batch. */
export const MemoryListResponse = typed<{ memories: Memory[] }>(loose({ memories: z.array(memory) }));
/** A page of memories. */
export const MemoryPageResponse = typed<Page<Memory>>(page(memory));
/** `{deleted: N}`. */
export const DeletedResponse = typed<{ deleted: number }>(loose({ deleted: count }));
/** `{history: [...]}`, oldest first. */
export const HistoryResponse = typed<{ history: HistoryEntry[] }>(loose({ history: z.array(historyEntry) }));
/** `{results: [...]}` of a search, best first. */
export const SearchResponse = typed<{ results: SearchHit[] }>(loose({ results: z.array(hit) }));
/** A relation. */
export const RelationResponse = typed<Relation>(relation);
/** `{relations: [...]}`. */
export const RelationListResponse = typed<{ relations: Relation[] }>(loose({ relations: z.array(relation) }));
/** A space. */
export const SpaceResponse = typed<Space>(space);
/** A space with its figures. */
export const SpaceInfoResponse = typed<SpaceInfo>(space.extend({ stats: loose({ memories: count }) }));
/** A page of spaces. */
export const SpacePageResponse = typed<Page<Space>>(page(space));
const project = loose({ name: z.string(), description: z.string(), owner: z.string(), labels: z.record(z.string(), z.string()), defaults: loose({}), quotas: loose({}), createdAt: time, updatedAt: time });
/** A project. */
export const ProjectResponse = typed<Project>(project);
/** A project with its totals. */
export const ProjectInfoResponse = typed<ProjectInfo>(project.extend({ totals: loose({ memories: count, payloadBytes: count, diskBytes: count }), quotaUse: loose({}) }));
/** A page of projects. */
export const ProjectPageResponse = typed<Page<Project>>(page(project));
/** A page of audit entries. */
export const AuditPageResponse = typed<Page<AuditEntry>>(
  page(loose({ seq: count, at: time, actor: z.string().nullable(), action: z.string(), ids: z.array(z.string()), prevHash: z.string(), hash: z.string() })),
);
/** The outcome of an audit verification. */
export const AuditVerificationResponse = typed<AuditVerification>(loose({ ok: z.boolean(), entries: count }));
/** A new key, with its secret. */
export const CreatedKeyResponse = typed<CreatedKey>(key.extend({ key: z.string().describe('the secret: shown this once') }));
/** `{items: [...]}` of a key listing. */
export const KeyListResponse = typed<{ items: KeyView[] }>(loose({ items: z.array(key) }));
/** What an import did. */
export const ImportSummaryResponse = typed<ImportSummary>(
  loose({ mode: z.enum(['restore', 'merge']), memories: counts, relations: counts, contexts: counts, history: counts, audit: counts }),
);
/** A context (with its content when fetched one by one). */
export const ContextResponse = typed<Context>(
  loose({ id: z.string(), content: z.string().optional(), summary: z.string(), metadata: json, createdAt: time, originalBytes: count, storedBytes: count, compressionRatio: z.number() }),
);
/** What archiving did. */
export const ArchiveResponse = typed<ArchiveResult>(loose({ space, archiveBytes: count }));
/** A space's health: loose, so a newer server may add figures. */
export const SpaceHealthResponse = typed<SpaceHealth>(
  loose({ name: z.string(), state: z.string(), open: z.boolean(), memories: count.nullable(), bytes: count.nullable(), lastWriteAt: time.nullable() }),
);
/** The liveness answer; with 503, the same body also carries an `error`. */
export const HealthResponse = typed<ServiceHealth>(
  loose({ status: z.enum(['ok', 'degraded']), live: z.literal(true), ready: z.boolean(), openSpaces: count.optional(), maxOpenSpaces: count.optional(), damagedSpaces: count.optional() }),
);
/** One line of an export (JSON Lines): `type` tells its kind, the space's line first. */
export const ExportLineResponse = typed<ExportLine>(loose({ type: z.enum(['space', 'memory', 'relation', 'context', 'history', 'audit', 'pheromone', 'narrative']) }));
/** The `data:` of one change event. */
export const ChangeEventResponse = typed<ChangeEvent>(loose({ seq: count, op: z.string(), id: z.string(), at: time }));
/** Anything, for bodies nobody reads. */
export const AnyResponse = z.unknown();

const share = loose({ id: z.string(), space: z.string(), to: z.string(), toKind: z.enum(['space', 'key']), role: z.literal('read'), tags: z.array(z.string()).nullable(), createdAt: time });
/** A share. */
export const ShareResponse = typed<ShareView>(share);
/** The shares of a space. */
export const ShareListResponse = typed<{ items: ShareView[] }>(loose({ items: z.array(share) }));
/** The hits of a search over several spaces, each naming its space. */
export const CrossSearchResponse = typed<{ results: CrossSearchHit[] }>(loose({ results: z.array(hit.extend({ space: z.string() })) }));

const reputation = loose({ contributions: z.number(), clipped: z.number(), clippedRate: z.number() });
const participation = loose({ federation: z.string(), space: z.string(), epsilonBudget: z.number(), epsilonSpent: z.number(), status: z.string(), reputation });
const federation = loose({ id: z.string(), topic: z.string(), mechanism: z.string(), participants: count, releases: count });
const release = loose({ id: z.string(), seq: count, kind: z.string(), state: z.string(), contributors: count, result: json.nullable() });
/** A federation. */
export const FederationResponse = typed<FederationView>(federation);
/** A page of federations. */
export const FederationPageResponse = typed<Page<FederationView>>(page(federation));
/** A space's participation in a federation. */
export const ParticipationResponse = typed<ParticipationView>(participation);
/** A release. */
export const ReleaseResponse = typed<ReleaseView>(release);
/** A page of releases. */
export const ReleasePageResponse = typed<Page<ReleaseView>>(page(release));
/** A space's participations. */
export const SpaceFederationsResponse = typed<SpaceFederationsView>(loose({ space: z.string(), totalEpsilonSpent: z.number(), items: z.array(participation) }));

const consolidationGroup = loose({ kind: z.string(), keep: z.string(), ids: z.array(z.string()) });
/** What a consolidation pass did, or would do (a dry run's groups). */
export const ConsolidationReportResponse = typed<ConsolidationReport>(
  loose({ runId: z.string(), dryRun: z.boolean(), examined: count, merged: count, superseded: count, groups: z.array(consolidationGroup).optional() }),
);
/** What undoing a consolidation run put back. */
export const ConsolidationUndoResponse = typed<ConsolidationUndoResult>(loose({ runId: z.string(), restored: count, unsuperseded: count }));

/** What a feedback call left: the targets' levels and the narrative. */
export const FeedbackResultResponse = typed<FeedbackResult>(
  loose({ recorded: count, pheromones: z.array(loose({ id: z.string(), level: z.number() })), narrative: loose({ updates: count, updatedAt: time }).nullable() }),
);
/** What a feedback reset deleted. */
export const FeedbackResetResponse = typed<FeedbackReset>(loose({ pheromones: count, narrative: z.boolean() }));
/** A rerank's documents, best first, with the weights it used. */
export const RerankResultResponse = typed<RerankResult>(
  loose({
    results: z.array(loose({ id: z.string(), index: count, score: z.number(), scores: loose({ similarity: z.number(), feedback: z.number(), narrative: z.number() }) })),
    weights: loose({ feedback: z.number(), narrative: z.number() }),
  }),
);

/** One key, without its secret: what changing a key answers. */
export const KeyResponse = typed<KeyView>(key);
/** The calling key (`GET /v1/whoami`). */
export const WhoAmIResponse = typed<WhoAmI>(
  loose({ id: z.string(), name: z.string(), grants: z.array(grant), defaultSpace: z.string().nullable(), visibleSpaces: count.describe('spaces the key can see') }),
);

/** One open space in the registry report (`GET /v1/operators/registry`). */
export interface RegistryOpenSpace {
  name: string;
  /** 1 for the most recently used; the cap closes the highest first. */
  recency: number;
  memories: number | null;
  lastWriteAt: string | null;
}
/** What the open-space registry of this process holds, for operators. */
export interface RegistryReport {
  open: number;
  cap: number;
  opens: number;
  evictions: number;
  idleCloses: number;
  openFailures: number;
  openSpaces: RegistryOpenSpace[];
  /** True when more spaces are open than `openSpaces` lists. */
  openTruncated: boolean;
  damaged: { name: string; error: string | null }[];
  damagedTruncated: boolean;
}
/** The open-space registry of this process (operators only). */
export const RegistryReportResponse = typed<RegistryReport>(
  loose({
    open: count,
    cap: count,
    opens: count,
    evictions: count,
    idleCloses: count,
    openFailures: count,
    openSpaces: z.array(loose({ name: z.string(), recency: count, memories: count.nullable(), lastWriteAt: time.nullable() })),
    openTruncated: z.boolean(),
    damaged: z.array(loose({ name: z.string(), error: z.string().nullable().describe('why the last open in this process failed; null when not tried since it started') })),
    damagedTruncated: z.boolean(),
  }),
);

const quotas = loose({ maxMemories: z.number().nullable(), maxBytes: z.number().nullable(), maxRequestsPerSecond: z.number().nullable() });
const spaceHealthRow = loose({
  name: z.string(),
  description: z.string(),
  project: z.string().nullable(),
  state: z.enum(['active', 'idle', 'archived', 'damaged']),
  open: z.boolean(),
  memories: count.nullable(),
  bytes: count.nullable(),
  payloadBytes: count.nullable(),
  indexLag: count.nullable(),
  lastWriteAt: time.nullable(),
  quotas,
  retentionDays: z.number().nullable(),
  error: z.string().optional(),
});
/** A page of the visible spaces with their cheap figures (`GET /v1/health/spaces`). */
export const SpaceHealthPageResponse = typed<Page<SpaceHealthRow>>(page(spaceHealthRow));
const healthSample = loose({ at: time, memories: count, payloadBytes: count, bytes: count, indexLag: count, writes: count.nullable() });
/** A space's health samples over the last hour, oldest first (`GET /v1/spaces/{space}/health/history`). */
export const HealthHistoryResponse = typed<HealthHistory>(loose({ space: z.string(), intervalMs: count, samples: z.array(healthSample) }));
