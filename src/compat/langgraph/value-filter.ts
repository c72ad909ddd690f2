import { MemspaceError } from '../../core/errors.js';

/** LangGraph's filter operators and the memspace operators they become. */
const OPERATORS: Readonly<Record<string, string>> = {
  $eq: 'eq',
  $ne: 'ne',
  $gt: 'gt',
  $gte: 'gte',
  $lt: 'lt',
  $lte: 'lte',
  $in: 'in',
  $nin: 'nin',
};

/** Metadata path under which an item's value is stored. */
export const VALUE_PATH = 'metadata.value';

const FIELD_SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Turns a LangGraph search filter (`{ status: "active", score: { $gte: 3 } }`) into memspace
 * filter conditions on the item's value, so the space applies it, also inside a semantic
 * search. A key with dots names a nested field (`"author.name"`); keys are made of A-Z, a-z,
 * 0-9, "_" and "-". Comparisons are typed as in memspace: `"1"` does not equal `1`, and
 * `$gt` and its kin compare numbers with numbers and strings with strings.
 */
export function valueFilter(filter: Record<string, unknown> | undefined): Record<string, unknown>[] {
  if (filter === undefined) return [];
  return Object.entries(filter).map(([key, condition]) => {
    const segments = key.split('.');
    if (!segments.every((s) => FIELD_SEGMENT.test(s))) {
      fail(key, 'filter keys are field names of A-Z, a-z, 0-9, "_" or "-", nested with "."');
    }
    const field = `${VALUE_PATH}.${key}`;
    if (isOperatorObject(condition)) {
      const ops = Object.entries(condition);
      if (ops.length === 0) fail(key, 'a condition needs at least one operator');
      return { [field]: Object.fromEntries(ops.map(([op, operand]) => [OPERATORS[op]!, operand])) };
    }
    if (condition !== null && typeof condition === 'object') {
      fail(key, 'compare with a string, number, boolean or null, or use $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin');
    }
    return { [field]: { eq: condition } };
  });
}

function isOperatorObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  const dollar = keys.filter((k) => k.startsWith('$'));
  if (dollar.length === 0) return false;
  const unknown = keys.find((k) => !Object.hasOwn(OPERATORS, k));
  if (unknown !== undefined) fail(unknown, `unknown operator "${unknown}"; use one of ${Object.keys(OPERATORS).join(', ')}`);
  return true;
}

function fail(path: string, message: string): never {
  throw new MemspaceError('VALIDATION_FAILED', `invalid filter: ${path}: ${message}`, { issues: [{ path: `filter.${path}`, message }] });
}
