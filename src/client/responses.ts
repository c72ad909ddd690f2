import { z } from 'zod';
import type { FeedbackReset, FeedbackResult, RerankResult } from '../core/feedback-api.js';
import type { AuditVerification } from '../core/types.js';
import type { FederationView, ParticipationView, ReleaseView, SpaceFederationsView } from '../core/federation-views.js';
import type { AuditEntry, ConsolidationReport, ConsolidationUndoResult, Context, HistoryEntry, Memory, Project, ProjectInfo, Relation, SearchHit, Space, SpaceInfo } from '../core/views.js';
import type { ArchiveResult, ChangeEvent, CreatedKey, CrossSearchHit, ExportLine, Health, ImportSummary, KeyView, Page, ShareView, SpaceHealth } from './types.js';

/*
 * Light checks of what the server answers: the fields a caller is sure to touch, with loose
 * objects so a newer server may add fields. A response that fails is `INTERNAL`, never a
 * value of the wrong shape handed on. Each schema is typed as the view it stands for.
 */

const loose = z.looseObject;
const typed = <T>(schema: z.ZodType): z.ZodType<T> => schema as z.ZodType<T>;

const memory = loose({ id: z.string(), content: z.string(), tags: z.array(z.string()), metadata: z.record(z.string(), z.unknown()) });
const space = loose({ name: z.string(), embedder: z.string() });
const relation = loose({ id: z.string(), from: z.string(), to: z.string(), type: z.string() });
const key = loose({ id: z.string(), name: z.string(), grants: z.array(loose({ role: z.string() })) });
const page = (item: z.ZodType) => loose({ items: z.array(item), nextCursor: z.string().nullable() });
const counts = loose({ imported: z.number(), skipped: z.number() });

/** A memory. */
export const MemoryResponse = typed<Memory>(memory);
/** `{memories: [...]}` of a batch. */
export const MemoryListResponse = typed<{ memories: Memory[] }>(loose({ memories: z.array(memory) }));
/** A page of memories. */
export const MemoryPageResponse = typed<Page<Memory>>(page(memory));
/** `{deleted: N}`. */
export const DeletedResponse = typed<{ deleted: number }>(loose({ deleted: z.number().int() }));
/** `{history: [...]}`. */
export const HistoryResponse = typed<{ history: HistoryEntry[] }>(loose({ history: z.array(loose({ memoryId: z.string(), action: z.string(), at: z.string() })) }));
/** `{results: [...]}` of a search. */
export const SearchResponse = typed<{ results: SearchHit[] }>(loose({ results: z.array(loose({ memory, score: z.number() })) }));
/** A relation. */
export const RelationResponse = typed<Relation>(relation);
/** `{relations: [...]}`. */
export const RelationListResponse = typed<{ relations: Relation[] }>(loose({ relations: z.array(relation) }));
/** A space. */
export const SpaceResponse = typed<Space>(space);
/** A space with its figures. */
export const SpaceInfoResponse = typed<SpaceInfo>(space.extend({ stats: loose({ memories: z.number() }) }));
/** A page of spaces. */
export const SpacePageResponse = typed<Page<Space>>(page(space));
const project = loose({ name: z.string(), owner: z.string(), defaults: loose({}), quotas: loose({}) });
/** A project. */
export const ProjectResponse = typed<Project>(project);
/** A project with its totals. */
export const ProjectInfoResponse = typed<ProjectInfo>(project.extend({ totals: loose({ memories: z.number(), payloadBytes: z.number(), diskBytes: z.number() }) }));
/** A page of projects. */
export const ProjectPageResponse = typed<Page<Project>>(page(project));
/** A page of audit entries. */
export const AuditPageResponse = typed<Page<AuditEntry>>(page(loose({ seq: z.number().int(), action: z.string(), hash: z.string() })));
/** The outcome of an audit verification. */
export const AuditVerificationResponse = typed<AuditVerification>(loose({ ok: z.boolean(), entries: z.number().int() }));
/** A new key, with its secret. */
export const CreatedKeyResponse = typed<CreatedKey>(key.extend({ key: z.string() }));
/** `{items: [...]}` of a key listing. */
export const KeyListResponse = typed<{ items: KeyView[] }>(loose({ items: z.array(key) }));
/** What an import did. */
export const ImportSummaryResponse = typed<ImportSummary>(loose({ mode: z.string(), memories: counts, relations: counts }));
/** A context (with its content when fetched one by one). */
export const ContextResponse = typed<Context>(loose({ id: z.string(), summary: z.string(), originalBytes: z.number(), storedBytes: z.number() }));
/** What archiving did. */
export const ArchiveResponse = typed<ArchiveResult>(loose({ space, archiveBytes: z.number() }));
/** A space's health: loose, so a newer server may add figures. */
export const SpaceHealthResponse = typed<SpaceHealth>(loose({ name: z.string(), state: z.string(), open: z.boolean() }));
/** The liveness answer. */
export const HealthResponse = typed<Health>(loose({ status: z.string() }));
/** One line of an export. */
export const ExportLineResponse = typed<ExportLine>(loose({ type: z.string() }));
/** The `data:` of one change event. */
export const ChangeEventResponse = typed<ChangeEvent>(loose({ seq: z.number().int().nonnegative(), op: z.string(), id: z.string(), at: z.string() }));
/** Anything, for bodies nobody reads. */
export const AnyResponse = z.unknown();

