import { MemspaceError } from '../core/errors.js';
import { columnCondition } from '../core/filter.js';
import type { PheromoneRecord } from '../core/feedback.js';
import { checksumOf, historyLine, memoryLine, relationLine, SAMPLE } from '../core/space-split.js';
import { type MoveGroup } from '../core/space-moves-api.js';
import { storageLimits } from '../core/storage-limits.js';
import type { HistoryRecord, MemoryRecord, RelationRecord, SpaceRecord, WriteContext } from '../core/types.js';
import type { SpaceEmbeddings } from './space-embeddings.js';
import type { SpaceRegistry } from './space-registry.js';

/** Memories (or relations) per store call: each batch of a copy is one transaction in the target. */
const BATCH = 200;

/** The memories of one space bound for another, and the relations between them (both ends in `ids`). */
export interface MoveSet {
  group: MoveGroup;
  ids: string[];
  relations: RelationRecord[];
}

/** Told after each batch a move committed: which step, and how many memories (or relations) it took. */
export type MoveStep = (step: { phase: 'copying' | 'relations' | 'verifying' | 'removing'; group: MoveGroup; count: number }) => void;

interface Batch {
  memories: MemoryRecord[];
  history: Map<string, HistoryRecord[]>;
  pheromones: PheromoneRecord[];
}

/**
 * Moves memories between spaces with every step idempotent, so that a move killed at any point
 * is finished by running it again: copy (a memory the target holds already, identical, is
 * skipped; one that differs is `CONFLICT`), verify (the checksum of the canonical lines, read
 * from source and target), then delete from the source. A memory travels with its id, history,
 * vector (re-embedded only when the target's embedder differs), pheromone and the relations
 * whose both ends travel with it, each batch in one transaction of the target's store.
 */
export class SpaceMover {
  constructor(
    private readonly registry: SpaceRegistry,
    private readonly embeddings: SpaceEmbeddings,
  ) {}

  /**
   * Ids of the set the target holds already: counts identical ones into `group.alreadyThere`
   * and returns those that differ (a conflict the move must not overwrite). Reads only.
   */
  async preflight(set: MoveSet, source: SpaceRecord, target: SpaceRecord | undefined): Promise<string[]> {
    set.group.alreadyThere = 0;
    if (target === undefined) return [];
    const conflicts: string[] = [];
    const withVector = sameVectors(source, target);
    for (let i = 0; i < set.ids.length; i += BATCH) {
      const ids = set.ids.slice(i, i + BATCH);
      const there = await this.memoriesOf(target.name, ids);
      if (there.size === 0) continue;
      const here = await this.memoriesOf(source.name, [...there.keys()]);
      for (const [id, m] of here) {
        if (memoryLine(m, withVector) === memoryLine(there.get(id)!, withVector)) set.group.alreadyThere += 1;
        else conflicts.push(id);
      }
    }
    return conflicts;
  }

  /** Copies the set's memories (with history and pheromones), then its relations, into `target`; `ctx` gives who writes, and when (asked at each batch). */
  async copy(set: MoveSet, source: SpaceRecord, target: SpaceRecord, ctx: () => WriteContext, step?: MoveStep): Promise<void> {
    const withVector = sameVectors(source, target);
    for (let i = 0; i < set.ids.length; i += BATCH) {
      const from = await this.read(source.name, set.ids.slice(i, i + BATCH));
      const there = await this.read(target.name, from.memories.map((m) => m.id));
      const fresh = from.memories.filter((m) => {
        const present = there.memories.find((t) => t.id === m.id);
        if (present === undefined) return true;
        if (memoryLine(present, withVector) !== memoryLine(m, withVector)) throw conflict(target.name, [m.id]);
        return false;
      });
      if (fresh.length === 0) continue;
      const vectors = withVector ? fresh.map((m) => m.embedding) : await this.embeddings.vectorsFor(target, fresh.map((m) => ({ text: m.content, given: undefined })));
      // History rows the target holds already (a memory that lived there before) are not written twice.
      const history = fresh.flatMap((m) => {
        const known = new Set((there.history.get(m.id) ?? []).map(historyLine));
        return (from.history.get(m.id) ?? []).filter((h) => !known.has(historyLine(h))).map((h) => ({ ...h, seq: 0 }));
      });
      const ids = new Set(fresh.map((m) => m.id));
      const chunk = { memories: fresh.map((m, n) => ({ ...m, embedding: vectors[n]! })), history, pheromones: from.pheromones.filter((p) => ids.has(p.id)) };
      await this.registry.use(target.name, ({ store }) => store.restore(chunk, ctx().now, storageLimits(target)));
      set.group.copied += fresh.length;
      step?.({ phase: 'copying', group: set.group, count: fresh.length });
    }
    for (let i = 0; i < set.relations.length; i += BATCH) {
      const batch = set.relations.slice(i, i + BATCH);
      const existing = await this.registry.use(target.name, ({ store }) => store.listRelations([...new Set(batch.map((r) => r.from))], 'out', undefined));
      const known = new Set(existing.map((r) => r.id));
      const fresh = batch.filter((r) => !known.has(r.id));
      if (fresh.length === 0) continue;
      await this.registry.use(target.name, ({ store }) => store.restore({ relations: fresh }, ctx().now));
      step?.({ phase: 'relations', group: set.group, count: fresh.length });
    }
  }

