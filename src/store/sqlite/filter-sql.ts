import type { FilterColumn, FilterField, FilterNode, FilterScalar } from '../../core/filter.js';

/** A SQL boolean expression over the alias `m` (the memories table) and its bound parameters. */
export interface SqlCondition {
  sql: string;
  params: unknown[];
}

const COLUMN_SQL: Readonly<Record<Exclude<FilterColumn, 'tags'>, string>> = {
  id: 'm.id',
  userId: 'm.user_id',
  agentId: 'm.agent_id',
  runId: 'm.run_id',
  kind: 'm.kind',
  importance: 'm.importance',
  createdAt: 'm.created_at',
  updatedAt: 'm.updated_at',
  expiresAt: 'm.expires_at',
};

/**
 * Compiles a parsed filter into SQL. Every value is a bound parameter, and metadata paths are
 * parameters too (their keys were restricted by the parser), so no input reaches the SQL text.
 */
export function compileFilter(node: FilterNode): SqlCondition {
  switch (node.kind) {
    case 'and':
    case 'or': {
      if (node.nodes.length === 0) return { sql: node.kind === 'and' ? '1' : '0', params: [] };
      const parts = node.nodes.map(compileFilter);
      return { sql: `(${parts.map((p) => p.sql).join(node.kind === 'and' ? ' AND ' : ' OR ')})`, params: parts.flatMap((p) => p.params) };
    }
    case 'not': {
      const inner = compileFilter(node.node);
      return { sql: `(NOT ${inner.sql})`, params: inner.params };
    }
    case 'cond':
      return node.field.kind === 'metadata'
        ? metadataCondition(node.field, node.op, node.value)
        : node.field.name === 'tags'
          ? tagsCondition(node.op, node.value)
          : columnCondition(COLUMN_SQL[node.field.name], node.op, node.value);
  }
}

function columnCondition(col: string, op: string, value: FilterScalar | FilterScalar[]): SqlCondition {
  switch (op) {
    case 'eq':
      return value === null ? { sql: `${col} IS NULL`, params: [] } : { sql: `${col} = ?`, params: [value] };
    case 'ne':
      return { sql: `${col} IS NOT ?`, params: [value] };
    case 'in':
    case 'nin': {
      const values = value as FilterScalar[];
      const nonNull = values.filter((v) => v !== null);
      const hasNull = nonNull.length < values.length;
      const list = nonNull.length > 0 ? `${col} IN (${nonNull.map(() => '?').join(',')})` : '0';
      const sql = hasNull ? `(${list} OR ${col} IS NULL)` : list;
      return { sql: op === 'in' ? `(${sql})` : `(NOT coalesce(${sql}, 0))`, params: nonNull };
    }
    case 'gt':
      return { sql: `${col} > ?`, params: [value] };
    case 'gte':
      return { sql: `${col} >= ?`, params: [value] };
    case 'lt':
      return { sql: `${col} < ?`, params: [value] };
    case 'lte':
      return { sql: `${col} <= ?`, params: [value] };
    case 'contains':
      return typeof value === 'string' ? { sql: `instr(${col}, ?) > 0`, params: [value] } : columnCondition(col, 'eq', value);
    case 'exists':
      return { sql: value === true ? `${col} IS NOT NULL` : `${col} IS NULL`, params: [] };
    default:
      throw new Error(`unhandled operator ${op}`);
  }
}

function tagsCondition(op: string, value: FilterScalar | FilterScalar[]): SqlCondition {
  const any = (values: FilterScalar[]): SqlCondition => ({
    sql: `EXISTS (SELECT 1 FROM json_each(m.tags) t WHERE t.value IN (${values.map(() => '?').join(',') || 'NULL'}))`,
    params: values,
  });
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
      return { sql: value === true ? 'json_array_length(m.tags) > 0' : 'json_array_length(m.tags) = 0', params: [] };
    default:
      throw new Error(`unhandled tags operator ${op}`);
  }
}

/** JSON path of a metadata field, e.g. `$."a"."b"`; keys were restricted to `[A-Za-z0-9_-]`. */
function jsonPath(field: Extract<FilterField, { kind: 'metadata' }>): string {
  return `$${field.path.map((k) => `."${k}"`).join('')}`;
}

/**
 * Metadata comparisons are typed: `"1"` never equals `1`. Equality also matches an element of
 * an array value (`{"eq": "x"}` matches `["x", "y"]`), as document databases do.
 */
function metadataCondition(field: Extract<FilterField, { kind: 'metadata' }>, op: string, value: FilterScalar | FilterScalar[]): SqlCondition {
  const path = jsonPath(field);
  const type = `json_type(m.metadata, ?)`;
  const extract = `json_extract(m.metadata, ?)`;
  switch (op) {
    case 'eq':
      return elementMatch(path, [value as FilterScalar]);
    case 'ne':
      return negate(elementMatch(path, [value as FilterScalar]));
    case 'in':
      return elementMatch(path, value as FilterScalar[]);
    case 'nin':
      return negate(elementMatch(path, value as FilterScalar[]));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const sqlOp = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[op];
      const types = typeof value === 'number' ? `('integer','real')` : `('text')`;
      return { sql: `(${type} IN ${types} AND ${extract} ${sqlOp} ?)`, params: [path, path, value] };
    }
    case 'contains':
      if (typeof value === 'string') {
        return {
          sql: `((${type} = 'text' AND instr(${extract}, ?) > 0) OR ${elementMatch(path, [value]).sql})`,
          params: [path, path, value, ...elementMatch(path, [value]).params],
        };
      }
      return elementMatch(path, [value as FilterScalar]);
    case 'exists':
      return { sql: value === true ? `${type} IS NOT NULL` : `${type} IS NULL`, params: [path] };
    default:
      throw new Error(`unhandled operator ${op}`);
  }
}

/** True when the value at `path`, or one element of it if it is an array, equals one of `values`. */
function elementMatch(path: string, values: FilterScalar[]): SqlCondition {
  if (values.length === 0) return { sql: '0', params: [] };
  const tests: string[] = [];
  const params: unknown[] = [path, path];
  for (const v of values) {
    if (v === null) tests.push(`j.type = 'null'`);
    else if (typeof v === 'boolean') tests.push(`j.type = '${v ? 'true' : 'false'}'`);
    else if (typeof v === 'number') {
      tests.push(`(j.type IN ('integer','real') AND j.value = ?)`);
      params.push(v);
    } else {
      tests.push(`(j.type = 'text' AND j.value = ?)`);
      params.push(v);
    }
  }
  // json_each over a scalar yields the scalar itself, over an array its elements.
  return {
    sql: `(json_type(m.metadata, ?) IS NOT 'object' AND EXISTS (SELECT 1 FROM json_each(m.metadata, ?) j WHERE ${tests.join(' OR ')}))`,
    params,
  };
}

function negate(cond: SqlCondition): SqlCondition {
  return { sql: `(NOT coalesce(${cond.sql}, 0))`, params: cond.params };
}
