/**
 * "Did you mean" for names: the rule that picks the closest of a few candidate names, and the
 * wording of the errors that say what to do next. Pure: which candidates a caller may be shown
 * is decided by the engine (engine/space-suggestions.ts).
 */

/**
 * Edit distance between `a` and `b` counting insertions, deletions, substitutions and swaps of
 * two neighbouring characters (optimal string alignment, the usual "Damerau-Levenshtein" of
 * spell checkers), or `max + 1` once it is known to exceed `max`: names are short, and the
 * early exit keeps a look through many candidates cheap.
 */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  // Three rows suffice: the swap looks two rows back.
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      current.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > max) return max + 1;
    before = previous;
    previous = current;
  }
  const distance = previous[b.length]!;
  return distance > max ? max + 1 : distance;
}

/** Shortest asked name a prefix match is suggested for: below it, a prefix says too little. */
const MIN_PREFIX = 3;

/**
 * The candidate closest to `asked`, compared case-insensitively, or undefined when none is
 * close: within an edit distance of 2 (1 for names of 3 characters or fewer, where 2 edits
 * reach almost anything), or, for an asked name of 3 characters or more, one that starts with
 * it (`proj` → `project-x`). Ties are broken by distance, then by the smaller difference in
 * length, then by name in code-point order, so the answer never depends on the order of
 * `candidates`. A candidate equal to `asked` (in any case) is never suggested.
 */
export function closestName(asked: string, candidates: Iterable<string>): string | undefined {
  const key = asked.toLowerCase();
  const max = key.length <= 3 ? 1 : 2;
  let best: { name: string; rank: [number, number, string] } | undefined;
  for (const name of candidates) {
    const other = name.toLowerCase();
    if (other === key) continue;
    let distance = editDistance(key, other, max);
    // A prefix match ranks after every edit match: it says less about what was meant.
    if (distance > max && key.length >= MIN_PREFIX && other.startsWith(key)) distance = max + 1;
    else if (distance > max) continue;
    const rank: [number, number, string] = [distance, Math.abs(other.length - key.length), name];
    if (best === undefined || compareRanks(rank, best.rank) < 0) best = { name, rank };
  }
  return best?.name;
}

function compareRanks(a: [number, number, string], b: [number, number, string]): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  if (a[1] !== b[1]) return a[1] - b[1];
  return a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0;
}

/** How a space is created, on the command line and over HTTP: what a "not found" answer says to do. */
export function createSpaceHint(name: string): string {
  return `to create it: ${createSpaceCommand(name)}`;
}

function createSpaceCommand(name: string): string {
  return `memspace spaces create ${name} (or POST /v1/spaces {"name":"${name}"})`;
}

/**
 * The message of `SPACE_NOT_FOUND` for `name`: the closest name the caller may see, if any, and,
 * when its grants would let it create the space, how. Both depend on the caller's grants and the
 * spaces it sees only, so the message is the same for a space that does not exist and one the
 * caller cannot see.
 */
export function spaceNotFoundMessage(name: string, suggestion: string | undefined, mayCreate: boolean): string {
  const mean = suggestion === undefined ? '' : ` Did you mean "${suggestion}"?`;
  return `space "${name}" not found.${mean}${mayCreate ? ` To create it: ${createSpaceCommand(name)}` : ''}`;
}

/** How an archived space is restored, on the command line and over HTTP. */
export function restoreSpaceHint(name: string): string {
  return `restore it with: memspace spaces restore ${name} (or POST /v1/spaces/${name}/restore)`;
}

/** The setting that makes a server restore an archived space on its next use instead of answering `SPACE_ARCHIVED`. */
export const AUTO_RESTORE_SETTING = 'MEMSPACE_AUTO_RESTORE';

/** The message of `SPACE_ARCHIVED` for `name`: how to restore it, and the setting that restores on use. */
export function spaceArchivedMessage(name: string): string {
  return `space "${name}" is archived; ${restoreSpaceHint(name)}, or set ${AUTO_RESTORE_SETTING}=true to restore archived spaces on their next use`;
}
