/**
 * The JSON Lines format of a space export: one line per row, its kind in `type`. What an
 * import accepts of each kind is checked here, line by line, before anything is written.
 */
import { z } from 'zod';
import { MAX_CONTENT_CHARS, MAX_CONTEXT_CHARS, VectorSchema } from '../core/schemas.js';
import type { DumpChunk } from '../core/types.js';
import { MAX_PHEROMONE } from '../core/feedback.js';
import { auditView, contextView, historyView, iso, memoryView, relationView, type ExportLine } from '../core/views.js';

const time = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
const json = z.record(z.string(), z.unknown());

/** A memory line; what an export leaves out (scopes, times, counts) takes the defaults of a new memory, and without an embedding the memory is embedded on import. */
export const MemoryLineSchema = z.object({
  type: z.literal('memory'),
  id: z.string(),
  content: z.string().min(1).max(MAX_CONTENT_CHARS),
  metadata: json.default({}),
  tags: z.array(z.string().min(1).max(128)).max(64).default([]),
  userId: z.string().min(1).max(256).nullable().default(null),
  agentId: z.string().min(1).max(256).nullable().default(null),
  runId: z.string().min(1).max(256).nullable().default(null),
  kind: z.string().min(1).max(64).default('fact'),
  importance: z.number().min(0).max(1).default(0.5),
  createdAt: time.optional(),
  updatedAt: time.optional(),
  expiresAt: time.nullable().default(null),
  accessCount: z.number().int().min(0).default(0),
  lastAccessedAt: time.nullable().default(null),
  supersededBy: z.string().min(1).max(256).nullable().default(null),
  embedding: VectorSchema.optional(),
});

/** A relation line; its own type travels as `relationType`. */
export const RelationLineSchema = z.object({
  type: z.literal('relation'),
  id: z.string(),
  from: z.string(),
  to: z.string(),
  relationType: z.string().min(1).max(64).default('related_to'),
  weight: z.number().finite().default(1),
  metadata: json.default({}),
  createdAt: time.optional(),
});

/** A context line, content included. */
export const ContextLineSchema = z.object({
  type: z.literal('context'),
  id: z.string(),
  content: z.string().min(1).max(MAX_CONTEXT_CHARS),
  summary: z.string().min(1),
  metadata: json.default({}),
  createdAt: time.optional(),
  embedding: VectorSchema.optional(),
});

/** A history line: kept as it is by a restore, skipped by a merge. */
export const HistoryLineSchema = z.object({
  type: z.literal('history'),
  memoryId: z.string(),
  action: z.enum(['create', 'update', 'delete', 'supersede']),
  oldContent: z.string().nullable().default(null),
  newContent: z.string().nullable().default(null),
  oldMetadata: json.nullable().default(null),
  newMetadata: json.nullable().default(null),
  actor: z.string().nullable().default(null),
  at: time,
});

/** An audit line with its hashes: a restore continues the chain with it, a merge skips it. */
export const AuditLineSchema = z.object({
  type: z.literal('audit'),
  seq: z.number().int().positive(),
  at: time,
  actor: z.string().nullable(),
  action: z.string().min(1),
  ids: z.array(z.string()),
  requestId: z.string().nullable(),
  details: json.nullable(),
  prevHash: z.string().regex(/^[0-9a-f]{64}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});

/** A pheromone line (core/feedback.ts): a restore keeps it, a merge skips it. */
export const PheromoneLineSchema = z.object({
  type: z.literal('pheromone'),
  id: z.string().min(1).max(256),
  level: z.number().min(-MAX_PHEROMONE).max(MAX_PHEROMONE),
  updatedAt: time,
});

/** The narrative line (core/feedback.ts), at most one: a restore keeps it, a merge skips it. */
export const NarrativeLineSchema = z.object({
  type: z.literal('narrative'),
  vector: VectorSchema,
  updatedAt: time,
  updates: z.number().int().positive(),
});

/** A memory line as parsed. */
export type MemoryLine = z.output<typeof MemoryLineSchema>;
/** A context line as parsed. */
export type ContextLine = z.output<typeof ContextLineSchema>;

/** The kinds of a dump, in the order an export writes them and an import needs them. */
export const PARTS = ['memories', 'relations', 'contexts', 'history', 'audit', 'pheromones', 'narrative'] as const;
/** One kind of row. */
export type Part = (typeof PARTS)[number];
/** The part of an export line's `type`. */
export const PART_OF: Readonly<Record<string, Part>> = {
  memory: 'memories',
  relation: 'relations',
  context: 'contexts',
  history: 'history',
  audit: 'audit',
  pheromone: 'pheromones',
  narrative: 'narrative',
};

/** The schema of each part's lines. */
export const LINE_SCHEMAS: Readonly<Record<Part, z.ZodType>> = {
  memories: MemoryLineSchema,
  relations: RelationLineSchema,
  contexts: ContextLineSchema,
  history: HistoryLineSchema,
  audit: AuditLineSchema,
  pheromones: PheromoneLineSchema,
  narrative: NarrativeLineSchema,
};

/** The export lines of one dump page. */
export function linesOf(chunk: DumpChunk): ExportLine[] {
  const out: ExportLine[] = [];
  for (const m of chunk.memories ?? []) out.push({ type: 'memory', ...memoryView(m, true) });
  for (const r of chunk.relations ?? []) {
    const { type: relationType, ...rest } = relationView(r);
    out.push({ ...rest, type: 'relation', relationType });
  }
  for (const c of chunk.contexts ?? []) out.push({ type: 'context', ...contextView(c, { embedding: true }) });
  for (const h of chunk.history ?? []) out.push({ type: 'history', ...historyView(h) });
  for (const a of chunk.audit ?? []) out.push({ type: 'audit', ...auditView(a) });
  for (const p of chunk.pheromones ?? []) out.push({ type: 'pheromone', id: p.id, level: p.level, updatedAt: iso(p.updatedAt) });
  for (const n of chunk.narrative ?? []) out.push({ type: 'narrative', vector: Array.from(n.vector), updatedAt: iso(n.updatedAt), updates: n.updates });
  return out;
}