const share = loose({ id: z.string(), space: z.string(), to: z.string() });
/** A share. */
export const ShareResponse = typed<ShareView>(share);
/** The shares of a space. */
export const ShareListResponse = typed<{ items: ShareView[] }>(loose({ items: z.array(share) }));
/** The hits of a search over several spaces. */
export const CrossSearchResponse = typed<{ results: CrossSearchHit[] }>(loose({ results: z.array(loose({ memory, score: z.number(), space: z.string() })) }));

const reputation = loose({ contributions: z.number(), clipped: z.number(), clippedRate: z.number() });
const participation = loose({ federation: z.string(), space: z.string(), epsilonBudget: z.number(), epsilonSpent: z.number(), status: z.string(), reputation });
const federation = loose({ id: z.string(), topic: z.string(), mechanism: z.string(), participants: z.number().int(), releases: z.number().int() });
const release = loose({ id: z.string(), seq: z.number().int(), kind: z.string(), state: z.string(), contributors: z.number().int(), result: z.record(z.string(), z.unknown()).nullable() });
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
  loose({ runId: z.string(), dryRun: z.boolean(), examined: z.number().int(), merged: z.number().int(), superseded: z.number().int(), groups: z.array(consolidationGroup).optional() }),
);
/** What undoing a consolidation run put back. */
export const ConsolidationUndoResponse = typed<ConsolidationUndoResult>(loose({ runId: z.string(), restored: z.number().int(), unsuperseded: z.number().int() }));

/** What a feedback call left: the targets' levels and the narrative. */
export const FeedbackResultResponse = typed<FeedbackResult>(
  loose({ recorded: z.number().int(), pheromones: z.array(loose({ id: z.string(), level: z.number() })), narrative: loose({ updates: z.number().int(), updatedAt: z.string() }).nullable() }),
);
/** What a feedback reset deleted. */
export const FeedbackResetResponse = typed<FeedbackReset>(loose({ pheromones: z.number().int(), narrative: z.boolean() }));
/** A rerank's documents, best first, with the weights it used. */
export const RerankResultResponse = typed<RerankResult>(
  loose({
    results: z.array(loose({ id: z.string(), index: z.number().int(), score: z.number(), scores: loose({ similarity: z.number(), feedback: z.number(), narrative: z.number() }) })),
    weights: loose({ feedback: z.number(), narrative: z.number() }),
  }),
);
