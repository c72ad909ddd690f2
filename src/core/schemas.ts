import { z } from 'zod';
import { parseFilter, type FilterNode } from './filter.js';
import { MemspaceError } from './errors.js';
import { jsonProblem, METADATA_LIMITS } from './json-limits.js';
import type { EngineAuditAction } from './types.js';

/** Largest `content` of a memory, in characters; longer is `PAYLOAD_TOO_LARGE`. */
export const MAX_CONTENT_CHARS = 200_000;
/** Largest serialised `metadata` of a memory, in bytes. */
export const MAX_METADATA_BYTES = 64 * 1024;
/** Most memories in one batch. */
export const MAX_BATCH = 10_000;
/** Largest `limit` of a list or search. */
export const MAX_LIMIT = 1000;

/** Embedder identifiers a space may record: the local model, an OpenAI-compatible model, or none (vectors given by callers). */
export const EMBEDDER_ID = /^(local:use-lite|none|openai:[A-Za-z0-9_.:/-]{1,128})$/;

const scope = z.string().min(1).max(256);
const isoTime = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
const tag = z.string().min(1).max(128);
/** A memory's metadata: a JSON object within {@link METADATA_LIMITS}. */
const metadata = z.record(z.string().max(256), z.unknown()).superRefine((value, ctx) => {
  const problem = jsonProblem(value, '', METADATA_LIMITS);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', path: problem.path === '' ? [] : problem.path.split('.'), message: problem.message, params: { limit: problem.limit, unit: problem.unit } });
}).describe(`a JSON object: at most ${METADATA_LIMITS.depth} levels deep (itself the first), ${METADATA_LIMITS.keys} keys per object, ${MAX_METADATA_BYTES / 1024} KiB as JSON; strings of well-formed Unicode, finite numbers`);
/**
 * A vector: an array of finite numbers. Checked with one plain loop, because validating a
 * 512-number array element by element through zod costs more than storing the memory.
 */
export const VectorSchema = z.custom<number[]>(
  (value) => {
    if (!Array.isArray(value) || value.length === 0 || value.length > 8192) return false;
    for (let i = 0; i < value.length; i++) {
      const x: unknown = value[i];
      if (typeof x !== 'number' || !Number.isFinite(x)) return false;
    }
    return true;
  },
  { message: 'embedding must be an array of 1 to 8192 finite numbers' },
);

/**
 * A space's consolidation settings, each optional: at creation what is left out comes from the
 * project, else the defaults (core/space-settings.ts); in an update what is left out stays.
 */
export const ConsolidationSettingsSchema = z.strictObject({
  enabled: z.boolean().optional().describe('run passes on a schedule; default false'),
  intervalMinutes: z.number().int().min(1).max(10_080).optional().describe('minutes between scheduled passes; default 60'),
  minCosine: z.number().min(0).max(1).optional().describe('least cosine for the duplicate rule to compare two memories; default 0.6'),
  minOverlap: z.number().min(0.5).max(1).optional().describe('least share of content words duplicates agree on; default 1'),
  halfLifeDays: z.number().positive().max(36_500).optional().describe('days for an unused memory\'s importance to halve; default 30'),
  importanceFloor: z.number().min(0).max(1).nullable().optional().describe('decayed importance under which retention drops a memory; default null (never)'),
  summarizeAfterDays: z.number().int().positive().max(36_500).nullable().optional().describe('age after which sessions are summarised, with a chat model; default null (never)'),
});

/** Weights of the feedback signals in a score (core/feedback.ts), each 0 to 1 and together at most 1. */
const adaptiveWeight = {
  feedback: z.number().min(0).max(1).optional().describe('weight of the memory\'s reinforcement from feedback (docs/feedback.md); default the space\'s, else 0'),
  narrative: z.number().min(0).max(1).optional().describe('weight of the likeness to the space\'s narrative (docs/feedback.md); default the space\'s, else 0'),
};
const adaptiveSum = (r: { feedback?: number | undefined; narrative?: number | undefined }): boolean => (r.feedback ?? 0) + (r.narrative ?? 0) <= 1 + 1e-9;
const ADAPTIVE_SUM_MESSAGE = 'rank weights feedback and narrative must sum to at most 1';
/** The weights a rerank applies (`POST …/rerank`), absent ones the space's. */
export const AdaptiveWeightsSchema = z.strictObject(adaptiveWeight).refine(adaptiveSum, ADAPTIVE_SUM_MESSAGE);

