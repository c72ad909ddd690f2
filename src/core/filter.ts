import { MemspaceError } from './errors.js';

/** Comparison operators of the filter language (docs/search.md). */
export const FILTER_OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'contains', 'exists'] as const;
/** One comparison operator. */
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/** Top-level memory fields a filter may name; metadata is reached as `metadata.<path>`. */
export const FILTER_COLUMNS = ['tags', 'userId', 'agentId', 'runId', 'kind', 'createdAt', 'updatedAt', 'expiresAt', 'importance', 'id', 'supersededBy'] as const;
/** A top-level field a filter may name. */
export type FilterColumn = (typeof FILTER_COLUMNS)[number];

/** A scalar a condition compares with. Times are given as ISO strings and stored here as epoch ms. */
export type FilterScalar = string | number | boolean | null;

/** The field a condition looks at. */
export type FilterField = { kind: 'column'; name: FilterColumn } | { kind: 'metadata'; path: string[] };

/** A parsed filter: a tree of conditions combined with and / or / not. */
export type FilterNode =
  | { kind: 'and'; nodes: FilterNode[] }
  | { kind: 'or'; nodes: FilterNode[] }
  | { kind: 'not'; node: FilterNode }
  | { kind: 'cond'; field: FilterField; op: FilterOperator; value: FilterScalar | FilterScalar[] };

/** The filter that matches every memory. */
export const MATCH_ALL: FilterNode = { kind: 'and', nodes: [] };

const TIME_COLUMNS: ReadonlySet<string> = new Set(['createdAt', 'updatedAt', 'expiresAt']);
const NUMERIC_COLUMNS: ReadonlySet<string> = new Set(['importance']);
const TEXT_COLUMNS: ReadonlySet<string> = new Set(['userId', 'agentId', 'runId', 'kind', 'id', 'supersededBy']);
const METADATA_KEY = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_DEPTH = 16;
const MAX_CONDITIONS = 256;

/**
 * Parses a filter object such as `{"metadata.topic": {"eq": "x"}, "or": [...]}` into a
 * {@link FilterNode}. Several keys in one object are joined with `and`; a bare scalar is
 * shorthand for `eq`. Unknown operators and fields are `VALIDATION_FAILED`, never ignored.
 */
export function parseFilter(input: unknown): FilterNode {
  const counter = { conditions: 0 };
  return parseNode(input, 'filter', 0, counter);
}

/** Joins several filters with `and`, dropping the ones that match everything. */
export function andFilters(...nodes: (FilterNode | undefined)[]): FilterNode {
  const parts = nodes.filter((n): n is FilterNode => n !== undefined && !(n.kind === 'and' && n.nodes.length === 0));
  if (parts.length === 1) return parts[0]!;
  return { kind: 'and', nodes: parts };
}

/** A condition on a top-level column, for filters the engine builds itself. */
export function columnCondition(name: FilterColumn, op: FilterOperator, value: FilterScalar | FilterScalar[]): FilterNode {
  return { kind: 'cond', field: { kind: 'column', name }, op, value };
}

function parseNode(input: unknown, path: string, depth: number, counter: { conditions: number }): FilterNode {
  if (depth > MAX_DEPTH) fail(path, `filter nests deeper than ${MAX_DEPTH} levels`);
  if (!isPlainObject(input)) fail(path, 'a filter must be a JSON object');
  const nodes: FilterNode[] = [];
  for (const [key, value] of Object.entries(input)) {
    const here = `${path}.${key}`;
    if (key === 'and' || key === 'or') {
      if (!Array.isArray(value)) fail(here, `"${key}" takes an array of filters`);
      const children = value.map((child, i) => parseNode(child, `${here}[${i}]`, depth + 1, counter));
      nodes.push({ kind: key, nodes: children });
    } else if (key === 'not') {
      nodes.push({ kind: 'not', node: parseNode(value, here, depth + 1, counter) });
    } else {
      const field = parseField(key, here);
      for (const cond of parseConditions(field, value, here)) {
        counter.conditions += 1;
        if (counter.conditions > MAX_CONDITIONS) fail(path, `a filter may hold at most ${MAX_CONDITIONS} conditions`);
        nodes.push(cond);
      }
    }
  }
  return nodes.length === 1 ? nodes[0]! : { kind: 'and', nodes };
}

