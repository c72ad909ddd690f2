/**
 * How a space's settings are decided: what the request sets, else its project's default, else
 * the global default; and which settings then follow the project (`inherited`).
 */
import { DEFAULT_DUPLICATE_RULE } from './consolidation-rule.js';
import { definedOnly } from './defined.js';
import type { SpaceCreate } from './schemas.js';
import type { ConsolidationSettings, InheritableSetting, Isolation, ProjectDefaults, ProjectRecord, Quotas, Sensitivity } from './types.js';

/** The settings a space may take from its project and keep following. */
export const INHERITABLE_SETTINGS: readonly InheritableSetting[] = ['isolation', 'sensitivity', 'retentionDays', 'quotas', 'consolidation'];

/** The values a space's inheritable settings can hold. */
export interface InheritableValues {
  isolation: Isolation;
  sensitivity: Sensitivity;
  retentionDays: number | null;
  quotas: Quotas;
  consolidation: ConsolidationSettings;
}

/**
 * Consolidation as a space has it when nobody set it: no schedule (a pass runs when asked), the
 * duplicate rule's measured thresholds (core/consolidation.ts), a half-life of 30 days, no
 * importance floor and no summaries.
 */
export const DEFAULT_CONSOLIDATION_SETTINGS: Readonly<ConsolidationSettings> = Object.freeze({
  enabled: false,
  intervalMinutes: 60,
  minCosine: DEFAULT_DUPLICATE_RULE.minCosine,
  minOverlap: DEFAULT_DUPLICATE_RULE.minOverlap,
  halfLifeDays: 30,
  importanceFloor: null,
  summarizeAfterDays: null,
});

/** What a space gets when neither the request nor a project sets it. */
export const GLOBAL_SPACE_DEFAULTS: Readonly<InheritableValues & { embedder: string }> = Object.freeze({
  isolation: 'strict',
  sensitivity: 'medium',
  retentionDays: null,
  quotas: Object.freeze({ maxMemories: null, maxBytes: null, maxRequestsPerSecond: null }),
  consolidation: DEFAULT_CONSOLIDATION_SETTINGS,
  embedder: 'local:use-lite',
});

/** The value of `setting` for a space that inherits it: the project's default, else the global one. */
export function projectValue<S extends InheritableSetting>(setting: S, defaults: ProjectDefaults): InheritableValues[S] {
  if (setting === 'quotas') return { ...GLOBAL_SPACE_DEFAULTS.quotas, ...defaults.quotas } as InheritableValues[S];
  if (setting === 'consolidation') return { ...DEFAULT_CONSOLIDATION_SETTINGS, ...defaults.consolidation } as InheritableValues[S];
  const own = defaults[setting];
  return (own === undefined ? GLOBAL_SPACE_DEFAULTS[setting] : own) as InheritableValues[S];
}

/** The settings of a new space: the inheritable ones, the embedder and dimension, encryption, and what it inherits. */
export interface NewSpaceSettings extends InheritableValues {
  embedder: string;
  dimension: number | undefined;
  encryption: boolean;
  inherited: InheritableSetting[];
}

/**
 * Decides a new space's settings. A space of a project inherits every inheritable setting the
 * request leaves out (and follows the project's default for it from then on); embedder (with
 * its dimension) and encryption default to the project's at creation only. A space of no
 * project gets the global defaults and inherits nothing.
 */
export function newSpaceSettings(spec: SpaceCreate, project: ProjectRecord | undefined): NewSpaceSettings {
  const defaults: ProjectDefaults = project?.defaults ?? {};
  const inherited = project === undefined ? [] : INHERITABLE_SETTINGS.filter((s) => spec[s] === undefined);
  const ownEmbedder = spec.embedder !== undefined;
  return {
    isolation: spec.isolation ?? projectValue('isolation', defaults),
    sensitivity: spec.sensitivity ?? projectValue('sensitivity', defaults),
    retentionDays: spec.retentionDays === undefined ? projectValue('retentionDays', defaults) : spec.retentionDays,
    quotas: spec.quotas ?? projectValue('quotas', defaults),
    consolidation: spec.consolidation === undefined ? projectValue('consolidation', defaults) : { ...projectValue('consolidation', defaults), ...definedOnly(spec.consolidation) },
    embedder: spec.embedder ?? defaults.embedder ?? GLOBAL_SPACE_DEFAULTS.embedder,
    // The project's dimension goes with the project's embedder, not with one the request names.
    dimension: spec.dimension ?? (ownEmbedder ? undefined : defaults.dimension),
    encryption: spec.encryption ?? defaults.encryption ?? false,
    inherited,
  };
}
