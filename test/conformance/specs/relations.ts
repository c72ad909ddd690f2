import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MemoryService } from '../../../src/engine/memory-service.js';
import type { Memspace } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import { code, type Suite } from '../harness.js';

/** Typed edges between memories of one space. */
export function relationsSpec(suite: Suite): void {
  describe('relations', () => {
    const DIM = 8;
    const v = (axis: number): number[] => axisVector(DIM, axis);
    const clock = Date.parse('2026-11-01T00:00:00Z');
    const shared = suite.shared({ now: () => clock });
    let ms: Memspace;
    let s: MemoryService;
    let space: string;
    beforeAll(() => {
      ms = shared();
      s = ms.service;
    });
    beforeEach(async () => {
      space = suite.name('t');
      await s.createSpace({ name: space, embedder: 'none', dimension: DIM });
    });

    describe('relations', () => {
      it('links memories of one space, lists by direction and type, expands search, and deletes', async () => {
        const [a, b, c] = await s.addMemories(space, [
          { content: 'Alice', embedding: v(1) },
          { content: 'Acme Corp', embedding: v(2) },
          { content: 'Berlin', embedding: v(3) },
        ]);
        const works = await s.addRelation(space, { from: a!.id, to: b!.id, type: 'works_at', weight: 0.9, metadata: { since: 2020 } });
        const lives = await s.addRelation(space, { from: a!.id, to: c!.id, type: 'lives_in' });
        await s.addRelation(space, { from: b!.id, to: c!.id, type: 'located_in' });
        expect((await s.listRelations(space, a!.id, { direction: 'out' })).map((r) => r.type).sort()).toEqual(['lives_in', 'works_at']);
        expect((await s.listRelations(space, c!.id, { direction: 'in' })).length).toBe(2);
        expect((await s.listRelations(space, c!.id, { direction: 'out' })).length).toBe(0);
        expect((await s.listRelations(space, a!.id, { type: 'works_at' }))[0]).toMatchObject({ id: works.id, from: a!.id, to: b!.id, weight: 0.9, metadata: { since: 2020 } });

        const { results } = await s.search(space, { embedding: v(1), mode: 'vector', limit: 1, expand: true });
        expect(results[0]!.memory.id).toBe(a!.id);
        expect(results[0]!.related!.map((r) => r.memory.content).sort()).toEqual(['Acme Corp', 'Berlin']);

        await s.deleteRelation(space, lives.id);
        await expect(s.deleteRelation(space, lives.id)).rejects.toThrowError(code('NOT_FOUND'));
        await s.deleteMemory(space, b!.id);
        expect(await s.listRelations(space, a!.id)).toEqual([]); // edges of a deleted memory go with it
      });

      it('rejects edges to missing memories and bad input', async () => {
        const a = await s.addMemory(space, { content: 'a', embedding: v(1) });
        await expect(s.addRelation(space, { from: a.id, to: 'ghost', type: 'x' })).rejects.toThrowError(code('NOT_FOUND'));
        await expect(s.addRelation(space, { from: a.id, to: a.id, type: 'has space' })).rejects.toThrowError(code('VALIDATION_FAILED'));
        await expect(s.addRelation(space, { from: a.id, type: 'x' })).rejects.toThrowError(code('VALIDATION_FAILED'));
        await expect(s.listRelations(space, 'ghost')).rejects.toThrowError(code('NOT_FOUND'));
        await expect(s.listRelations(space, a.id, { direction: 'sideways' })).rejects.toThrowError(code('VALIDATION_FAILED'));
      });
    });
  });
}
