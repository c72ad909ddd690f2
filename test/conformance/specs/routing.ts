import { describe, expect, it } from 'vitest';
import { MATCH_ALL } from '../../../src/core/filter.js';
import type { Principal } from '../../../src/engine/access-guard.js';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { asLines, atCosine, exportLines, failure, type Suite } from '../harness.js';

/**
 * Routing suggestions (core/routing.ts, engine/route-service.ts): the centroid each space's
 * suggestion compares with stays the mean of its memory vectors through every kind of write,
 * the space a text plainly belongs in comes first, and a key is never told of a space it cannot read.
 */
export function routingSpec(suite: Suite): void {
  describe('routing', () => {
    const DIM = 4;
    const shared = suite.shared();
    const x = [1, 0, 0, 0];
    const y = [0, 1, 0, 0];
    /** Two spaces of one fresh prefix (so a listing of the shared catalogue sees only them): `tea` near x, `cars` near y. */
    const twoTopics = async (ms: MemspaceEngine) => {
      const prefix = suite.name('route');
      const tea = `${prefix}-tea`;
      const cars = `${prefix}-cars`;
      for (const name of [tea, cars]) await ms.spaces.create({ name, embedder: 'none', dimension: DIM });
      await ms.memories.addMany(tea, [
        { content: 'green tea is brewed at eighty degrees', embedding: atCosine(0.95) },
        { content: 'a kettle of black tea for breakfast', embedding: atCosine(0.9) },
      ]);
      await ms.memories.addMany(cars, [
        { content: 'winter tyres go on the car in november', embedding: [0, 0.95, Math.sqrt(1 - 0.95 ** 2), 0] },
        { content: 'the car needs an oil change', embedding: [0, 0.9, 0, Math.sqrt(1 - 0.81)] },
      ]);
      return { prefix, tea, cars };
    };
    /** The centroid the route service compares with, and the mean of the space's memories as a listing reads them. */
    const centroidAndMean = async (ms: MemspaceEngine, space: string) =>
      ms.registry.use(space, async ({ record, store }) => {
        const centroid = await ms.route.centroids.centroid(record, store);
        const { items } = await store.listMemories({ filter: MATCH_ALL, limit: 1000, cursor: undefined, order: 'asc' });
        const mean = items.length === 0 ? undefined : Array.from({ length: DIM }, (_, i) => items.reduce((s, m) => s + m.embedding[i]!, 0) / items.length);
        return { count: centroid.count, centroid: centroid.mean() === undefined ? undefined : [...centroid.mean()!], mean, memories: items.length };
      });
    const expectMean = async (ms: MemspaceEngine, space: string): Promise<void> => {
      const { count, centroid, mean, memories } = await centroidAndMean(ms, space);
      expect(count).toBe(memories);
      if (mean === undefined) expect(centroid).toBeUndefined();
      else expect(centroid).toEqual(mean.map((v) => expect.closeTo(v, 6)));
    };

    it('keeps each centroid the mean of its space through adds, updates, deletes, imports and a deleted and re-made space', async () => {
      const ms = shared();
      const space = suite.name('centroid');
      await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
      await expectMean(ms, space); // empty: no centroid
      const [a, b] = await ms.memories.addMany(space, [{ content: 'a', embedding: x }, { content: 'b', embedding: y }]);
      await expectMean(ms, space);
      const before = ms.route.centroids.stats();
      await ms.memories.add(space, { content: 'c', embedding: [0, 0, 1, 0], tags: ['gone'] });
      await expectMean(ms, space);
      // Added memories are caught up from the change feed without summing the space again.
      expect(ms.route.centroids.stats()).toMatchObject({ rebuilds: before.rebuilds, increments: before.increments + 1 });
      await ms.memories.update(space, a!.id, { content: 'a moved', embedding: [0, 0, 0, 1] });
      await expectMean(ms, space);
      await ms.memories.delete(space, b!.id);
      await expectMean(ms, space);
      await ms.memories.deleteMatching(space, { tags: { in: ['gone'] } });
      await expectMean(ms, space);

      const copy = suite.name('centroid-copy');
      await ms.spaces.create({ name: copy, embedder: 'none', dimension: DIM });
      await ms.memories.add(copy, { content: 'there before', embedding: y });
      await expectMean(ms, copy);
      await ms.transfer.importSpace(copy, asLines(await exportLines(ms, space)));
      await expectMean(ms, copy);

      // A space deleted and made again under its name starts from its own memories.
      await ms.spaces.delete(copy);
      await ms.spaces.create({ name: copy, embedder: 'none', dimension: DIM });
      await ms.memories.add(copy, { content: 'new life', embedding: x });
      await expectMean(ms, copy);
    });

    it('puts the space a text plainly belongs in first, with the parts of its score and its best match; empty spaces are left out', async () => {
      const ms = shared();
      const { prefix, tea, cars } = await twoTopics(ms);
      await ms.spaces.create({ name: `${prefix}-empty`, embedder: 'none', dimension: DIM });
      const { results } = await ms.route.route({ text: 'how hot for green tea', embedding: atCosine(0.97), prefix });
      expect(results.map((r) => r.space)).toEqual([tea, cars]);
      expect(results[0]).toMatchObject({ vector: expect.any(Number), keyword: expect.any(Number), top: { content: 'green tea is brewed at eighty degrees' } });
      expect(results[0]!.score).toBeGreaterThan(results[1]!.score);
      expect(results[0]!.keyword).toBeGreaterThan(0);
      expect(results[1]!.keyword).toBe(0);
      // Words alone (no vector for spaces without an embedder) still route, with a note saying why.
      const words = await ms.route.route({ text: 'tyres for the car', prefix, limit: 1 });
      expect(words.results).toEqual([expect.objectContaining({ space: cars, vector: null, note: expect.stringContaining('no embedder') })]);
      // Named spaces narrow the call.
      expect((await ms.route.route({ text: 'tea', embedding: x, spaces: [cars] })).results.map((r) => r.space)).toEqual([cars]);
    });

    it('never names a space the key cannot read, even when the text is word for word its memory', async () => {
      const ms = shared();
      const { prefix, tea, cars } = await twoTopics(ms);
      const teaOnly: Principal = { keyId: 'route-tea', name: 'route-tea', grants: [{ space: tea, role: 'read' }], defaultSpace: null };
      const call = { principal: teaOnly };
      const text = 'winter tyres go on the car in november';
      const { results } = await ms.route.route({ text, embedding: [0, 0.95, Math.sqrt(1 - 0.95 ** 2), 0] }, call);
      expect(results.map((r) => r.space)).toEqual([tea]);
      expect(JSON.stringify(results)).not.toContain('tyres');
      // Named, an unreadable space answers as a missing one.
      expect(await failure(ms.route.route({ text, spaces: [cars] }, call))).toMatchObject({ code: 'SPACE_NOT_FOUND' });
      expect(await failure(ms.route.route({ text, spaces: [`${prefix}-missing`] }, call))).toMatchObject({ code: 'SPACE_NOT_FOUND' });
      // The root key sees both, the better fit first.
      expect((await ms.route.route({ text, prefix })).results[0]!.space).toBe(cars);
    });

    it('leaves an archived space out, named or not, and weighs it again once restored; a deleted one is gone', async () => {
      const ms = shared();
      const { prefix, tea, cars } = await twoTopics(ms);
      if (ms.backend.archiver !== undefined) {
        await ms.lifecycle.archive(cars);
        expect((await ms.route.route({ text: 'car tyres', prefix })).results.map((r) => r.space)).toEqual([tea]);
        expect((await ms.route.route({ text: 'car tyres', spaces: [cars] })).results).toEqual([]);
        await ms.lifecycle.restore(cars);
        expect((await ms.route.route({ text: 'car tyres', prefix })).results[0]!.space).toBe(cars);
      }
      await ms.spaces.delete(cars);
      expect((await ms.route.route({ text: 'car tyres', prefix })).results.map((r) => r.space)).toEqual([tea]);
      expect(await failure(ms.route.route({ text: 'car tyres', spaces: [cars] }))).toMatchObject({ code: 'SPACE_NOT_FOUND' });
    });

    it('refuses bad requests with VALIDATION_FAILED', async () => {
      const ms = shared();
      for (const bad of [{ text: '' }, { text: 'x', limit: 0 }, { text: 'x', limit: 1000 }, { text: 'x', unknown: 1 }, 'text']) {
        expect(await failure(ms.route.route(bad))).toMatchObject({ code: 'VALIDATION_FAILED' });
      }
    });
  });
}
