/** zod schemas of projects at the edges: creation, update, listing and deletion options. */
import { z } from 'zod';
import { definedOnly } from './defined.js';
import { ConsolidationSettingsSchema, EMBEDDER_ID } from './schemas.js';
import type { ProjectDefaults } from './types.js';

const isolation = z.enum(['strict', 'shared', 'federated']);
const sensitivity = z.enum(['low', 'medium', 'high', 'highest']);
const retentionDays = z.number().int().positive().max(36_500);
const count = z.number().int().positive();
const labels = z.record(z.string().min(1).max(64), z.string().max(256));

/** A project's quotas: totals across all its spaces; null is unlimited. */
const ProjectQuotasSchema = z.strictObject({
  maxMemories: count.nullable().default(null),
  maxBytes: count.nullable().default(null),
});

/**
 * Defaults a project's spaces take when they do not set them; `null` removes a default (the
 * global one applies: `strict`, `medium`, kept forever, unlimited, `local:use-lite`, unencrypted).
 */
const ProjectDefaultsSchema = z.strictObject({
  embedder: z.string().regex(EMBEDDER_ID, 'embedder is local:use-lite, none or openai:<model>').nullable().optional(),
  dimension: z.number().int().min(1).max(8192).nullable().optional(),
  isolation: isolation.nullable().optional(),
  sensitivity: sensitivity.nullable().optional(),
  retentionDays: retentionDays.nullable().optional(),
  quotas: z
    .strictObject({
      maxMemories: count.nullable().optional(),
      maxBytes: count.nullable().optional(),
      maxRequestsPerSecond: z.number().positive().nullable().optional(),
    })
    .nullable()
    .optional(),
  consolidation: ConsolidationSettingsSchema.nullable().optional(),
  encryption: z.boolean().nullable().optional(),
});
/** Parsed project defaults, as given (nulls still in). */
export type ProjectDefaultsInput = z.output<typeof ProjectDefaultsSchema>;

/** A new project. Its name follows the rules of space names (unique whatever the case). */
export const ProjectCreateSchema = z.strictObject({
  name: z.string(),
  description: z.string().max(2000).default(''),
  labels: labels.default({}),
  defaults: ProjectDefaultsSchema.default({}),
  quotas: ProjectQuotasSchema.default({ maxMemories: null, maxBytes: null }),
});
/** Parsed project creation. */
export type ProjectCreate = z.output<typeof ProjectCreateSchema>;

/**
 * Changes to a project: `defaults` and `quotas` merge key by key into the current ones (`null`
 * removes a default, or lifts a quota); `labels` replaces the labels.
 */
export const ProjectPatchSchema = z.strictObject({
  description: z.string().max(2000).optional(),
  labels: labels.optional(),
  defaults: ProjectDefaultsSchema.optional(),
  quotas: z.strictObject({ maxMemories: count.nullable().optional(), maxBytes: count.nullable().optional() }).optional(),
});
/** Parsed project update. */
export type ProjectPatch = z.output<typeof ProjectPatchSchema>;

/** Options of a project listing: names under a prefix, a page at a time after a cursor (the last name of the previous page). */
export const ProjectListQuerySchema = z.strictObject({
  prefix: z.string().max(64).optional(),
  limit: z.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(64).optional(),
});
/** Parsed project listing options. */
export type ProjectListQuery = z.output<typeof ProjectListQuerySchema>;

/** Options of a project's deletion: `cascade` deletes its spaces first (each audited). */
export const ProjectDeleteSchema = z.strictObject({
  cascade: z.boolean().default(false),
});

/**
 * Defaults after a change: each key given replaces the current one, `null` removes it; the
 * quota defaults merge the same way, one quota at a time; the consolidation defaults merge one
 * setting at a time, where `null` is a value (off) like in a space's settings.
 */
export function mergeDefaults(current: ProjectDefaults, patch: ProjectDefaultsInput): ProjectDefaults {
  const next: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete next[key];
    else if (key === 'quotas') {
      const quotas: Record<string, unknown> = { ...current.quotas };
      for (const [q, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === null) delete quotas[q];
        else if (v !== undefined) quotas[q] = v;
      }
      if (Object.keys(quotas).length === 0) delete next['quotas'];
      else next['quotas'] = quotas;
    } else if (key === 'consolidation') {
      next['consolidation'] = { ...current.consolidation, ...definedOnly(value as Record<string, unknown>) };
    } else next[key] = value;
  }
  return next as ProjectDefaults;
}