/** A space's feedback settings, each optional: left out at creation, the defaults (core/feedback.ts); in an update, unchanged. */
export const FeedbackSettingsSchema = z.strictObject({
  halfLifeDays: z.number().positive().max(36_500).optional().describe('days for a reinforcement, and the narrative\'s pull, to halve; default 7'),
  narrativeRate: z.number().positive().max(1).optional().describe('share each helpful vector takes in the narrative; default 0.1'),
  rank: AdaptiveWeightsSchema.optional().describe('weights searches of the space use when they set none; default 0 and 0'),
});

/**
 * Options recorded on a space at creation. Isolation, sensitivity, retention, quotas and the
 * embedder carry no default here: a space of a project takes the project's (core/space-settings.ts),
 * any other the global one (`strict`, `medium`, kept forever, unlimited, `local:use-lite`).
 */
export const SpaceCreateSchema = z.strictObject({
  name: z.string(),
  description: z.string().max(2000).default(''),
  isolation: z.enum(['strict', 'shared', 'federated']).optional().describe('default: the project\'s, else strict'),
  sensitivity: z.enum(['low', 'medium', 'high', 'highest']).optional().describe('default: the project\'s, else medium'),
  retentionDays: z.number().int().positive().max(36_500).nullable().optional().describe('default: the project\'s, else null (kept forever)'),
  quotas: z
    .strictObject({
      maxMemories: z.number().int().positive().nullable().default(null),
      maxBytes: z.number().int().positive().nullable().default(null),
      maxRequestsPerSecond: z.number().positive().nullable().default(null),
    })
    .optional()
    .describe('default: the project\'s, else unlimited'),
  consolidation: ConsolidationSettingsSchema.optional().describe('default: the project\'s, else off (docs/consolidation.md)'),
  feedback: FeedbackSettingsSchema.optional().describe('default: a half-life of 7 days, no effect on searches (docs/feedback.md)'),
  labels: z.record(z.string().min(1).max(64), z.string().max(256)).default({}),
  embedder: z.string().regex(EMBEDDER_ID, 'embedder is local:use-lite, none or openai:<model>').optional().describe('default: the project\'s, else local:use-lite'),
  dimension: z.number().int().min(1).max(8192).optional(),
  /** The project the space joins; fixed from then on. */
  project: z.string().optional(),
  /** Encrypt the space's storage at rest with a key of its own; fixed from then on. */
  encryption: z.boolean().optional(),
});
/** Parsed space-creation options. */
export type SpaceCreate = z.output<typeof SpaceCreateSchema>;

/** Fields of a space that may change after creation (never its embedder or dimension). */
export const SpacePatchSchema = z.strictObject({
  description: z.string().max(2000).optional(),
  isolation: z.enum(['strict', 'shared', 'federated']).optional(),
  sensitivity: z.enum(['low', 'medium', 'high', 'highest']).optional(),
  retentionDays: z.number().int().positive().max(36_500).nullable().optional(),
  quotas: z
    .strictObject({
      maxMemories: z.number().int().positive().nullable().optional(),
      maxBytes: z.number().int().positive().nullable().optional(),
      maxRequestsPerSecond: z.number().positive().nullable().optional(),
    })
    .optional(),
  consolidation: ConsolidationSettingsSchema.optional(),
  feedback: FeedbackSettingsSchema.optional(),
  labels: z.record(z.string().min(1).max(64), z.string().max(256)).optional(),
  /** Settings to take from the space's project again (and follow it from then on). */
  inherit: z.array(z.enum(['isolation', 'sensitivity', 'retentionDays', 'quotas', 'consolidation'])).min(1).max(5).optional(),
});
/** Parsed space update. */
export type SpacePatch = z.output<typeof SpacePatchSchema>;

