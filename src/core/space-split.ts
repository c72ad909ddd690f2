/**
 * The rules of splitting a space by tag or metadata and of merging spaces (docs/split-merge.md):
 * what a request may ask, which group a memory belongs to, what its target space is called, and
 * the canonical lines whose SHA-256 proves a move copied everything before the source lets go.
 * Kept here once; the engine (engine/space-split.ts) applies them to stores.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './audit.js';
import { MemspaceError } from './errors.js';
import { spaceKey, validateSpaceName } from './space-name.js';
import type { HistoryRecord, JsonObject, MemoryRecord, RelationRecord } from './types.js';
import { historyView, memoryView, relationView } from './views.js';
import type { SplitRequest } from './space-moves-api.js';

/** How many ids or names an error or a report lists; the counts say how many there are. */
export const SAMPLE = 20;

/** How a split groups memories: the tag prefix (pattern without its `*`) or the metadata field. */
export type SplitKey = { tagPrefix: string; stripPrefix: boolean } | { metadataField: string };

/** The grouping of a parsed split request. */
export function splitKeyOf(request: SplitRequest): SplitKey {
  return request.byTag !== undefined ? { tagPrefix: request.byTag.slice(0, -1), stripPrefix: request.stripPrefix } : { metadataField: request.byMetadata! };
}

/**
 * The group of a memory: the one tag matching the prefix (longer than it), or the value of the
 * metadata field when it is a string, number or boolean; undefined when none (it stays in the
 * source). A memory with several matching tags gets all of them back, and the split is refused:
 * choosing one would be a guess about where the memory belongs.
 */
export function groupsOf(key: SplitKey, memory: Pick<MemoryRecord, 'tags' | 'metadata'>): string[] {
  if ('tagPrefix' in key) return [...new Set(memory.tags.filter((t) => t.startsWith(key.tagPrefix) && t.length > key.tagPrefix.length))];
  const value = (memory.metadata as JsonObject)[key.metadataField];
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  return [];
}

/**
 * The target space of a group: with `stripPrefix`, the tag after the prefix as it is
 * (`dataset:worca` → `worca`); otherwise the value with every character a space name may not
 * hold replaced by `-` (`dataset:worca` → `dataset-worca`). May be invalid: see {@link checkTargets}.
 */
export function targetNameOf(key: SplitKey, value: string): string {
  if ('tagPrefix' in key && key.stripPrefix) return value.slice(key.tagPrefix.length);
  return value.replace(/[^A-Za-z0-9_.-]/g, '-');
}

/**
 * Refuses, before anything moves, target names that are not valid space names, two groups that
 * would share a target (names compare case-insensitively), and a target that is the source:
 * `VALIDATION_FAILED` listing them.
 */
export function checkTargets(source: string, targets: readonly { value: string; target: string }[]): void {
  const invalid = targets.filter((t) => {
    try {
      validateSpaceName(t.target);
      return false;
    } catch {
      return true;
    }
  });
  const seen = new Map<string, string>();
  const shared: string[] = [];
  for (const t of targets) {
    const k = spaceKey(t.target);
    if (seen.has(k)) shared.push(`${seen.get(k)} and ${t.value} → ${t.target}`);
    else seen.set(k, t.value);
  }
  const self = targets.filter((t) => spaceKey(t.target) === spaceKey(source));
  if (invalid.length + shared.length + self.length === 0) return;
  const issues = [
    ...invalid.slice(0, SAMPLE).map((t) => ({ path: 'target', message: `group "${t.value}" would go to "${t.target}", which is not a valid space name` })),
    ...shared.slice(0, SAMPLE).map((s) => ({ path: 'target', message: `groups ${s}: two groups would share one space` })),
    ...self.map((t) => ({ path: 'target', message: `group "${t.value}" would go to the source space itself` })),
  ];
  throw new MemspaceError('VALIDATION_FAILED', `the split cannot name its target spaces: ${issues.map((i) => i.message).join('; ')}`, { issues });
}

/**
 * The canonical line of a memory a move compares in source and target: its export line without
 * the access count and time (reads change them, not the memory), and without the vector when
 * the target embeds anew (another embedder).
 */
export function memoryLine(m: MemoryRecord, withVector: boolean): string {
  const { accessCount: _count, lastAccessedAt: _at, ...view } = memoryView(m, withVector);
  return canonicalJson(view);
}

/** The canonical line of a history entry (its seq is the space's own, so left out). */
export function historyLine(h: HistoryRecord): string {
  return canonicalJson(historyView(h));
}

/** The canonical line of a relation. */
export function relationLine(r: RelationRecord): string {
  return canonicalJson(relationView(r));
}

/** SHA-256 (hex) of canonical lines in id order, so source and target agree whatever order they were read in. */
export function checksumOf(lines: readonly string[]): string {
  const hash = createHash('sha256');
  for (const line of [...lines].sort()) hash.update(line).update('\n');
  return hash.digest('hex');
}

