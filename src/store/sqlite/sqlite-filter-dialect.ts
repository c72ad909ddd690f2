/**
 * The SQLite dialect of the filter compiler (common/filter-sql.ts): positional `?` parameters,
 * metadata as JSON text reached with `json_type`, `json_extract` and `json_each` and a quoted
 * JSON path, tags as a JSON array of strings.
 */
import type { FilterNode, FilterScalar } from '../../core/filter.js';
import { compileFilter, type FilterDialect, type MetadataPath, type SqlComparison, type SqlParams } from '../common/filter-sql.js';

/** Positional parameters: each placeholder is `?`, bound in the order the values were added. */
export class PositionalParams implements SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return '?';
  }
}

/** A SQL boolean expression over the alias `m` (the memories table) and its bound parameters, in order. */
export interface SqlCondition {
  sql: string;
  params: unknown[];
}

/** JSON path of a metadata field, e.g. `$."a"."b"`; keys were restricted to `[A-Za-z0-9_-]`. */
function jsonPath(path: MetadataPath): string {
  return `$${path.map((k) => `."${k}"`).join('')}`;
}

/** The SQLite pieces of the filter compiler. */
export const SQLITE_FILTER_DIALECT: FilterDialect = {
  true: '1',
  false: '0',
  tagsLength: 'json_array_length(m.tags)',
  value: (params, value) => params.add(value),
  distinct: (left, right) => `${left} IS NOT ${right}`,
  oneOf: (params, column, values) => `${column} IN (${values.map((v) => params.add(v)).join(',')})`,
  containsText: (haystack, needle) => `instr(${haystack}, ${needle}) > 0`,
  tagsAny: (params, values) => `EXISTS (SELECT 1 FROM json_each(m.tags) t WHERE t.value IN (${values.map((v) => params.add(v)).join(',')}))`,
  metadataAt: (params, path) => `json_type(m.metadata, ${params.add(jsonPath(path))})`,
  metadataEquals(params, path, values) {
    const type = `json_type(m.metadata, ${params.add(jsonPath(path))})`;
    const each = `json_each(m.metadata, ${params.add(jsonPath(path))})`;
    // Built after the paths were bound: their placeholders come first in the text.
    const tests = values.map((v) => elementTest(params, v)).join(' OR ');
    // json_each over a scalar yields the scalar itself, over an array its elements.
    return `(${type} IS NOT 'object' AND EXISTS (SELECT 1 FROM ${each} j WHERE ${tests}))`;
  },
  metadataCompare(params, path, comparison: SqlComparison, value) {
    const types = typeof value === 'number' ? `('integer','real')` : `('text')`;
    return `(json_type(m.metadata, ${params.add(jsonPath(path))}) IN ${types} AND json_extract(m.metadata, ${params.add(jsonPath(path))}) ${comparison} ${params.add(value)})`;
  },
  metadataContainsText: (params, path, value) =>
    `(json_type(m.metadata, ${params.add(jsonPath(path))}) = 'text' AND instr(json_extract(m.metadata, ${params.add(jsonPath(path))}), ${params.add(value)}) > 0)`,
};

/** One element of `json_each` equal to `v`, with JSON's type. */
function elementTest(params: SqlParams, v: FilterScalar): string {
  if (v === null) return `j.type = 'null'`;
  if (typeof v === 'boolean') return `j.type = '${v ? 'true' : 'false'}'`;
  if (typeof v === 'number') return `(j.type IN ('integer','real') AND j.value = ${params.add(v)})`;
  return `(j.type = 'text' AND j.value = ${params.add(v)})`;
}

/** A filter as a condition on `m` with its parameters, to splice into a statement's text and arguments. */
export function filterCondition(filter: FilterNode): SqlCondition {
  const params = new PositionalParams();
  const sql = compileFilter(filter, SQLITE_FILTER_DIALECT, params);
  return { sql, params: params.values };
}