/** A memory to add. */
export const MemoryInputSchema = z.strictObject({
  id: z.string().optional(),
  content: z.string().min(1, 'content may not be empty'),
  metadata: metadata.default({}),
  tags: z.array(tag).max(64).default([]),
  userId: scope.optional(),
  agentId: scope.optional(),
  runId: scope.optional(),
  kind: z.string().min(1).max(64).default('fact'),
  importance: z.number().min(0).max(1).default(0.5),
  expiresAt: isoTime.nullable().optional(),
  embedding: VectorSchema.optional(),
});
/** Parsed memory input. */
export type MemoryInput = z.output<typeof MemoryInputSchema>;

/** A batch of memories that lands whole or not at all. */
export const MemoryBatchSchema = z.strictObject({
  memories: z.array(z.unknown()).min(1).max(MAX_BATCH),
});

/** Changes to a memory; `metadata` and `tags` replace the old values. */
export const MemoryPatchSchema = z
  .strictObject({
    content: z.string().min(1, 'content may not be empty').optional(),
    metadata: metadata.optional(),
    tags: z.array(tag).max(64).optional(),
    kind: z.string().min(1).max(64).optional(),
    importance: z.number().min(0).max(1).optional(),
    expiresAt: isoTime.nullable().optional(),
    embedding: VectorSchema.optional(),
  })
  .refine((p) => Object.keys(p).length > 0, 'an update must change at least one field');
/** Parsed memory update. */
export type MemoryPatch = z.output<typeof MemoryPatchSchema>;

/** Largest `content` of a context, in characters. */
export const MAX_CONTEXT_CHARS = 4_000_000;
/** Largest `summary` of a context, in characters. */
export const MAX_SUMMARY_CHARS = 10_000;

/**
 * A context to store: a large blob kept compressed. Without a summary, the start of the content
 * stands in for it; the summary is embedded unless `embedding` is given.
 */
export const ContextInputSchema = z.strictObject({
  id: z.string().optional(),
  content: z.string().min(1, 'content may not be empty').max(MAX_CONTEXT_CHARS),
  summary: z.string().min(1).max(MAX_SUMMARY_CHARS).optional(),
  metadata: metadata.default({}),
  embedding: VectorSchema.optional(),
});
/** Parsed context input. */
export type ContextInput = z.output<typeof ContextInputSchema>;

/** A filter in the filter language (docs/search.md), parsed into a tree. */
export const FilterSchema = z.unknown().transform((value, ctx): FilterNode => {
  try {
    return parseFilter(value);
  } catch (error) {
    const issue = error instanceof MemspaceError ? (error.details?.['issues'] as { path: string; message: string }[] | undefined)?.[0] : undefined;
    ctx.addIssue({ code: 'custom', message: issue ? `${issue.path}: ${issue.message}` : 'invalid filter' });
    return z.NEVER;
  }
});

const scopes = {
  userId: scope.optional(),
  agentId: scope.optional(),
  runId: scope.optional(),
};

/** Options of a memory listing. */
export const ListQuerySchema = z.strictObject({
  ...scopes,
  tags: z.array(tag).max(64).optional(),
  kind: z.string().min(1).max(64).optional(),
  filter: FilterSchema.optional(),
  limit: z.number().int().min(1).max(MAX_LIMIT).default(100),
  cursor: z.string().max(200).optional(),
  order: z.enum(['asc', 'desc']).default('desc'),
  /** Also list memories a newer one superseded (consolidation); left out by default. */
  includeSuperseded: z.boolean().default(false),
});
/** Parsed listing options. */
export type ListQuery = z.output<typeof ListQuerySchema>;

/** Options of a space listing: names under a prefix, a page at a time after a cursor (the last name of the previous page). */
export const SpaceListQuerySchema = z.strictObject({
  prefix: z.string().max(64).optional(),
  /** Only the spaces of this project. */
  project: z.string().max(64).optional(),
  limit: z.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(64).optional(),
});
/** Parsed space listing options. */
export type SpaceListQuery = z.output<typeof SpaceListQuerySchema>;

