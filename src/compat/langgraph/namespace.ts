import { createHash } from 'node:crypto';
import { InvalidNamespaceError, validateNamespace, type MatchCondition } from '@langchain/langgraph-checkpoint';
import { MemspaceError } from '../../core/errors.js';
import { validateSpaceName } from '../../core/space-name.js';

/**
 * How LangGraph namespaces map to memspace spaces.
 *
 * - `{ space }`: one fixed space holds every namespace, the whole tuple being a path inside it.
 * - `{ spaceFromFirstLabel: true }`: the first label names the space (after `spacePrefix`), so
 *   `["alice", "memories"]` lives in space `alice` (or `lg.alice` with `spacePrefix: "lg."`).
 *   Each user's items then sit in a space of their own, with its own grants, quotas and audit.
 *
 * In both modes an item keeps its whole namespace tuple, which is what `search`, `get` and
 * `listNamespaces` compare (exactly and case-sensitively, whatever the space's name case).
 */
export type NamespaceMapping =
  | { space: string }
  | {
      spaceFromFirstLabel: true;
      /** Put before the first label to make the space name; confines the store to spaces under it. @default "" */
      spacePrefix?: string;
    };

/** The resolved mapping: the space of a namespace and the spaces a listing may have to visit. */
export class SpaceMapper {
  readonly fixed: string | undefined;
  readonly prefix: string;

  constructor(mapping: NamespaceMapping) {
    if ('space' in mapping) {
      this.fixed = validateSpaceName(mapping.space);
      this.prefix = '';
    } else {
      this.fixed = undefined;
      this.prefix = mapping.spacePrefix ?? '';
      if (!/^[a-zA-Z0-9_.-]{0,63}$/.test(this.prefix)) {
        throw new MemspaceError('INVALID_SPACE', 'spacePrefix holds the characters of space names (A-Z, a-z, 0-9, "_", ".", "-")', { spacePrefix: this.prefix });
      }
    }
  }

  /** The space holding `namespace`, or undefined for the empty namespace when each label names a space. */
  spaceOf(namespace: readonly string[]): string | undefined {
    if (this.fixed !== undefined) return this.fixed;
    const first = namespace[0];
    if (first === undefined) return undefined;
    const name = this.prefix + first;
    try {
      return validateSpaceName(name);
    } catch (error) {
      const reason = error instanceof MemspaceError ? error.message : String(error);
      throw new MemspaceError(
        'INVALID_SPACE',
        `the first label of namespace ${JSON.stringify(namespace)} names the memspace space "${name}", which is not a valid space name (${reason})`,
        { namespace: [...namespace], space: name },
        { cause: error },
      );
    }
  }
}

/** LangGraph's namespace rules for an item's namespace (put): non-empty, string labels without ".", ":" or NUL. */
export function checkItemNamespace(namespace: unknown): string[] {
  checkArray(namespace);
  validateNamespace(namespace, { allowReservedRoot: true });
  return namespace;
}

/** LangGraph's rules for a namespace that is read (get, delete, search prefix): the empty one is allowed. */
export function checkReadNamespace(namespace: unknown): string[] {
  checkArray(namespace);
  validateNamespace(namespace, { allowEmpty: true, allowReservedRoot: true });
  return namespace;
}

function checkArray(namespace: unknown): asserts namespace is string[] {
  if (!Array.isArray(namespace)) throw new InvalidNamespaceError(`Namespace must be an array of strings, got ${typeof namespace}.`);
}

/**
 * The memory id of an item: a hash of its namespace and key. Being deterministic, it makes
 * `get` a primary-key read and lets the store's uniqueness decide between concurrent puts.
 */
export function itemId(namespace: readonly string[], key: string): string {
  return `lg-${createHash('sha256').update(JSON.stringify([namespace, key])).digest('hex').slice(0, 40)}`;
}

/**
 * Labels of a namespace as filterable metadata: `p0, p1, ...` from the start and `s0, s1, ...`
 * from the end. Prefix and suffix conditions compare whole labels, so `["user1"]` can never
 * match `["user10"]`.
 */
export function labelFields(namespace: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  namespace.forEach((label, i) => {
    out[`p${i}`] = label;
    out[`s${namespace.length - 1 - i}`] = label;
  });
  return out;
}

/** Metadata path of the labels of an item. */
export const LABELS_PATH = 'metadata.langgraph.labels';

/** Filter conditions selecting the items whose namespace starts with `prefix`. */
export function prefixFilter(prefix: readonly string[]): Record<string, unknown>[] {
  return prefix.map((label, i) => ({ [`${LABELS_PATH}.p${i}`]: { eq: label } }));
}

/** Filter conditions narrowing a listing by match conditions; `*` labels are left to {@link matches}. */
export function matchFilter(conditions: readonly MatchCondition[]): Record<string, unknown>[] {
  return conditions.flatMap(({ matchType, path }) =>
    path.flatMap((label, i) => {
      if (label === '*') return [];
      const field = matchType === 'prefix' ? `p${i}` : `s${path.length - 1 - i}`;
      return [{ [`${LABELS_PATH}.${field}`]: { eq: label } }];
    }),
  );
}

/** True when `namespace` meets every condition, `*` matching any one label. */
export function matches(namespace: readonly string[], conditions: readonly MatchCondition[]): boolean {
  return conditions.every(({ matchType, path }) => {
    if (path.length > namespace.length) return false;
    const offset = matchType === 'prefix' ? 0 : namespace.length - path.length;
    return path.every((label, i) => label === '*' || label === namespace[offset + i]);
  });
}

/** Orders namespaces label by label, by code point, shorter first on a tie. */
export function compareNamespaces(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}