function parseField(key: string, path: string): FilterField {
  if (key.startsWith('metadata.')) {
    const segments = key.slice('metadata.'.length).split('.');
    for (const segment of segments) {
      if (!METADATA_KEY.test(segment)) fail(path, 'metadata paths are dot-separated keys of A-Z, a-z, 0-9, "_" or "-"');
    }
    return { kind: 'metadata', path: segments };
  }
  if ((FILTER_COLUMNS as readonly string[]).includes(key)) return { kind: 'column', name: key as FilterColumn };
  return fail(path, `unknown field "${key}"; use one of ${FILTER_COLUMNS.join(', ')} or metadata.<key>`);
}

function parseConditions(field: FilterField, value: unknown, path: string): FilterNode[] {
  if (!isPlainObject(value)) {
    return [{ kind: 'cond', field, op: 'eq', value: parseScalar(field, value, path) }];
  }
  const entries = Object.entries(value);
  if (entries.length === 0) fail(path, 'a condition needs at least one operator');
  return entries.map(([op, operand]) => {
    const here = `${path}.${op}`;
    if (!(FILTER_OPERATORS as readonly string[]).includes(op)) {
      fail(here, `unknown operator "${op}"; use one of ${FILTER_OPERATORS.join(', ')}`);
    }
    return { kind: 'cond', field, op: op as FilterOperator, value: parseOperand(field, op as FilterOperator, operand, here) };
  });
}

function parseOperand(field: FilterField, op: FilterOperator, operand: unknown, path: string): FilterScalar | FilterScalar[] {
  if (field.kind === 'column' && field.name === 'tags' && ['gt', 'gte', 'lt', 'lte'].includes(op)) {
    fail(path, 'tags support eq, ne, in, nin, contains and exists');
  }
  switch (op) {
    case 'exists':
      if (typeof operand !== 'boolean') fail(path, '"exists" takes true or false');
      return operand;
    case 'in':
    case 'nin':
      if (!Array.isArray(operand)) fail(path, `"${op}" takes an array`);
      if (operand.length > 1000) fail(path, `"${op}" takes at most 1000 values`);
      return operand.map((item, i) => parseScalar(field, item, `${path}[${i}]`));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const scalar = parseScalar(field, operand, path);
      if (typeof scalar !== 'number' && typeof scalar !== 'string') fail(path, `"${op}" compares numbers, strings or times`);
      return scalar;
    }
    default:
      return parseScalar(field, operand, path);
  }
}

function parseScalar(field: FilterField, value: unknown, path: string): FilterScalar {
  if (field.kind === 'column' && NUMERIC_COLUMNS.has(field.name) && typeof value !== 'number') {
    fail(path, `${field.name} compares with a number`);
  }
  if (field.kind === 'column' && TEXT_COLUMNS.has(field.name) && typeof value !== 'string' && value !== null) {
    fail(path, `${field.name} compares with a string or null`);
  }
  if (field.kind === 'column' && field.name === 'tags' && typeof value !== 'string') fail(path, 'tags compare with a string');
  if (field.kind === 'column' && TIME_COLUMNS.has(field.name)) {
    if (value === null) return null;
    const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (!Number.isFinite(ms)) fail(path, `${field.name} compares with an ISO-8601 time`);
    return ms;
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return fail(path, 'values are strings, finite numbers, booleans or null');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(path: string, message: string): never {
  throw new MemspaceError('VALIDATION_FAILED', `invalid filter: ${message}`, { issues: [{ path, message }] });
}
