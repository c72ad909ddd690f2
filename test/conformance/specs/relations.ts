import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import { code, type Suite } from '../harness.js';

/** Typed edges between memories of one space. */
export function relationsSpec(suite: Suite): void {
  describe('relations', () => {
    const DIM = 8;
    const v = (axis: number): number[] => axisVector(DIM, axis);
    const clock = Date.parse('2026-11-01T00:00:00Z');
    const shared = suite.shared({ now: () => clock });
    let ms: MemspaceEngine;
    let space: string;
    beforeAll(() => {
      ms = shared();
    });
    beforeEach(async () => {
      space = suite.name('t');
      await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
    });

    describe('relations', () => {
      it('links memories of one space, lists by direction and type, expands search, and deletes', async () => {
        const [a, b, c] = await ms.memories.addMany(space, [
          { content: 'Alice', embedding: v(1) },
          { content: 'Acme Corp', embedding: v(2) },
          { content: 'Berlin', embedding: v(3) },
        ]);
        const works = await ms.memories.relate(space, { from: a!.id, to: b!.id, type: 'works_at', weight: 0.9, metadata: { since: 2020 } });
        const lives = await ms.memories.relate(space, { from: a!.id, to: c!.id, type: 'lives_in' });
        await ms.memories.relate(space, { from: b!.id, to: c!.id, type: 'located_in' });
        expect((await ms.memories.relations(space, a!.id, { direction: 'out' })).map((r) => r.type).sort()).toEqual(['lives_in', 'works_at']);
        expect((await ms.memories.relations(space, c!.id, { direction: 'in' })).length).toBe(2);
        expect((await ms.memories.relations(space, c!.id, { direction: 'out' })).length).toBe(0);
        expect((await ms.memories.relations(space, a!.id, { type: 'works_at' }))[0]).toMatchObject({ id: works.id, from: a!.id, to: b!.id, weight: 0.9, metadata: { since: 2020 } });

        const { results } = await ms.search.run(space, { embedding: v(1), mode: 'vector', limit: 1, expand: true });
        expect(results[0]!.memory.id).toBe(a!.id);
        expect(results[0]!.related!.map((r) => r.memory.content).sort()).toEqual(['Acme Corp', 'Berlin']);

        await ms.memories.unrelate(space, lives.id);
        await expect(ms.memories.unrelate(space, lives.id)).rejects.toThrowError(code('NOT_FOUND'));
        await ms.memories.delete(space, b!.id);
        expect(await ms.memories.relations(space, a!.id)).toEqual([]); // edges of a deleted memory go with it
      });

      it('rejects edges to missing memories and bad input', async () => {
        const a = await ms.memories.add(space, { content: 'a', embedding: v(1) });
        await expect(ms.memories.relate(space, { from: a.id, to: 'ghost', type: 'x' })).rejects.toThrowError(code('NOT_FOUND'));
        await expect(ms.memories.relate(space, { from: a.id, to: a.id, type: 'has space' })).rejects.toThrowError(code('VALIDATION_FAILED'));
        await expect(ms.memories.relate(space, { from: a.id, type: 'x' })).rejects.toThrowError(code('VALIDATION_FAILED'));
        await expect(ms.memories.relations(space, 'ghost')).rejects.toThrowError(code('NOT_FOUND'));
        await expect(ms.memories.relations(space, a.id, { direction: 'sideways' })).rejects.toThrowError(code('VALIDATION_FAILED'));
      });
    });
  });
}
