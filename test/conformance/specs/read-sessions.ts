import { beforeEach, describe, expect, it } from 'vitest';
import { MATCH_ALL, parseFilter } from '../../../src/core/filter.js';
import type { SpaceReads } from '../../../src/core/ports/space-store.js';
import { axisVector } from '../../support/temp-memspace.js';
import { twoSpaces, type Suite } from '../harness.js';

/** Every id a read session of one space returns, through each of its reads. */
interface SessionView {
  got: string[];
  listed: string[];
  counted: number;
  history: string[];
  keyword: string[];
  vector: string[];
  scored: string[];
  relations: string[];
  context: string | undefined;
  audited: string[];
  changed: string[];
}

/** Read sessions (`SpaceStore.read`): several reads as one, confined to their space like every read. */
export function readSessionsSpec(suite: Suite): void {
  describe('read sessions', () => {
    const DIM = 8;
    const v = (axis: number): Float32Array => Float32Array.from(axisVector(DIM, axis));
    const clock = Date.parse('2026-11-01T00:00:00Z');
    const t = twoSpaces(suite, DIM, { now: () => clock });
    beforeEach(async () => {
      for (const [name, prefix] of [
        [t.alpha, 'a'],
        [t.beta, 'b'],
      ] as const) {
        // Look-alike content, so every search of one space would find the other's rows if it could.
        await t.ms.memories.addMany(name, [
          { id: `${prefix}1`, content: 'the zebra crosses the river', embedding: [...v(1)] },
          { id: `${prefix}2`, content: 'the zebra grazes', embedding: [...v(2)] },
        ]);
        await t.ms.memories.relate(name, { id: `${prefix}-rel`, from: `${prefix}1`, to: `${prefix}2`, type: 'near' });
        await t.ms.memories.update(name, `${prefix}1`, { content: 'the zebra crossed the river', embedding: [...v(1)] });
      }
      await t.ms.memories.addContext(t.alpha, { id: 'a-ctx', content: 'a long chat about zebras', summary: 'zebras', embedding: [...v(3)] });
    });

    /** Runs every read of a session of `space`, asking for the ids of both spaces. */
    const view = (space: string): Promise<SessionView> =>
      t.ms.registry.use(space, ({ store }) =>
        store.read(async (r: SpaceReads) => {
          const all = ['a1', 'a2', 'b1', 'b2'];
          const got = (await r.getMemories(all)).map((m) => m.id);
          const listed = (await r.listMemories({ filter: MATCH_ALL, limit: 100, cursor: undefined, order: 'asc' })).items.map((m) => m.id);
          const counted = await r.countMemories(parseFilter({ id: { in: all } }));
          const history = [...(await r.history('a1')), ...(await r.history('b1'))].map((h) => h.memoryId);
          const keyword = (await r.keywordSearch('zebra river', undefined, 10, clock)).map((h) => h.id);
          const vector = (await r.vectorSearch(v(1), undefined, 10, clock)).map((h) => h.id);
          const scored = [...(await r.vectorScores(v(1), all)).keys()];
          const relations = (await r.listRelations(all, 'both', undefined)).map((x) => x.id);
          const context = (await r.getContext('a-ctx'))?.id;
          const audited = (await r.auditEntries({ limit: 100 })).flatMap((e) => e.ids);
          const changed = (await r.changes(0, 100)).map((c) => c.id);
          return { got, listed, counted, history, keyword, vector, scored, relations, context, audited, changed };
        }),
      );

    it("sees the space's rows through every read", async () => {
      const a = await view(t.alpha);
      expect(a).toMatchObject({ got: ['a1', 'a2'], listed: ['a1', 'a2'], counted: 2, history: ['a1', 'a1'], context: 'a-ctx', relations: ['a-rel'] });
      expect(a.keyword).toEqual(['a1', 'a2']);
      expect(a.vector[0]).toBe('a1');
      expect(a.scored.sort()).toEqual(['a1', 'a2']);
      expect(new Set(a.audited)).toEqual(new Set(['a1', 'a2', 'a-rel', 'a-ctx']));
      expect(new Set(a.changed)).toEqual(new Set(['a1', 'a2', 'a-rel', 'a-ctx']));
    });

    it("never returns another space's ids through any of its reads", async () => {
      const b = await view(t.beta);
      const fromAlpha = (ids: readonly (string | undefined)[]): (string | undefined)[] => ids.filter((id) => id === undefined || id.startsWith('a'));
      for (const [read, ids] of Object.entries(b)) {
        if (Array.isArray(ids)) expect(fromAlpha(ids), read).toEqual([]);
      }
      expect(b).toMatchObject({ got: ['b1', 'b2'], listed: ['b1', 'b2'], counted: 2, relations: ['b-rel'], context: undefined });
      expect(b.vector.length).toBe(2);
    });

    it('returns what its function returns, and passes its failure on', async () => {
      const seen = await t.ms.registry.use(t.beta, ({ store }) => store.read(async (r) => (await r.getMemories(['b2']))[0]?.content));
      expect(seen).toBe('the zebra grazes');
      const failed = t.ms.registry.use(t.beta, ({ store }) =>
        store.read(async (r) => {
          await r.countMemories(MATCH_ALL);
          throw new Error('the caller gave up');
        }),
      );
      await expect(failed).rejects.toThrowError('the caller gave up');
      expect(await t.ms.registry.use(t.beta, ({ store }) => store.read((r) => r.countMemories(MATCH_ALL)))).toBe(2);
    });
  });
}
