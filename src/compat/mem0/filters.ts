import { MemspaceError } from '../../core/errors.js';
import { spaceKey, validateSpaceName } from '../../core/space-name.js';

/** A filter in memspace's language (docs/search.md), as the engine parses it. */
export type SpaceFilter = Record<string, unknown>;

/**
 * The spaces named by `user/namespace` user ids in one request. A request reaches one space, so
 * every namespace it names must be the same one (`SPACE_CONFLICT` otherwise).
 */
export class Namespaces {
  private named: string | undefined;

  /**
   * Splits a mem0 `user_id` at its last `/`: `alice/acme` is user `alice` of space `acme`; a
   * user id without `/` is a user of whichever space the request reaches. Records the space.
   */
  user(value: string, path: string): string {
    const slash = value.lastIndexOf('/');
    if (slash === -1) return value;
    const user = value.slice(0, slash);
    const space = value.slice(slash + 1);
    if (user === '' || space === '') invalid(path, 'a namespaced user id is "user/namespace", both parts non-empty');
    validateSpaceName(space);
    if (this.named !== undefined && spaceKey(this.named) !== spaceKey(space)) {
      throw new MemspaceError('SPACE_CONFLICT', 'the user ids of this request name different namespaces', { namespaces: [this.named, space] });
    }
    this.named ??= space;
    return user;
  }

  /** The space the user ids named, if any. */
  space(): string | undefined {
    return this.named;
  }
}

/** mem0 comparison operators and their memspace equivalents. */
const OPERATORS: Readonly<Record<string, string>> = { eq: 'eq', ne: 'ne', gt: 'gt', gte: 'gte', lt: 'lt', lte: 'lte', in: 'in', nin: 'nin', contains: 'contains' };
/** Operators each kind of field takes. */
const ENTITY_OPS = new Set(['eq', 'ne', 'in', 'nin']);
const TIME_OPS = new Set(['eq', 'ne', 'gt', 'gte', 'lt', 'lte']);
const CATEGORY_OPS = new Set(['eq', 'ne', 'in', 'nin', 'contains']);
const METADATA_OPS = new Set(Object.keys(OPERATORS));
const ENTITY_FIELDS: Readonly<Record<string, string>> = { user_id: 'userId', agent_id: 'agentId', run_id: 'runId' };
const TIME_FIELDS: Readonly<Record<string, string>> = { created_at: 'createdAt', updated_at: 'updatedAt' };
const MAX_DEPTH = 16;

/**
 * Translates mem0 `filters` into a memspace filter: `AND`/`OR`/`NOT` (either case), the entity
 * ids `user_id`/`agent_id`/`run_id` (a value or `{eq|ne|in|nin}`, `"*"` for "has one"),
 * `created_at`/`updated_at` (`{gt|gte|lt|lte|eq|ne}` with dates or ISO times), `categories`
 * (memspace tags: a value, `{in|nin|contains|eq|ne}`) and `metadata` (`{key: value}` or
 * `{key: {op: value}}`). Several keys in one object are joined with AND. Anything else
 * (`app_id`, `icontains`, `keywords`...) is `VALIDATION_FAILED`, never ignored.
 */
export function translateFilters(filters: unknown, namespaces: Namespaces): SpaceFilter {
  return node(filters, 'filters', 0, namespaces);
}

/** Joins filters with `and`, dropping absent ones; undefined when none is left. */
export function allOf(...filters: (SpaceFilter | undefined)[]): SpaceFilter | undefined {
  const parts = filters.filter((f): f is SpaceFilter => f !== undefined);
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : { and: parts };
}

/** Conditions of entity ids given at the top level of a request (`user_id=...`). */
export function entityFilter(ids: { user_id?: string | null | undefined; agent_id?: string | null | undefined; run_id?: string | null | undefined }, namespaces: Namespaces): SpaceFilter | undefined {
  const parts: SpaceFilter[] = [];
  if (ids.user_id != null) parts.push({ userId: { eq: namespaces.user(ids.user_id, 'user_id') } });
  if (ids.agent_id != null) parts.push({ agentId: { eq: ids.agent_id } });
  if (ids.run_id != null) parts.push({ runId: { eq: ids.run_id } });
  return allOf(...parts);
}

/** Conditions of a `metadata` object given at the top level (each key equal to its value). */
export function metadataFilter(metadata: Record<string, unknown> | null | undefined): SpaceFilter | undefined {
  if (metadata == null) return undefined;
  return allOf(...Object.entries(metadata).map(([key, value]) => ({ [`metadata.${key}`]: { eq: scalar(value, `metadata.${key}`) } })));
}

/** Memories carrying any of `categories` (memspace tags). */
export function categoriesFilter(categories: readonly string[] | null | undefined): SpaceFilter | undefined {
  return categories == null || categories.length === 0 ? undefined : { tags: { in: [...categories] } };
}

