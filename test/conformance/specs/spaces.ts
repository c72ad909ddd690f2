import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MemoryService } from '../../../src/engine/memory-service.js';
import type { Memspace } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import { code, type Suite } from '../harness.js';

/** Space records: settings, embedder and dimension, listing, deletion rules. */
export function spacesSpec(suite: Suite): void {
  describe('space records', () => {
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

    describe('spaces', () => {
      it('records settings at creation and updates the mutable ones', async () => {
        const name = suite.name('Settings');
        const created = await s.createSpace({
          name,
          description: 'd',
          isolation: 'shared',
          sensitivity: 'high',
          retentionDays: 30,
          labels: { team: 'x' },
          embedder: 'none',
          dimension: 3,
        });
        expect(created).toMatchObject({ name, isolation: 'shared', sensitivity: 'high', retentionDays: 30, labels: { team: 'x' }, embedder: 'none', dimension: 3 });
        const updated = await s.updateSpace(name.toLowerCase(), { description: 'new', retentionDays: null, quotas: { maxMemories: 10 } });
        expect(updated).toMatchObject({ name, description: 'new', retentionDays: null, quotas: { maxMemories: 10, maxBytes: null } });
        expect((await s.getSpace(name.toUpperCase())).stats.memories).toBe(0);
        await expect(s.updateSpace(name.toLowerCase(), { embedder: 'openai:x' })).rejects.toThrowError(code('VALIDATION_FAILED'));
      });

      it('records the local model with 512 dimensions by default and refuses a mismatching dimension', async () => {
        expect(await s.createSpace({ name: suite.name('local-default') })).toMatchObject({ embedder: 'local:use-lite', dimension: 512 });
        await expect(s.createSpace({ name: suite.name('local-bad'), dimension: 384 })).rejects.toThrowError(code('DIMENSION_MISMATCH'));
        await expect(s.createSpace({ name: suite.name('none-nodim'), embedder: 'none' })).rejects.toThrowError(code('VALIDATION_FAILED'));
        await expect(s.createSpace({ name: suite.name('bad-embedder'), embedder: 'magic' })).rejects.toThrowError(code('VALIDATION_FAILED'));
      });

      it('lists with a prefix and a cursor, and always holds the default space', async () => {
        // The backend is shared with other tests: a prefix of this test's own stands for `p`.
        const p = suite.name('p');
        for (const name of [`${p}.a`, `${p}.b`, `${p}.c`, `${p}q`]) await s.createSpace({ name, embedder: 'none', dimension: 2 });
        const first = await s.listSpaces({ prefix: `${p}.`, limit: 2 });
        expect(first.items.map((x) => x.name)).toEqual([`${p}.a`, `${p}.b`]);
        const second = await s.listSpaces({ prefix: `${p}.`, limit: 2, cursor: first.nextCursor! });
        expect(second.items.map((x) => x.name)).toEqual([`${p}.c`]);
        expect(second.nextCursor).toBeNull();
        expect((await s.listSpaces({ prefix: 'default' })).items.map((x) => x.name)).toEqual(['default']);
      });

      it('refuses to delete the default space and reports unknown ones', async () => {
        await expect(s.deleteSpace('default')).rejects.toThrowError(code('VALIDATION_FAILED'));
        await expect(s.deleteSpace('nope')).rejects.toThrowError(code('SPACE_NOT_FOUND'));
        await expect(s.getSpace('nope')).rejects.toThrowError(code('SPACE_NOT_FOUND'));
        await expect(s.addMemory('nope', { content: 'x', embedding: v(0) })).rejects.toThrowError(code('SPACE_NOT_FOUND'));
      });
    });
  });
}
