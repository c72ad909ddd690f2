/**
 * Rows of the catalogue (spaces, keys, shares) and their records, once for every backend.
 * The tables have the same columns everywhere; a backend says how its driver returns and takes
 * a JSON column (text for SQLite, parsed `jsonb` for PostgreSQL).
 */
import { DEFAULT_FEEDBACK_SETTINGS, withFeedbackSettings } from '../../core/feedback.js';
import type { KeyRecord } from '../../core/ports/key-store.js';
import type { ShareRecord } from '../../core/ports/share-store.js';
import { DEFAULT_CONSOLIDATION_SETTINGS } from '../../core/space-settings.js';
import type { SpaceRecord } from '../../core/types.js';

/** How a driver returns a JSON column (`J`) and takes one. */
export interface JsonColumn<J> {
  /** The value a column holds. */
  decode(value: J): unknown;
  /** A value as the column takes it. */
  encode(value: unknown): J;
}

/** A `spaces` row. */
export interface SpaceRow<J> {
  name: string;
  project: string | null;
  inherited: J;
  description: string;
  isolation: string;
  sensitivity: string;
  retention_days: number | null;
  quotas: J;
  /** The settings a space set or inherited, over {@link DEFAULT_CONSOLIDATION_SETTINGS}. */
  consolidation: J;
  /** The space's feedback settings over {@link DEFAULT_FEEDBACK_SETTINGS}; '{}' in rows from before they existed. */
  feedback: J;
  labels: J;
  embedder: string;
  dimension: number;
  /** 1 or 0 on SQLite, a boolean on PostgreSQL. */
  encryption: number | boolean;
  created_at: number;
  updated_at: number;
  state: string;
}

/** A `keys` row. */
export interface KeyRow<J> {
  id: string;
  name: string;
  hash: string;
  grants: J;
  default_space: string | null;
  created_at: number;
  revoked_at: number | null;
}

/** A `shares` row (backends may keep more columns, such as lower-cased keys). */
export interface ShareRow<J> {
  id: string;
  space: string;
  to_space: string | null;
  to_key: string | null;
  role: string;
  tags: J | null;
  created_at: number;
  created_by: string | null;
}

/** The columns of a space's record. */
export function spaceColumns<J>(r: SpaceRecord, json: JsonColumn<J>): SpaceRow<J> {
  return {
    name: r.name,
    project: r.project,
    inherited: json.encode(r.inherited),
    description: r.description,
    isolation: r.isolation,
    sensitivity: r.sensitivity,
    retention_days: r.retentionDays,
    quotas: json.encode(r.quotas),
    consolidation: json.encode(r.consolidation),
    feedback: json.encode(r.feedback),
    labels: json.encode(r.labels),
    embedder: r.embedder,
    dimension: r.dimension,
    encryption: r.encryption ? 1 : 0,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    state: r.state,
  };
}

/** The record of a space a row holds. */
export function spaceFromRow<J>(r: SpaceRow<J>, json: JsonColumn<J>): SpaceRecord {
  return {
    name: r.name,
    description: r.description,
    isolation: r.isolation as SpaceRecord['isolation'],
    sensitivity: r.sensitivity as SpaceRecord['sensitivity'],
    retentionDays: r.retention_days,
    quotas: json.decode(r.quotas) as SpaceRecord['quotas'],
    // Rows from before consolidation settings existed hold '{}': the defaults.
    consolidation: { ...DEFAULT_CONSOLIDATION_SETTINGS, ...(json.decode(r.consolidation) as Partial<SpaceRecord['consolidation']>) },
    feedback: withFeedbackSettings(DEFAULT_FEEDBACK_SETTINGS, json.decode(r.feedback) as Partial<SpaceRecord['feedback']>),
    labels: json.decode(r.labels) as SpaceRecord['labels'],
    embedder: r.embedder,
    dimension: r.dimension,
    project: r.project,
    inherited: json.decode(r.inherited) as SpaceRecord['inherited'],
    encryption: r.encryption === true || r.encryption === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    state: r.state as SpaceRecord['state'],
  };
}

/** The columns of a key's record. */
export function keyColumns<J>(r: KeyRecord, json: JsonColumn<J>): KeyRow<J> {
  return { id: r.id, name: r.name, hash: r.hash, grants: json.encode(r.grants), default_space: r.defaultSpace, created_at: r.createdAt, revoked_at: r.revokedAt };
}

/** The key a row holds. */
export function keyFromRow<J>(r: KeyRow<J>, json: JsonColumn<J>): KeyRecord {
  return { id: r.id, name: r.name, hash: r.hash, grants: json.decode(r.grants) as KeyRecord['grants'], defaultSpace: r.default_space, createdAt: r.created_at, revokedAt: r.revoked_at };
}

/** The columns of a share's record. */
export function shareColumns<J>(r: ShareRecord, json: JsonColumn<J>): ShareRow<J> {
  return { id: r.id, space: r.space, to_space: r.toSpace, to_key: r.toKey, role: r.role, tags: r.tags === null ? null : json.encode(r.tags), created_at: r.createdAt, created_by: r.createdBy };
}

/** The share a row holds. */
export function shareFromRow<J>(r: ShareRow<J>, json: JsonColumn<J>): ShareRecord {
  return {
    id: r.id,
    space: r.space,
    toSpace: r.to_space,
    toKey: r.to_key,
    role: 'read',
    tags: r.tags === null ? null : (json.decode(r.tags) as string[]),
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

/**
 * The LIKE pattern of names starting with `prefix`, escaped with `\`: names hold no LIKE
 * wildcard but `_`, which must match itself.
 */
export function prefixPattern(prefix: string | undefined): string {
  return prefix === undefined ? '%' : `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