/**
 * A search's `rank`: weights, each 0 to 1 and together at most 1, of the recency of creation and
 * of the decayed importance (core/decay.ts) in the final score (core/ranking.ts `blendScore`);
 * and, apart, the weights of feedback and narrative (core/feedback.ts `adaptiveBoost`), also
 * together at most 1.
 */
export const SearchRankSchema = z
  .strictObject({
    recency: z.number().min(0).max(1).optional().describe('weight of recency, 2^(-age/halfLife) with age since creation; default 0'),
    importance: z.number().min(0).max(1).optional().describe('weight of the decayed importance (docs/consolidation.md); default 0'),
    ...adaptiveWeight,
  })
  // A little slack for weights meant to sum to 1 that floating point puts a hair above it.
  .refine((r) => (r.recency ?? 0) + (r.importance ?? 0) <= 1 + 1e-9, 'rank weights recency and importance must sum to at most 1')
  .refine(adaptiveSum, ADAPTIVE_SUM_MESSAGE);

/** How many first-stage candidates a search with `rerank` sends at least, unless configured (`MEMSPACE_RERANK_TOP_N`). */
export const DEFAULT_RERANK_TOP_N = 50;

/** A search request (docs/search.md). */
export const SearchRequestSchema = z
  .strictObject({
    query: z.string().min(1).max(10_000).optional(),
    embedding: VectorSchema.optional(),
    mode: z.enum(['hybrid', 'vector', 'keyword']).default('hybrid'),
    limit: z.number().int().min(1).max(MAX_LIMIT).default(10),
    threshold: z.number().min(-1).max(1).optional(),
    filter: FilterSchema.optional(),
    ...scopes,
    tags: z.array(tag).max(64).optional(),
    tagsMatch: z.enum(['any', 'all']).default('any'),
    expand: z.boolean().default(false),
    vectorWeight: z.number().min(0).max(1).default(0.5),
    fusion: z.enum(['weighted', 'rrf']).default('weighted'),
    /** Scan every vector instead of using the space's HNSW index (slower; for checking recall). */
    exact: z.boolean().default(false),
    /** Also find memories a newer one superseded (consolidation); left out by default. */
    includeSuperseded: z.boolean().default(false),
    /** Signals blended into the score besides relevance (core/ranking.ts `blendScore`); absent, rankings are as without. */
    rank: SearchRankSchema.optional(),
    /** Lift the run neighbours of the best hits (core/search-signals.ts); off, only the rankings decide. */
    neighbors: z.boolean().default(true),
    /** Favour memories dated in the span a date in the query names (core/search-signals.ts). */
    dates: z.boolean().default(true),
    /** Reorder the candidates with the configured reranker (engine/rerank-stage.ts); needs a query. */
    rerank: z.boolean().default(false),
  })
  .refine((r) => r.query !== undefined || r.embedding !== undefined, 'give a query, an embedding, or both')
  .refine((r) => r.mode !== 'keyword' || r.query !== undefined, 'keyword search needs a query')
  .refine((r) => !r.rerank || r.query !== undefined, { path: ['rerank'], message: 'rerank needs a query: the reranker reads it with each candidate' })
  // A reranker's scores are on its model's scale, not relevance's: blending them with recency and importance would weigh unlike things.
  .refine((r) => !r.rerank || r.rank === undefined, { path: ['rerank'], message: 'rerank and rank weights cannot be combined: the reranker decides the order alone' });
/** Parsed search request. */
export type SearchRequest = z.output<typeof SearchRequestSchema>;

