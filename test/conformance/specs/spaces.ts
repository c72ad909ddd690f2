import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import { code, type Suite } from '../harness.js';

/** Space records: settings, embedder and dimension, listing, deletion rules. */
export function spacesSpec(suite: Suite): void {
  describe('space records', () => {
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

    describe('spaces', () => {
      it('records settings at creation and updates the mutable ones', async () => {
        const name = suite.name('Settings');
        const created = await ms.spaces.create({
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
        const updated = await ms.spaces.update(name.toLowerCase(), { description: 'new', retentionDays: null, quotas: { maxMemories: 10 } });
        expect(updated).toMatchObject({ name, description: 'new', retentionDays: null, quotas: { maxMemories: 10, maxBytes: null } });
        expect((await ms.spaces.get(name.toUpperCase())).stats.memories).toBe(0);
        await expect(ms.spaces.update(name.toLowerCase(), { embedder: 'openai:x' })).rejects.toThrowError(code('VALIDATION_FAILED'));
      });

      it('records the local model with 512 dimensions by default and refuses a mismatching dimension', async () => {
        expect(await ms.spaces.create({ name: suite.name('local-default') })).toMatchObject({ embedder: 'local:use-lite', dimension: 512 });
        await expect(ms.spaces.create({ name: suite.name('local-bad'), dimension: 384 })).rejects.toThrowError(code('DIMENSION_MISMATCH'));
        await expect(ms.spaces.create({ name: suite.name('none-nodim'), embedder: 'none' })).rejects.toThrowError(code('VALIDATION_FAILED'));
        await expect(ms.spaces.create({ name: suite.name('bad-embedder'), embedder: 'magic' })).rejects.toThrowError(code('VALIDATION_FAILED'));
      });

      it('lists with a prefix and a cursor, and always holds the default space', async () => {
        // The backend is shared with other tests: a prefix of this test's own stands for `p`.
        const p = suite.name('p');
        for (const name of [`${p}.a`, `${p}.b`, `${p}.c`, `${p}q`]) await ms.spaces.create({ name, embedder: 'none', dimension: 2 });
        const first = await ms.spaces.list({ prefix: `${p}.`, limit: 2 });
        expect(first.items.map((x) => x.name)).toEqual([`${p}.a`, `${p}.b`]);
        const second = await ms.spaces.list({ prefix: `${p}.`, limit: 2, cursor: first.nextCursor! });
        expect(second.items.map((x) => x.name)).toEqual([`${p}.c`]);
        expect(second.nextCursor).toBeNull();
        expect((await ms.spaces.list({ prefix: 'default' })).items.map((x) => x.name)).toEqual(['default']);
      });

      it('refuses to delete the default space and reports unknown ones', async () => {
        await expect(ms.spaces.delete('default')).rejects.toThrowError(code('VALIDATION_FAILED'));
        await expect(ms.spaces.delete('nope')).rejects.toThrowError(code('SPACE_NOT_FOUND'));
        await expect(ms.spaces.get('nope')).rejects.toThrowError(code('SPACE_NOT_FOUND'));
        await expect(ms.memories.add('nope', { content: 'x', embedding: v(0) })).rejects.toThrowError(code('SPACE_NOT_FOUND'));
      });

      it('archives and restores where the backend packs spaces away, and elsewhere refuses before writing anything', async () => {
        const name = suite.name('cold');
        await ms.spaces.create({ name, embedder: 'none', dimension: DIM });
        await ms.memories.add(name, { content: 'kept through the cold', embedding: v(0) });
        const trail = async (): Promise<string[]> => (await ms.spaces.audit(name)).items.map((e) => e.action);
        const before = await trail();
        if (ms.backend.archiver === undefined) {
          await expect(ms.lifecycle.archive(name)).rejects.toThrowError(code('VALIDATION_FAILED'));
          await expect(ms.lifecycle.restore(name)).rejects.toThrowError(code('VALIDATION_FAILED'));
          expect(await trail()).toEqual(before);
          return;
        }
        expect((await ms.lifecycle.archive(name)).space.state).toBe('archived');
        await expect(ms.memories.list(name)).rejects.toThrowError(code('SPACE_ARCHIVED'));
        await ms.lifecycle.restore(name);
        expect((await ms.memories.list(name)).items.map((m) => m.content)).toEqual(['kept through the cold']);
        expect(await trail()).toEqual([...before, 'space.archive', 'space.restore']);
      });
    });
  });
}
