/**
 * The PostgreSQL dialect of the filter compiler (common/filter-sql.ts): numbered parameters
 * with casts, metadata as `jsonb` reached with `#>` and a `text[]` path, tags as a `jsonb`
 * array of strings.
 */
import type { FilterNode } from '../../core/filter.js';
import { type ColumnType, compileFilter, type FilterDialect, type MetadataPath, type SqlParams } from '../common/filter-sql.js';

/** Collects bound parameters and hands out their placeholders (`$1`, `$2`, ...). */
export class NumberedParams implements SqlParams {
  readonly values: unknown[];

  /** Starts after the parameters a query already binds. */
  constructor(initial: readonly unknown[] = []) {
    this.values = [...initial];
  }

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const PG_TYPE: Readonly<Record<ColumnType, string>> = { text: 'text', real: 'double precision', integer: 'bigint' };

/** The value at a metadata path as `jsonb`, SQL NULL when absent; the path is bound once. */
function at(params: SqlParams, path: MetadataPath): { value: string; path: string } {
  const bound = `${params.add(path)}::text[]`;
  return { value: `(m.metadata #> ${bound})`, path: bound };
}

/** The PostgreSQL pieces of the filter compiler. */
export const POSTGRES_FILTER_DIALECT: FilterDialect = {
  true: 'TRUE',
  false: 'FALSE',
  tagsLength: 'jsonb_array_length(m.tags)',
  value: (params, value, type) => `${params.add(value)}::${PG_TYPE[type]}`,
  distinct: (left, right) => `${left} IS DISTINCT FROM ${right}`,
  oneOf: (params, column, values, type) => `${column} = ANY(${params.add(values)}::${PG_TYPE[type]}[])`,
  containsText: (haystack, needle) => `strpos(${haystack}, ${needle}) > 0`,
  tagsAny: (params, values) => `(m.tags ?| ${params.add(values.map(String))}::text[])`,
  metadataAt: (params, path) => at(params, path).value,
  metadataEquals(params, path, values) {
    const v = at(params, path).value;
    const candidates = params.add(JSON.stringify(values));
    // jsonb equality is typed ('"1"' <> '1') and numeric (1 = 1.0); an object never matches.
    return `(${v} IS NOT NULL AND EXISTS (SELECT 1 FROM jsonb_array_elements(${candidates}::jsonb) AS c(x)
    WHERE c.x = ${v} OR (jsonb_typeof(${v}) = 'array' AND ${v} @> jsonb_build_array(c.x))))`;
  },
  metadataCompare(params, path, comparison, value) {
    const { value: v, path: p } = at(params, path);
    // CASE, not AND: Postgres does not promise to test the type before casting.
    if (typeof value === 'number') {
      return `(CASE WHEN jsonb_typeof(${v}) = 'number' THEN (${v})::numeric ${comparison} ${params.add(value)}::numeric ELSE FALSE END)`;
    }
    return `(CASE WHEN jsonb_typeof(${v}) = 'string' THEN (m.metadata #>> ${p}) COLLATE "C" ${comparison} ${params.add(value)}::text ELSE FALSE END)`;
  },
  metadataContainsText(params, path, value) {
    const { value: v, path: p } = at(params, path);
    return `(CASE WHEN jsonb_typeof(${v}) = 'string' THEN strpos(m.metadata #>> ${p}, ${params.add(value)}::text) > 0 ELSE FALSE END)`;
  },
};

/** A filter as a condition on `m`, its values bound through `params` after those already there. */
export function filterCondition(filter: FilterNode, params: NumberedParams): string {
  return compileFilter(filter, POSTGRES_FILTER_DIALECT, params);
}