/** A consolidation pass (`POST /v1/spaces/{space}/consolidate`); thresholds default to core/consolidation.ts's. */
export const ConsolidateRequestSchema = z.strictObject({
  /** Report what would change, change nothing. */
  dryRun: z.boolean().default(false),
  /** Least cosine similarity for two memories to be compared at all. */
  minCosine: z.number().min(0).max(1).optional(),
  /** Least overlap of content words; 1 is the measured identity rule, lower merges more and less safely. */
  minOverlap: z.number().min(0.5).max(1).optional(),
  /**
   * Summarise sessions (needs a chat model): true or false overrides the space's
   * `consolidation.summarizeAfterDays`; left out, the space's setting decides.
   */
  summarize: z.boolean().optional(),
  /** Age in days after which a session is summarised, for this pass (implies `summarize` unless it is false). */
  summarizeAfterDays: z.number().int().positive().max(36_500).optional(),
});
/** Parsed consolidation request. */
export type ConsolidateRequest = z.output<typeof ConsolidateRequestSchema>;

/** The undo of a consolidation run. */
export const ConsolidationUndoSchema = z.strictObject({ runId: z.string().min(1).max(64) });

/** A relation to add. */
export const RelationInputSchema = z.strictObject({
  id: z.string().optional(),
  from: z.string().min(1).max(128),
  to: z.string().min(1).max(128),
  type: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'type is 1-64 characters of A-Z, a-z, 0-9, "_", ".", ":" or "-"'),
  weight: z.number().finite().default(1),
  metadata: metadata.default({}),
});
/** Parsed relation input. */
export type RelationInput = z.output<typeof RelationInputSchema>;

/** Options of a relation listing. */
export const RelationQuerySchema = z.strictObject({
  direction: z.enum(['out', 'in', 'both']).default('both'),
  type: z.string().min(1).max(64).optional(),
});
/** Parsed relation listing options. */
export type RelationQuery = z.output<typeof RelationQuerySchema>;

/** Most ids one audit entry keeps; a larger set keeps its first ids and its size in `details.count`. */
export const MAX_AUDIT_IDS = 1000;
/** Largest serialised `details` of an audit entry recorded through the engine, in bytes. */
export const MAX_AUDIT_DETAILS_BYTES = 8 * 1024;
/** An audit action: dot-separated lower-case words, e.g. `memory.create`, `read.cross_space`. */
export const AUDIT_ACTION = /^[a-z][a-z0-9_]{0,31}(\.[a-z][a-z0-9_]{0,31}){0,3}$/;
/** Actions only the engine writes (a mutation's in its own transaction); callers cannot record them. */
export const ENGINE_AUDIT_ACTIONS: readonly EngineAuditAction[] = [
  'memory.create',
  'memory.update',
  'memory.delete',
  'relation.create',
  'relation.delete',
  'memory.expire',
  'memory.decay',
  'context.create',
  'context.delete',
  'space.update',
  'space.archive',
  'space.restore',
  'import',
  'project.delete',
  'federation.join',
  'federation.withdraw',
  'federation.release',
  'consolidation.run',
  'consolidation.undo',
  'feedback.record',
  'feedback.reset',
  'feedback.expire',
  'key.update',
  'space.split',
  'space.split.in',
  'space.merge',
  'space.merge.in',
];

/** An audit action as a listing filters by it or an event records it. */
export const auditAction = z.string().max(64).regex(AUDIT_ACTION, 'action is dot-separated lower-case words, e.g. memory.create');

/**
 * An event that is not a mutation, recorded in a space's audit trail through the engine
 * (a denied request, a cross-space read, a share change). `details` holds names, counts and
 * ids, never memory content, and is bounded in size.
 */
export const AuditEventSchema = z.strictObject({
  action: auditAction.refine((a) => !(ENGINE_AUDIT_ACTIONS as readonly string[]).includes(a), 'this action is recorded by the engine itself'),
  ids: z.array(z.string().min(1).max(256)).max(MAX_AUDIT_IDS).default([]),
  details: z
    .record(z.string().max(128), z.unknown())
    .nullable()
    .default(null)
    .refine((d) => d === null || utf8Length(JSON.stringify(d)) <= MAX_AUDIT_DETAILS_BYTES, `details are larger than ${MAX_AUDIT_DETAILS_BYTES} bytes`),
});
/** Parsed audit event. */
export type AuditEventInput = z.output<typeof AuditEventSchema>;

/** Bytes of `text` in UTF-8, without Node's Buffer (the client bundles this module). */
function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}
