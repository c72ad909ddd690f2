/**
 * Rows of the catalogue's `projects` table and their records, once for every backend (the
 * same columns everywhere; a backend says how its driver handles JSON columns).
 */
import type { ProjectDefaults, ProjectQuotas, ProjectRecord } from '../../core/types.js';
import type { JsonColumn } from './catalog-rows.js';

/** A `projects` row. */
export interface ProjectRow<J> {
  name: string;
  description: string;
  owner: string;
  labels: J;
  defaults: J;
  quotas: J;
  created_at: number;
  updated_at: number;
}

/** The row of a project record. */
export function projectColumns<J>(r: ProjectRecord, json: JsonColumn<J>): ProjectRow<J> {
  return {
    name: r.name,
    description: r.description,
    owner: r.owner,
    labels: json.encode(r.labels),
    defaults: json.encode(r.defaults),
    quotas: json.encode(r.quotas),
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

/** The record of a project row; bigint columns may come back as strings from PostgreSQL. */
export function projectFromRow<J>(r: ProjectRow<J>, json: JsonColumn<J>): ProjectRecord {
  return {
    name: r.name,
    description: r.description,
    owner: r.owner,
    labels: json.decode(r.labels) as Record<string, string>,
    defaults: json.decode(r.defaults) as ProjectDefaults,
    quotas: json.decode(r.quotas) as ProjectQuotas,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
