import { afterEach, describe, expect, it } from 'vitest';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { atCosine, failure, type Suite } from '../harness.js';

/**
 * Importance that decays (core/decay.ts): the `rank` weights of a search (recency, decayed
 * importance) and retention's decay floor (`consolidation.importanceFloor`), its audit entry,
 * its counter and its confinement to its own space.
 */
export function decaySpec(suite: Suite): void {
  describe('importance that decays', () => {
    const DIM = 4;
    const DAY = 86_400_000;
    const START = Date.parse('2026-06-01T00:00:00Z');
    let clock = START;
    const open = (): Promise<MemspaceEngine> => suite.open({ now: () => clock });
    afterEach(() => {
      clock = START;
    });
    const at = atCosine;
    const query = [1, 0, 0, 0];
    const decayed = (ms: MemspaceEngine, space: string): Promise<number> => ms.registry.use(space, ({ store }) => store.decayedCount());

    describe('rank weights in search', () => {
      it('leave rankings as they were without weights, and blend recency when asked', async () => {
        const ms = await open();
        const space = suite.name('rank');
        await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM, consolidation: { halfLifeDays: 100 } });
        const old = await ms.memories.add(space, { content: 'old and close', embedding: at(1) });
        clock += 100 * DAY;
        const recent = await ms.memories.add(space, { content: 'new and further', embedding: at(0.8) });
        const search = async (extra: Record<string, unknown>) => (await ms.search.run(space, { embedding: query, mode: 'vector', ...extra })).results;

        const plain = await search({});
        expect(plain.map((h) => h.memory.id)).toEqual([old.id, recent.id]);
        expect(plain[0]!.scores).toEqual({ vector: expect.closeTo(1, 6) });
        // Weights of 0 are no weights: the same hits, scores and parts.
        expect(await search({ rank: { recency: 0, importance: 0 } })).toEqual(plain);
        expect(await search({ rank: {} })).toEqual(plain);

        const blended = await search({ rank: { recency: 0.5 } });
        expect(blended.map((h) => h.memory.id)).toEqual([recent.id, old.id]);
        // One half-life old: recency 0.5, so 0.5 × 1 + 0.5 × 0.5 against 0.5 × 0.8 + 0.5 × 1.
        const [first, second] = blended;
        expect(first!.score).toBeCloseTo(0.9, 6);
        expect(first!.scores).toEqual({ vector: expect.closeTo(0.8, 6), relevance: expect.closeTo(0.8, 6), recency: 1 });
        expect(second!.score).toBeCloseTo(0.75, 6);
        expect(second!.scores).toEqual({ vector: expect.closeTo(1, 6), relevance: expect.closeTo(1, 6), recency: expect.closeTo(0.5, 9) });
      });

      it('blend decayed importance, look past the limit for it, and apply the threshold to the blend', async () => {
        const ms = await open();
        const space = suite.name('rank');
        await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
        const close = await ms.memories.add(space, { content: 'close but minor', embedding: at(1), importance: 0.1 });
        const far = await ms.memories.add(space, { content: 'further but major', embedding: at(0.8), importance: 0.9 });
        const search = async (extra: Record<string, unknown>) => (await ms.search.run(space, { embedding: query, mode: 'vector', ...extra })).results;

        expect((await search({ limit: 1 })).map((h) => h.memory.id)).toEqual([close.id]);
        const blended = await search({ limit: 1, rank: { importance: 0.6 } });
        expect(blended.map((h) => h.memory.id)).toEqual([far.id]); // 0.4 × 0.8 + 0.6 × 0.9 against 0.4 × 1 + 0.6 × 0.1
        expect(blended[0]!.score).toBeCloseTo(0.86, 6);
        expect(blended[0]!.scores).toEqual({ vector: expect.closeTo(0.8, 6), relevance: expect.closeTo(0.8, 6), importance: expect.closeTo(0.9, 9) });
        // 0.86 and 0.46: only one passes a threshold of 0.5, which the cosines alone both pass.
        expect((await search({ threshold: 0.5 })).length).toBe(2);
        expect((await search({ threshold: 0.5, rank: { importance: 0.6 } })).map((h) => h.memory.id)).toEqual([far.id]);
        // Across spaces too.
        const across = await ms.search.across([space], { embedding: query, mode: 'vector', limit: 1, rank: { importance: 0.6 } });
        expect(across.results.map((h) => h.memory.id)).toEqual([far.id]);
      });

      it('refuse weights outside [0, 1] or summing to more than 1', async () => {
        const ms = await open();
        const space = suite.name('rank');
        await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
        for (const rank of [{ recency: 0.6, importance: 0.5 }, { recency: -0.1 }, { importance: 2 }, { popularity: 0.5 }, 'recency']) {
          expect((await failure(ms.search.run(space, { embedding: query, rank }))).code).toBe('VALIDATION_FAILED');
        }
      });
    });

    describe('the decay floor of retention', () => {
      it('drops nothing without a floor (the default), however old and unimportant', async () => {
        const ms = await open();
        const space = suite.name('nofloor');
        await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
        expect((await ms.spaces.get(space)).consolidation).toMatchObject({ importanceFloor: null, halfLifeDays: 30 });
        await ms.memories.add(space, { content: 'trivial', embedding: at(1), importance: 0 });
        clock += 1000 * DAY;
        expect(await ms.sweeper.sweepSpace(space)).toBe(0);
        expect((await ms.memories.list(space)).items).toHaveLength(1);
        expect(await decayed(ms, space)).toBe(0);
        expect((await ms.spaces.audit(space, { action: 'memory.decay' })).items).toEqual([]);
      });

      it('drops what decayed under the floor, audited, counted, in history and the feed, and keeps the rest', async () => {
        const ms = await open();
        const space = suite.name('floor');
        await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM, consolidation: { importanceFloor: 0.1 } });
        const old = await ms.memories.add(space, { content: 'old news', embedding: at(1), importance: 0.8 });
        const pinned = await ms.memories.add(space, { content: 'pinned', embedding: at(0.9), importance: 1 });
        const used = await ms.memories.add(space, { content: 'still used', embedding: at(0.8), importance: 0.8 });
        await ms.memories.relate(space, { from: old.id, to: pinned.id, type: 'mentions' });
        clock += 100 * DAY; // 0.8 × 2^(−100/30) ≈ 0.079: under the floor
        await ms.memories.get(space, used.id); // a read restarts its clock
        const lowButNew = await ms.memories.add(space, { content: 'minor but new', embedding: at(0.7), importance: 0.05 });
        const feedBefore = await ms.registry.use(space, ({ store }) => store.feedBounds());

        expect(await ms.sweeper.sweepSpace(space)).toBe(1);
        expect(await ms.registry.use(space, ({ store }) => store.getMemories([old.id]))).toEqual([]); // gone, not hidden
        expect((await ms.memories.list(space, { order: 'asc' })).items.map((m) => m.id)).toEqual([pinned.id, used.id, lowButNew.id]);
        expect((await ms.memories.history(space, old.id)).map((h) => h.action)).toEqual(['create', 'delete']);
        const audit = (await ms.spaces.audit(space, { action: 'memory.decay' })).items;
        expect(audit).toHaveLength(1);
        expect(audit[0]).toMatchObject({ actor: 'sweeper', ids: [old.id], details: { count: 1, floor: 0.1, halfLifeDays: 30 } });
        expect(JSON.stringify(audit[0])).not.toContain('old news');
        const feed = await ms.registry.use(space, ({ store }) => store.changes(feedBefore.latest, 100));
        expect(feed.map((c) => c.op)).toEqual(['relation.deleted', 'memory.deleted']);
        expect(feed.at(-1)!.id).toBe(old.id);
        expect(await decayed(ms, space)).toBe(1);
        expect(await ms.sweeper.sweepSpace(space)).toBe(0); // nothing more, no entry
        expect((await ms.spaces.audit(space, { action: 'memory.decay' })).items).toHaveLength(1);

        clock += 200 * DAY; // the one read and the one stored late have decayed too; the pinned one stays
        expect(await ms.sweeper.sweepSpace(space)).toBe(2);
        expect((await ms.memories.list(space)).items.map((m) => m.id)).toEqual([pinned.id]);
        expect(await decayed(ms, space)).toBe(3);
        expect((await ms.spaces.audit(space, { action: 'memory.decay' })).items.map((e) => [...e.ids].sort())).toEqual([[old.id], [used.id, lowButNew.id].sort()]);
        expect((await ms.spaces.verifyAudit(space)).ok).toBe(true);
      });

      it('follows a floor set later, and keeps its counter across closing', async () => {
        const ms = await open();
        const space = suite.name('later');
        await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
        await ms.memories.add(space, { content: 'forgotten', embedding: at(1), importance: 0.5 });
        clock += 365 * DAY;
        expect(await ms.sweeper.sweepSpace(space)).toBe(0);
        await ms.spaces.update(space, { consolidation: { importanceFloor: 0.01, halfLifeDays: 30 } });
        expect(await ms.sweeper.sweepSpace(space)).toBe(1);
        await ms.registry.closeSpace(space);
        expect(await decayed(ms, space)).toBe(1);
      });

      it('is looked at by background sweeps at most once an hour per space, and by every sweep asked for', async () => {
        const ms = await open();
        const space = suite.name('hourly');
        await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM, consolidation: { importanceFloor: 0.1 } });
        await ms.memories.add(space, { content: 'fading', embedding: at(1), importance: 0.8 }); // under 0.1 after 90 days
        const MINUTE = 60_000;
        clock += 90 * DAY - 10 * MINUTE;
        expect((await ms.sweeper.sweep({ onlyOpen: true })).deleted).toBe(0); // not yet under the floor
        clock += 20 * MINUTE;
        expect((await ms.sweeper.sweep({ onlyOpen: true })).deleted).toBe(0); // under it, but looked 20 minutes ago
        clock += 40 * MINUTE;
        expect((await ms.sweeper.sweep({ onlyOpen: true })).deleted).toBe(1);
        expect(await decayed(ms, space)).toBe(1);

        const other = suite.name('asked');
        await ms.spaces.create({ name: other, embedder: 'none', dimension: DIM, consolidation: { importanceFloor: 0.1 } });
        await ms.memories.add(other, { content: 'fading', embedding: at(1), importance: 0.8 });
        clock += 90 * DAY - 10 * MINUTE;
        expect(await ms.sweeper.sweepSpace(other)).toBe(0);
        clock += 20 * MINUTE;
        expect(await ms.sweeper.sweepSpace(other)).toBe(1);
      });

      it('drops only in its own space: another space, without a floor or with its own, is untouched', async () => {
        const ms = await open();
        const [strict, lax, plain] = [suite.name('strict'), suite.name('lax'), suite.name('plain')];
        await ms.spaces.create({ name: strict, embedder: 'none', dimension: DIM, consolidation: { importanceFloor: 0.2 } });
        await ms.spaces.create({ name: lax, embedder: 'none', dimension: DIM, consolidation: { importanceFloor: 0.2, halfLifeDays: 365 } });
        await ms.spaces.create({ name: plain, embedder: 'none', dimension: DIM });
        for (const space of [strict, lax, plain]) await ms.memories.add(space, { id: 'same-id', content: 'the same memory', embedding: at(1), importance: 0.5 });
        clock += 60 * DAY; // 0.5 × 2^(−2) = 0.125 under strict's floor; lax's half-life keeps it at 0.45
        for (const space of [strict, lax, plain]) await ms.sweeper.sweepSpace(space);
        expect((await ms.memories.list(strict)).items).toEqual([]);
        expect((await ms.memories.get(lax, 'same-id')).content).toBe('the same memory');
        expect((await ms.memories.get(plain, 'same-id')).content).toBe('the same memory');
        expect([await decayed(ms, strict), await decayed(ms, lax), await decayed(ms, plain)]).toEqual([1, 0, 0]);
        for (const space of [lax, plain]) expect((await ms.spaces.audit(space, { action: 'memory.decay' })).items).toEqual([]);
      });

      it('is an action only the engine records', async () => {
        const ms = await open();
        const space = suite.name('forge');
        await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
        expect((await failure(ms.spaces.recordAudit(space, { action: 'memory.decay', ids: ['x'] }))).code).toBe('VALIDATION_FAILED');
      });
    });
  });
}
