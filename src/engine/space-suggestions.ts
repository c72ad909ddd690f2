import { isMemspaceError, MemspaceError } from '../core/errors.js';
import type { Grant } from '../core/grants.js';
import type { Backend } from '../core/ports/backend.js';
import { spaceKey } from '../core/space-name.js';
import { closestName, createSpaceHint, spaceNotFoundMessage } from '../core/suggest.js';
import type { SpaceRecord } from '../core/types.js';

/**
 * Most catalogue rows one "did you mean" reads, over all its look-ups: a not-found answer costs
 * at most this much however many spaces exist (or however many a scanner asks for).
 */
export const SUGGESTION_SCAN_LIMIT = 1000;

/** Who may be shown a space: the guard's rule, given the space's record. */
export type SpaceVisibility = (record: SpaceRecord) => boolean;

/**
 * "Did you mean" for `SPACE_NOT_FOUND`: the closest name (core/suggest.ts) among the spaces the
 * caller may see, never another. Candidates come from the caller's grants: the spaces its
 * exact grants name, the spaces under its prefix grants and those of its project grants, so
 * an invisible space is never even read. The answer depends only on the asked name and the
 * visible spaces, so a space that exists but is hidden is answered exactly as a missing one.
 *
 * The work is bounded ({@link SUGGESTION_SCAN_LIMIT}): under a prefix holding more spaces than
 * that (the root key's, on a large catalogue), the look-up narrows to the names that share the
 * asked name's next character, so a typo in the first character there finds nothing.
 */
export class SpaceSuggestions {
  constructor(private readonly backend: Pick<Backend, 'spaces' | 'projects'>) {}

  /** The closest name to `asked` among the spaces `grants` reach and `visible` allows, or undefined. */
  async closest(asked: string, grants: readonly Grant[], visible: SpaceVisibility): Promise<string | undefined> {
    const names = new Set<string>();
    let budget = SUGGESTION_SCAN_LIMIT;
    const take = (rows: readonly SpaceRecord[], read = rows.length): void => {
      budget -= read;
      for (const record of rows) if (visible(record)) names.add(record.name);
    };
    // Exact grants first: only the close ones are read, one look-up each.
    const exact = grants.flatMap((g) => ('space' in g ? [g.space] : []));
    for (const name of new Set(exact.map(spaceKey))) {
      if (budget <= 0) break;
      if (closestName(asked, [name]) === undefined) continue;
      const record = await this.backend.spaces.get(name);
      take(record === undefined ? [] : [record]);
    }
    for (const prefix of new Set(grants.flatMap((g) => ('prefix' in g ? [spaceKey(g.prefix)] : [])))) {
      if (budget <= 0) break;
      const { rows, read } = await this.underPrefix(asked, prefix, budget);
      take(rows, read);
    }
    for (const project of new Set(grants.flatMap((g) => ('project' in g ? [g.project] : [])))) {
      if (budget <= 0) break;
      take(await this.backend.projects.spaces(project, { limit: budget }));
    }
    return closestName(asked, names);
  }

  /**
   * The spaces under `prefix` a suggestion looks at: all of them when they fit in `budget`, else
   * those whose name continues the prefix as `asked` does (one character more of it).
   */
  private async underPrefix(asked: string, prefix: string, budget: number): Promise<{ rows: SpaceRecord[]; read: number }> {
    // Half the budget each, so that the narrower look-up still fits when the first one is full.
    const half = Math.max(1, Math.floor(budget / 2));
    const all = await this.backend.spaces.list({ prefix: prefix === '' ? undefined : prefix, limit: half });
    const key = spaceKey(asked);
    if (all.length < half || !key.startsWith(prefix) || key.length <= prefix.length) return { rows: all, read: all.length };
    const narrower = await this.backend.spaces.list({ prefix: key.slice(0, prefix.length + 1), limit: half });
    return { rows: [...all, ...narrower], read: all.length + narrower.length };
  }
}

/**
 * `error` with what to do next when it is a `SPACE_NOT_FOUND` naming a space: the closest visible
 * name (`details.suggestion`, when there is one) and, when `mayCreate` says the caller's grants
 * would let it create the space, how (`details.hint`), in the message too. Anything else, or an
 * error already explained, is returned as it is. A failure to compute the suggestion leaves it
 * out rather than failing the answer.
 */
export async function explainNotFound(
  error: unknown,
  suggest: (space: string) => Promise<string | undefined>,
  mayCreate: (space: string) => boolean,
): Promise<unknown> {
  if (!isMemspaceError(error, 'SPACE_NOT_FOUND')) return error;
  const space = error.details?.['space'];
  if (typeof space !== 'string' || EXPLAINED.has(error)) return error;
  const suggestion = await suggest(space).catch(() => undefined);
  const creatable = mayCreate(space);
  const explained = new MemspaceError(
    'SPACE_NOT_FOUND',
    spaceNotFoundMessage(space, suggestion, creatable),
    { ...error.details, ...(suggestion !== undefined && { suggestion }), ...(creatable && { hint: createSpaceHint(space) }) },
    { cause: error.cause },
  );
  EXPLAINED.add(explained);
  return explained;
}

/** Errors {@link explainNotFound} made: one that crosses several error boundaries is explained once. */
const EXPLAINED = new WeakSet<MemspaceError>();