  /**
   * Reads the set back from source and target and compares: every memory in the target, its
   * canonical line equal, its history there, and the relations; returns the checksum of the
   * lines, equal on both sides, else `CONFLICT` (the source changed during the move).
   */
  async verify(set: MoveSet, source: SpaceRecord, target: SpaceRecord): Promise<string> {
    const withVector = sameVectors(source, target);
    const sourceLines: string[] = [];
    const targetLines: string[] = [];
    const missing: string[] = [];
    for (let i = 0; i < set.ids.length; i += BATCH) {
      const ids = set.ids.slice(i, i + BATCH);
      const from = await this.read(source.name, ids);
      const there = await this.read(target.name, ids);
      for (const m of from.memories) {
        sourceLines.push(memoryLine(m, withVector));
        const t = there.memories.find((x) => x.id === m.id);
        if (t !== undefined) targetLines.push(memoryLine(t, withVector));
        const kept = new Set((there.history.get(m.id) ?? []).map(historyLine));
        if (t === undefined || (from.history.get(m.id) ?? []).some((h) => !kept.has(historyLine(h)))) missing.push(m.id);
      }
    }
    const members = new Set(set.ids);
    sourceLines.push(...set.relations.map(relationLine));
    for (let i = 0; i < set.ids.length; i += BATCH) {
      const out = await this.registry.use(target.name, ({ store }) => store.listRelations(set.ids.slice(i, i + BATCH), 'out', undefined));
      targetLines.push(...out.filter((r) => members.has(r.to)).map(relationLine));
    }
    const [a, b] = [checksumOf(sourceLines), checksumOf(targetLines)];
    if (missing.length > 0 || a !== b) {
      throw new MemspaceError('CONFLICT', `the copy in "${target.name}" does not match "${source.name}" (changed during the move?); run it again`, {
        source: source.name,
        target: target.name,
        ...(missing.length > 0 && { ids: missing.slice(0, SAMPLE) }),
        expected: a,
        actual: b,
      });
    }
    set.group.checksum = a;
    return a;
  }

  /** Deletes the set's memories from the source (their relations go with them), in batches. */
  async remove(set: MoveSet, source: SpaceRecord, ctx: () => WriteContext, step?: MoveStep): Promise<void> {
    for (let i = 0; i < set.ids.length; i += BATCH) {
      const ids = set.ids.slice(i, i + BATCH);
      const n = await this.registry.use(source.name, ({ store }) => store.deleteMemories(columnCondition('id', 'in', ids), ctx()));
      set.group.removed += n;
      step?.({ phase: 'removing', group: set.group, count: n });
    }
  }

  private async memoriesOf(space: string, ids: readonly string[]): Promise<Map<string, MemoryRecord>> {
    const rows = await this.registry.use(space, ({ store }) => store.getMemories(ids, { embeddings: true }));
    return new Map(rows.map((m) => [m.id, m]));
  }

  /** Memories with their history and pheromones, in one read session. */
  private read(space: string, ids: readonly string[]): Promise<Batch> {
    return this.registry.use(space, ({ store }) =>
      store.read(async (r) => {
        const memories = await r.getMemories(ids, { embeddings: true });
        const history = new Map<string, HistoryRecord[]>();
        for (const m of memories) history.set(m.id, await r.history(m.id));
        const pheromones = memories.length === 0 ? [] : await r.pheromones(memories.map((m) => m.id));
        return { memories, history, pheromones };
      }),
    );
  }
}

/** True when the target keeps the source's vectors: the same embedder and dimension. */
export function sameVectors(source: SpaceRecord, target: SpaceRecord): boolean {
  return source.embedder === target.embedder && source.dimension === target.dimension;
}

/** Memories that exist in the target with other content: a move never overwrites them. */
export function conflict(target: string, ids: readonly string[]): MemspaceError {
  return new MemspaceError('CONFLICT', `space "${target}" already holds ${ids.length} of these ids with other content (first: ${ids.slice(0, 3).join(', ')})`, {
    space: target,
    count: ids.length,
    ids: ids.slice(0, SAMPLE),
  });
}