/** Memories created within `[start, end]`; a bare end date includes that whole day. */
export function dateRangeFilter(start: string | null | undefined, end: string | null | undefined): SpaceFilter | undefined {
  return allOf(
    start == null ? undefined : { createdAt: { gte: start } },
    end == null ? undefined : /^\d{4}-\d{2}-\d{2}$/.test(end) ? { createdAt: { lt: nextDay(end) } } : { createdAt: { lte: end } },
  );
}

function node(input: unknown, path: string, depth: number, ns: Namespaces): SpaceFilter {
  if (depth > MAX_DEPTH) invalid(path, `filters nest deeper than ${MAX_DEPTH} levels`);
  if (!isObject(input)) invalid(path, 'a filter is a JSON object');
  const parts: SpaceFilter[] = [];
  for (const [key, value] of Object.entries(input)) {
    const here = `${path}.${key}`;
    const upper = key.toUpperCase();
    if ((upper === 'AND' || upper === 'OR') && (key === upper || key === key.toLowerCase())) {
      if (!Array.isArray(value) || value.length === 0) invalid(here, `${key} takes a non-empty array of filters`);
      parts.push({ [upper.toLowerCase()]: value.map((child, i) => node(child, `${here}[${i}]`, depth + 1, ns)) });
    } else if (upper === 'NOT' && (key === upper || key === key.toLowerCase())) {
      const inner = Array.isArray(value) ? allOf(...value.map((child, i) => node(child, `${here}[${i}]`, depth + 1, ns))) : node(value, here, depth + 1, ns);
      if (inner === undefined) invalid(here, 'NOT takes a filter');
      parts.push({ not: inner });
    } else if (key in ENTITY_FIELDS) {
      parts.push(field(ENTITY_FIELDS[key]!, value, here, ENTITY_OPS, (v, p) => entityValue(key, v, p, ns)));
    } else if (key in TIME_FIELDS) {
      parts.push(field(TIME_FIELDS[key]!, value, here, TIME_OPS, timeValue));
    } else if (key === 'categories') {
      parts.push(field('tags', value, here, CATEGORY_OPS, categoryValue, { contains: 'eq' }));
    } else if (key === 'metadata') {
      if (!isObject(value) || Object.keys(value).length === 0) invalid(here, 'metadata takes an object of keys and values (or {op: value})');
      for (const [mkey, mvalue] of Object.entries(value)) parts.push(field(`metadata.${mkey}`, mvalue, `${here}.${mkey}`, METADATA_OPS, scalar));
    } else if (key === 'app_id') {
      invalid(here, 'memspace has no app scope; give each app a space of its own');
    } else {
      invalid(here, `unsupported filter field "${key}"; use user_id, agent_id, run_id, created_at, updated_at, categories, metadata, AND, OR or NOT`);
    }
  }
  if (parts.length === 0) invalid(path, 'an empty filter matches nothing in particular; leave it out instead');
  return parts.length === 1 ? parts[0]! : { and: parts };
}

/**
 * One field's condition: a bare value is equality, `"*"` is "has a value", an object holds
 * operators (each checked against `allowed`, renamed by `rename`).
 */
function field(
  name: string,
  value: unknown,
  path: string,
  allowed: ReadonlySet<string>,
  convert: (value: unknown, path: string) => unknown,
  rename: Readonly<Record<string, string>> = {},
): SpaceFilter {
  if (value === '*') return { [name]: { exists: true } };
  if (!isObject(value)) return { [name]: { eq: convert(value, path) } };
  const ops = Object.entries(value);
  if (ops.length === 0) invalid(path, 'a condition needs an operator');
  const conditions: Record<string, unknown> = {};
  for (const [op, operand] of ops) {
    const here = `${path}.${op}`;
    if (op === 'icontains') invalid(here, 'case-insensitive matching (icontains) is not supported; use contains');
    if (!allowed.has(op)) invalid(here, `unsupported operator "${op}" here; use one of ${[...allowed].join(', ')}`);
    const target = rename[op] ?? OPERATORS[op]!;
    if (op === 'in' || op === 'nin') {
      if (!Array.isArray(operand) || operand.length === 0) invalid(here, `"${op}" takes a non-empty array`);
      conditions[target] = operand.map((item, i) => convert(item, `${here}[${i}]`));
    } else {
      conditions[target] = convert(operand, here);
    }
  }
  return { [name]: conditions };
}

function entityValue(key: string, value: unknown, path: string, ns: Namespaces): string {
  if (typeof value !== 'string' || value === '') invalid(path, `${key} compares with a non-empty string`);
  return key === 'user_id' ? ns.user(value, path) : value;
}

function timeValue(value: unknown, path: string): string {
  if (typeof value !== 'string' || !Number.isFinite(Date.parse(value))) invalid(path, 'compare times with a date (YYYY-MM-DD) or an ISO-8601 time');
  return value;
}

function categoryValue(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') invalid(path, 'categories compare with a non-empty string');
  return value;
}

function scalar(value: unknown, path: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return value;
  return invalid(path, 'values are strings, finite numbers, booleans or null');
}

function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(path: string, message: string): never {
  throw new MemspaceError('VALIDATION_FAILED', `invalid filters: ${path}: ${message}`, { issues: [{ path, message }] });
}
