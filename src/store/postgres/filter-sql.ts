/**
 * The PostgreSQL twin of the embedded store's filter compiler: a parsed filter becomes a SQL
 * condition over the alias `m` (the memories table) with numbered parameters. Metadata is
 * `jsonb` (reached with `#>` and a text[] path), tags a `jsonb` array of strings.
 */
import type { FilterColumn, FilterField, FilterNode, FilterScalar } from '../../core/filter.js';

/** Collects bound parameters and hands out their placeholders (`$1`, `$2`, ...). */
export class SqlParams {
  readonly values: unknown[];

  /** Starts after the parameters a query already binds. */
  constructor(initial: readonly unknown[] = []) {
    this.values = [...initial];
  }

  /** Binds `value` and returns its placeholder. */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const COLUMN_SQL: Readonly<Record<Exclude<FilterColumn, 'tags'>, { sql: string; type: string }>> = {
  id: { sql: 'm.id', type: 'text' },
  userId: { sql: 'm.user_id', type: 'text' },
  agentId: { sql: 'm.agent_id', type: 'text' },
  runId: { sql: 'm.run_id', type: 'text' },
  kind: { sql: 'm.kind', type: 'text' },
  importance: { sql: 'm.importance', type: 'double precision' },
  createdAt: { sql: 'm.created_at', type: 'bigint' },
  updatedAt: { sql: 'm.updated_at', type: 'bigint' },
  expiresAt: { sql: 'm.expires_at', type: 'bigint' },
};

/**
 * Compiles a parsed filter into a SQL boolean expression, binding every value (and every
 * metadata path) through `params`, so no input reaches the SQL text. Semantics follow the
 * embedded store: metadata comparisons are typed (`"1"` never equals `1`), equality also
 * matches an element of an array value, and `ne`/`nin` match rows where the field is missing.
 */
export function compileFilter(node: FilterNode, params: SqlParams): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      if (node.nodes.length === 0) return node.kind === 'and' ? 'TRUE' : 'FALSE';
      return `(${node.nodes.map((n) => compileFilter(n, params)).join(node.kind === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `(NOT coalesce(${compileFilter(node.node, params)}, FALSE))`;
    case 'cond':
      if (node.field.kind === 'metadata') return metadataCondition(node.field, node.op, node.value, params);
      if (node.field.name === 'tags') return tagsCondition(node.op, node.value, params);
      return columnCondition(COLUMN_SQL[node.field.name], node.op, node.value, params);
  }
}

function columnCondition(col: { sql: string; type: string }, op: string, value: FilterScalar | FilterScalar[], params: SqlParams): string {
  const c = col.sql;
  const p = (v: unknown): string => `${params.add(v)}::${col.type}`;
  switch (op) {
    case 'eq':
      return value === null ? `${c} IS NULL` : `${c} = ${p(value)}`;
    case 'ne':
      return `${c} IS DISTINCT FROM ${p(value)}`;
    case 'in':
    case 'nin': {
      const values = value as FilterScalar[];
      const nonNull = values.filter((v) => v !== null);
      const hasNull = nonNull.length < values.length;
      const list = nonNull.length > 0 ? `${c} = ANY(${params.add(nonNull)}::${col.type}[])` : 'FALSE';
      const sql = hasNull ? `(${list} OR ${c} IS NULL)` : list;
      return op === 'in' ? `(${sql})` : `(NOT coalesce(${sql}, FALSE))`;
    }
    case 'gt':
      return `${c} > ${p(value)}`;
    case 'gte':
      return `${c} >= ${p(value)}`;
    case 'lt':
      return `${c} < ${p(value)}`;
    case 'lte':
      return `${c} <= ${p(value)}`;
    case 'contains':
      return typeof value === 'string' && col.type === 'text' ? `strpos(${c}, ${p(value)}) > 0` : columnCondition(col, 'eq', value, params);
    case 'exists':
      return value === true ? `${c} IS NOT NULL` : `${c} IS NULL`;
    default:
      throw new Error(`unhandled operator ${op}`);
  }
}

function tagsCondition(op: string, value: FilterScalar | FilterScalar[], params: SqlParams): string {
  const any = (values: FilterScalar[]): string => `(m.tags ?| ${params.add(values.map(String))}::text[])`;
  const negate = (sql: string): string => `(NOT coalesce(${sql}, FALSE))`;
  switch (op) {
    case 'eq':
    case 'contains':
      return any([value as FilterScalar]);
    case 'ne':
      return negate(any([value as FilterScalar]));
    case 'in':
      return any(value as FilterScalar[]);
    case 'nin':
      return negate(any(value as FilterScalar[]));
    case 'exists':
      return value === true ? 'jsonb_array_length(m.tags) > 0' : 'jsonb_array_length(m.tags) = 0';
    default:
      throw new Error(`unhandled tags operator ${op}`);
  }
}

/** True when the value at `v`, or one element of it if it is an array, equals one of `values` (typed). */
function elementMatch(v: string, values: FilterScalar[], params: SqlParams): string {
  if (values.length === 0) return 'FALSE';
  const candidates = params.add(JSON.stringify(values));
  // jsonb equality is typed ('"1"' <> '1') and numeric (1 = 1.0); an object never matches.
  return `(${v} IS NOT NULL AND EXISTS (SELECT 1 FROM jsonb_array_elements(${candidates}::jsonb) AS c(x)
    WHERE c.x = ${v} OR (jsonb_typeof(${v}) = 'array' AND ${v} @> jsonb_build_array(c.x))))`;
}

function metadataCondition(field: Extract<FilterField, { kind: 'metadata' }>, op: string, value: FilterScalar | FilterScalar[], params: SqlParams): string {
  const path = `${params.add(field.path)}::text[]`;
  const v = `(m.metadata #> ${path})`;
  const negate = (sql: string): string => `(NOT coalesce(${sql}, FALSE))`;
  switch (op) {
    case 'eq':
      return elementMatch(v, [value as FilterScalar], params);
    case 'ne':
      return negate(elementMatch(v, [value as FilterScalar], params));
    case 'in':
      return elementMatch(v, value as FilterScalar[], params);
    case 'nin':
      return negate(elementMatch(v, value as FilterScalar[], params));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const sqlOp = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[op];
      // CASE, not AND: Postgres does not promise to test the type before casting.
      if (typeof value === 'number') {
        return `(CASE WHEN jsonb_typeof(${v}) = 'number' THEN (${v})::numeric ${sqlOp} ${params.add(value)}::numeric ELSE FALSE END)`;
      }
      return `(CASE WHEN jsonb_typeof(${v}) = 'string' THEN (m.metadata #>> ${path}) COLLATE "C" ${sqlOp} ${params.add(value)}::text ELSE FALSE END)`;
    }
    case 'contains':
      if (typeof value === 'string') {
        return `((CASE WHEN jsonb_typeof(${v}) = 'string' THEN strpos(m.metadata #>> ${path}, ${params.add(value)}::text) > 0 ELSE FALSE END)
          OR ${elementMatch(v, [value], params)})`;
      }
      return elementMatch(v, [value as FilterScalar], params);
    case 'exists':
      return value === true ? `${v} IS NOT NULL` : `${v} IS NULL`;
    default:
      throw new Error(`unhandled operator ${op}`);
  }
}
