/**
 * What any JSON a caller sends must be, whatever the route or tool: strings of well-formed
 * Unicode (a lone surrogate would be stored as U+FFFD, changing what was acknowledged), finite
 * numbers, and a nesting that every later walk over it (filters, export, JSON.stringify) can
 * afford. `metadata` has tighter limits of its own ({@link METADATA_LIMITS}).
 */

/** Deepest nesting of objects and arrays in any input, counting the input itself as level 1. */
export const MAX_INPUT_DEPTH = 64;

/** Limits of a memory's `metadata`: levels of objects and arrays (itself the first), and keys per object. */
export const METADATA_LIMITS = { depth: 16, keys: 256 } as const;

/** A value that breaks a limit: where, what, and the limit with its unit when there is one. */
export interface JsonProblem {
  path: string;
  message: string;
  limit?: number;
  unit?: string;
}

/**
 * The first problem of `value`, or undefined. It is walked without recursion, so no nesting can
 * exhaust the stack, and scalars are checked where they stand (a vector costs one loop).
 * `path` names the value itself ('' for the root of an input); `limits` bound its nesting and
 * keys per object.
 */
export function jsonProblem(value: unknown, path: string, limits: { depth: number; keys?: number }): JsonProblem | undefined {
  const first = scalarProblem(value, path);
  if (first !== undefined || typeof value !== 'object' || value === null) return first;
  const stack: [object, string, number][] = [[value, path, 1]];
  while (stack.length > 0) {
    const [node, at, level] = stack.pop()!;
    if (level > limits.depth) return { path: at, message: `nested deeper than ${limits.depth} levels`, limit: limits.depth, unit: 'levels' };
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const item: unknown = node[i];
        if (typeof item === 'object' && item !== null) stack.push([item, join(at, String(i)), level + 1]);
        else {
          const problem = scalarProblem(item, at, i);
          if (problem !== undefined) return problem;
        }
      }
    } else {
      const keys = Object.keys(node);
      if (limits.keys !== undefined && keys.length > limits.keys) return { path: at, message: `more than ${limits.keys} keys`, limit: limits.keys, unit: 'keys' };
      for (const key of keys) {
        if (!key.isWellFormed()) return { path: at, message: 'a key is not well-formed Unicode: it holds a lone surrogate' };
        const item: unknown = (node as Record<string, unknown>)[key];
        if (typeof item === 'object' && item !== null) stack.push([item, join(at, key), level + 1]);
        else {
          const problem = scalarProblem(item, at, key);
          if (problem !== undefined) return problem;
        }
      }
    }
  }
  return undefined;
}

/** The problem of a string or number at `path` (and `key` below it, named only when it fails). */
function scalarProblem(value: unknown, path: string, key?: string | number): JsonProblem | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path: key === undefined ? path : join(path, String(key)), message: 'not a finite number' };
  if (typeof value === 'string' && !value.isWellFormed()) return { path: key === undefined ? path : join(path, String(key)), message: 'not well-formed Unicode: it holds a lone surrogate' };
  return undefined;
}

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);
