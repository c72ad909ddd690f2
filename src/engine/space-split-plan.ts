/**
 * Reading a source space into the plan of a split or a merge: which memories go where, which
 * relations go with them, which are dropped. Reads only; the moves are engine/space-moves.ts's.
 */
import { groupsOf, SAMPLE, targetNameOf, type SplitKey } from '../core/space-split.js';
import { type DroppedRelation, type MoveGroup, type SplitReport } from '../core/space-moves-api.js';
import type { RelationRecord, SpaceRecord } from '../core/types.js';
import type { MoveSet } from './space-moves.js';
import type { SpaceRegistry } from './space-registry.js';

/** Rows per dump page while a source is read. */
const PAGE = 500;

/** A new move of `ids` from `from` to `to`, nothing done yet. */
export function moveGroup(value: string, from: string, to: string, exists: boolean, memories: number, relations: number): MoveGroup {
  return { value, from, to, exists, memories, relations, alreadyThere: 0, copied: 0, removed: 0, checksum: null };
}

/** Every row of a part of a space's dump, page by page, each page in a short visit of its own. */
async function eachPage<T>(registry: SpaceRegistry, space: string, part: 'memories' | 'relations', visit: (rows: T[]) => void): Promise<void> {
  let after: number | null = 0;
  while (after !== null) {
    const from: number = after;
    const page = await registry.use(space, ({ store }) => store.dump(part, from, PAGE));
    visit((page.chunk[part] ?? []) as T[]);
    after = page.next;
  }
}

/** What a source holds for a split: groups of ids, those of no group, and those of several. */
export interface SplitScan {
  groups: Map<string, string[]>;
  ungrouped: number;
  ambiguous: SplitReport['ambiguous'];
}

/** Groups the memories of `source` by `key`. */
export async function scanGroups(registry: SpaceRegistry, source: string, key: SplitKey): Promise<SplitScan> {
  const scan: SplitScan = { groups: new Map(), ungrouped: 0, ambiguous: { count: 0, sample: [] } };
  await eachPage<{ id: string; tags: string[]; metadata: Record<string, unknown> }>(registry, source, 'memories', (rows) => {
    for (const m of rows) {
      const groups = groupsOf(key, m as never);
      if (groups.length === 0) scan.ungrouped += 1;
      else if (groups.length > 1) {
        scan.ambiguous.count += 1;
        if (scan.ambiguous.sample.length < SAMPLE) scan.ambiguous.sample.push({ id: m.id, groups: groups.sort() });
      } else {
        const ids = scan.groups.get(groups[0]!) ?? [];
        ids.push(m.id);
        scan.groups.set(groups[0]!, ids);
      }
    }
  });
  return scan;
}

/** Every id of a space's memories, oldest first. */
export async function scanIds(registry: SpaceRegistry, space: string): Promise<string[]> {
  const ids: string[] = [];
  await eachPage<{ id: string }>(registry, space, 'memories', (rows) => ids.push(...rows.map((m) => m.id)));
  return ids;
}

/**
 * The move sets of a split: one per group, to its target (not yet known to exist), with the
 * relations whose both ends are in it; relations with ends in different groups (or one end staying) are dropped and reported.
 */
export async function splitSets(
  registry: SpaceRegistry,
  source: SpaceRecord,
  key: SplitKey,
  scan: SplitScan,
): Promise<{ sets: MoveSet[]; dropped: SplitReport['droppedRelations'] }> {
  const values = [...scan.groups.keys()].sort();
  const targetOf = new Map(values.map((v) => [v, targetNameOf(key, v)]));
  const memberOf = new Map<string, string>();
  for (const [value, ids] of scan.groups) for (const id of ids) memberOf.set(id, value);
  const inside = new Map<string, RelationRecord[]>();
  const dropped: SplitReport['droppedRelations'] = { count: 0, sample: [] };
  await eachPage<RelationRecord>(registry, source.name, 'relations', (rows) => {
    for (const r of rows) {
      const [a, b] = [memberOf.get(r.from), memberOf.get(r.to)];
      if (a === undefined && b === undefined) continue;
      if (a === b) {
        const list = inside.get(a!) ?? [];
        list.push(r);
        inside.set(a!, list);
        continue;
      }
      dropped.count += 1;
      const spaceOf = (g: string | undefined): string => (g === undefined ? source.name : targetOf.get(g)!);
      if (dropped.sample.length < SAMPLE) dropped.sample.push({ id: r.id, from: r.from, to: r.to, type: r.type, fromSpace: spaceOf(a), toSpace: spaceOf(b) } satisfies DroppedRelation);
    }
  });
  const sets = values.map((value) => {
    const ids = scan.groups.get(value)!;
    const relations = inside.get(value) ?? [];
    const target = targetOf.get(value)!;
    return { group: moveGroup(value, source.name, target, false, ids.length, relations.length), ids, relations };
  });
  return { sets, dropped };
}

/** Every relation of a space (a merge moves them all: both ends always go together). */
export async function scanRelations(registry: SpaceRegistry, space: string): Promise<RelationRecord[]> {
  const all: RelationRecord[] = [];
  await eachPage<RelationRecord>(registry, space, 'relations', (rows) => all.push(...rows));
  return all;
}
