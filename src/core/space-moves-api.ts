/**
 * What a split or a merge of spaces takes and answers (docs/split-merge.md): the requests, the
 * reports and the jobs that run them. Free of Node built-ins, so that the SDK can import it; the
 * rules that apply them are in space-split.ts.
 */
import { z } from 'zod';

/** A metadata field a split may group by: a top-level key, as filters name them. */
const METADATA_FIELD = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * `POST /v1/spaces/{space}/split`: exactly one of `byTag` (a pattern `<prefix>*`, such as
 * `dataset:*`) or `byMetadata` (a top-level metadata field); `stripPrefix` (with `byTag` only)
 * names each target after the tag without the prefix.
 */
export const SplitRequestSchema = z
  .strictObject({
    byTag: z.string().max(128).optional().describe('a tag pattern ending in one "*", e.g. "dataset:*"'),
    byMetadata: z.string().optional().describe('a top-level metadata field, e.g. "dataset"'),
    stripPrefix: z.boolean().default(false).describe('name targets after the tag without the prefix: dataset:worca → worca'),
    dryRun: z.boolean().default(false).describe('report the plan, change nothing'),
  })
  .superRefine((v, ctx) => {
    if ((v.byTag === undefined) === (v.byMetadata === undefined)) ctx.addIssue({ code: 'custom', path: ['byTag'], message: 'give exactly one of byTag and byMetadata' });
    if (v.byTag !== undefined && !/^[^*]+\*$/.test(v.byTag)) ctx.addIssue({ code: 'custom', path: ['byTag'], message: 'a tag pattern is a prefix followed by one "*", e.g. "dataset:*"' });
    if (v.byMetadata !== undefined && !METADATA_FIELD.test(v.byMetadata)) ctx.addIssue({ code: 'custom', path: ['byMetadata'], message: 'a metadata field is 1-64 characters of A-Z, a-z, 0-9, "_" or "-"' });
    if (v.stripPrefix && v.byMetadata !== undefined) ctx.addIssue({ code: 'custom', path: ['stripPrefix'], message: 'stripPrefix goes with byTag only' });
  });
/** A split request as parsed. */
export type SplitRequest = z.output<typeof SplitRequestSchema>;

/** `POST /v1/spaces/merge`: every memory of the spaces `from` into `into` (created when missing). */
export const MergeRequestSchema = z.strictObject({
  from: z.array(z.string()).min(1).max(32),
  into: z.string(),
  dryRun: z.boolean().default(false).describe('report the plan, change nothing'),
});
/** A merge request as parsed. */
export type MergeRequest = z.output<typeof MergeRequestSchema>;

/** A relation a split drops because its ends go to different spaces (or one stays in the source). */
export interface DroppedRelation {
  id: string;
  from: string;
  to: string;
  type: string;
  /** The spaces its ends end up in. */
  fromSpace: string;
  toSpace: string;
}

/** One move of memories from a space into another, planned and, once run, done. */
export interface MoveGroup {
  /** The group's tag or metadata value (split), or the source space (merge). */
  value: string;
  from: string;
  to: string;
  /** Whether the target existed before this run. */
  exists: boolean;
  /** Memories and relations (both ends in the group) to move. */
  memories: number;
  relations: number;
  /** Of those, found in the target already, identical (a resumed run): not copied again. */
  alreadyThere: number;
  /** Copied by this run, removed from the source by this run (0 in a dry run). */
  copied: number;
  removed: number;
  /** SHA-256 over the canonical lines of the moved memories and relations, equal in source and target; null in a dry run. */
  checksum: string | null;
}

/** What a split did, or would do (`dryRun`). */
export interface SplitReport {
  kind: 'split';
  dryRun: boolean;
  source: string;
  by: { tag: string; stripPrefix: boolean } | { metadata: string };
  groups: MoveGroup[];
  /** Memories of no group: they stay in the source. */
  ungrouped: number;
  /** Memories with several matching tags (a split refuses them): count and a sample. */
  ambiguous: { count: number; sample: { id: string; groups: string[] }[] };
  /** Relations whose ends go to different spaces: dropped, never kept across spaces. */
  droppedRelations: { count: number; sample: DroppedRelation[] };
}

/** What a merge did, or would do (`dryRun`). */
export interface MergeReport {
  kind: 'merge';
  dryRun: boolean;
  into: string;
  /** One move per source space. */
  groups: MoveGroup[];
}

/** Where a job stands: memories moved (copied, verified and removed from their source) of all to move, and the step it is at. */
export interface JobProgress {
  done: number;
  total: number;
  phase: 'planning' | 'copying' | 'verifying' | 'removing' | 'done';
}

/** A long operation of the server (a split or a merge), visible to the key that started it and to the root key. */
export interface JobView {
  id: string;
  kind: 'split' | 'merge';
  state: 'running' | 'succeeded' | 'failed';
  progress: JobProgress;
  result?: SplitReport | MergeReport;
  error?: { code: string; message: string; details?: Record<string, unknown> };
  startedAt: string;
  finishedAt: string | null;
}

/** A job as the server answers it: `{job}`. */
export const JobResponse = z.object({
  job: z.looseObject({
    id: z.string(),
    kind: z.enum(['split', 'merge']),
    state: z.enum(['running', 'succeeded', 'failed']),
    progress: z.looseObject({ done: z.number(), total: z.number(), phase: z.string() }),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
  }),
});

/** A dry run's plan as the server answers it. */
export const MoveReportResponse = z.looseObject({ kind: z.enum(['split', 'merge']), dryRun: z.boolean(), groups: z.array(z.looseObject({ value: z.string(), to: z.string() })) });
