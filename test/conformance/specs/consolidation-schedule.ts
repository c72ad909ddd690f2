import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONSOLIDATION_SETTINGS } from '../../../src/core/space-settings.js';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import { failure, type Suite } from '../harness.js';

const MINUTE = 60_000;

/**
 * A space's consolidation settings (created, patched, inherited from a project, audited) and the
 * schedule that runs passes for the spaces that enable it, on every backend.
 */
export function consolidationScheduleSpec(suite: Suite): void {
  describe('consolidation settings and schedule', () => {
    const DIM = 8;
    let clock = Date.parse('2026-11-02T00:00:00Z');
    const shared = suite.shared({ now: () => clock });
    let ms: MemspaceEngine;
    beforeAll(() => {
      ms = shared();
    });
    /** A space with `n` repeats of one statement (so a pass has a merge to make) and its settings. */
    const spaceWithRepeats = async (consolidation: object | undefined, n = 2): Promise<string> => {
      const space = suite.name('sched');
      await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM, ...(consolidation !== undefined && { consolidation }) });
      for (let i = 0; i < n; i++) {
        clock += 1000;
        await ms.memories.add(space, { content: 'The standup is at 9:30', userId: 'u', embedding: axisVector(DIM, 1) });
      }
      return space;
    };
    const count = async (space: string): Promise<number> => (await ms.memories.list(space, { limit: 100 })).items.length;

    it('gives a space the defaults, takes a partial setting at creation, and merges a patch into what it has', async () => {
      const plain = suite.name('sched');
      expect((await ms.spaces.create({ name: plain, embedder: 'none', dimension: DIM })).consolidation).toEqual(DEFAULT_CONSOLIDATION_SETTINGS);
      const space = await spaceWithRepeats({ enabled: true, intervalMinutes: 30 }, 0);
      expect((await ms.spaces.get(space)).consolidation).toEqual({ ...DEFAULT_CONSOLIDATION_SETTINGS, enabled: true, intervalMinutes: 30 });
      clock += 1000;
      const patched = await ms.spaces.update(space, { consolidation: { halfLifeDays: 7, importanceFloor: 0.05 } });
      expect(patched.consolidation).toEqual({ ...DEFAULT_CONSOLIDATION_SETTINGS, enabled: true, intervalMinutes: 30, halfLifeDays: 7, importanceFloor: 0.05 });
      // Reopened from the catalogue, the settings are the same.
      const again = await suite.open({ now: () => clock });
      expect((await again.spaces.get(space)).consolidation).toEqual(patched.consolidation);
      const audit = await ms.spaces.audit(space, { action: 'space.update' });
      expect(audit.items.at(-1)?.details).toMatchObject({ fields: ['consolidation.halfLifeDays', 'consolidation.importanceFloor'] });
    });

    it('refuses settings out of range or unknown, changing nothing', async () => {
      const space = await spaceWithRepeats({ enabled: false }, 0);
      for (const consolidation of [{ intervalMinutes: 0 }, { intervalMinutes: 1.5 }, { minOverlap: 0.2 }, { halfLifeDays: -1 }, { importanceFloor: 2 }, { enabled: 'yes' }, { often: true }]) {
        expect((await failure(ms.spaces.update(space, { consolidation }))).code).toBe('VALIDATION_FAILED');
      }
      expect((await failure(ms.spaces.create({ name: suite.name('sched'), embedder: 'none', dimension: DIM, consolidation: { minCosine: 1.5 } }))).code).toBe('VALIDATION_FAILED');
      expect((await ms.spaces.get(space)).consolidation).toEqual(DEFAULT_CONSOLIDATION_SETTINGS);
    });

    it("takes a project's consolidation defaults, follows them while it inherits, and keeps its own once set", async () => {
      const project = suite.name('schedp');
      await ms.projects.create({ name: project, defaults: { consolidation: { enabled: true, intervalMinutes: 120 } } });
      const follows = suite.name('sched');
      const own = suite.name('sched');
      await ms.spaces.create({ name: follows, embedder: 'none', dimension: DIM, project });
      await ms.spaces.create({ name: own, embedder: 'none', dimension: DIM, project, consolidation: { halfLifeDays: 3 } });
      expect((await ms.spaces.get(follows)).inherited).toContain('consolidation');
      expect((await ms.spaces.get(own)).inherited).not.toContain('consolidation');
      // A space that sets some of it starts from the project's values for the rest.
      expect((await ms.spaces.get(own)).consolidation).toMatchObject({ enabled: true, intervalMinutes: 120, halfLifeDays: 3 });
      await ms.projects.update(project, { defaults: { consolidation: { intervalMinutes: 15 } } });
      expect((await ms.spaces.get(follows)).consolidation).toEqual({ ...DEFAULT_CONSOLIDATION_SETTINGS, enabled: true, intervalMinutes: 15 });
      expect((await ms.spaces.get(own)).consolidation.intervalMinutes).toBe(120);
      await ms.spaces.update(own, { inherit: ['consolidation'] });
      expect((await ms.spaces.get(own)).consolidation).toEqual({ ...DEFAULT_CONSOLIDATION_SETTINGS, enabled: true, intervalMinutes: 15 });
    });

    it('runs a pass for each space that enables it, once per interval, with the space settings, and leaves the others alone', async () => {
      const scheduled = await spaceWithRepeats({ enabled: true, intervalMinutes: 60 });
      const strictOverlap = await spaceWithRepeats({ enabled: true, intervalMinutes: 60, minCosine: 1 });
      const off = await spaceWithRepeats(undefined);
      const first = await ms.consolidationSchedule.tick();
      expect(first.ran).toEqual(expect.arrayContaining([scheduled, strictOverlap]));
      expect(first.ran).not.toContain(off);
      expect(await count(scheduled)).toBe(1);
      expect(await count(off)).toBe(2);
      // The pass ran as the scheduler, and is recorded like any.
      const entry = (await ms.spaces.audit(scheduled, { action: 'consolidation.run' })).items.at(-1);
      expect(entry).toMatchObject({ actor: 'scheduler', details: { merged: 1 } });

      clock += 1000;
      await ms.memories.add(scheduled, { content: 'The standup is at 9:30', userId: 'u', embedding: axisVector(DIM, 1) });
      clock += 30 * MINUTE; // not due yet
      expect((await ms.consolidationSchedule.tick()).ran).not.toContain(scheduled);
      expect(await count(scheduled)).toBe(2);
      clock += 31 * MINUTE;
      expect((await ms.consolidationSchedule.tick()).ran).toContain(scheduled);
      expect(await count(scheduled)).toBe(1);
    });

    it('counts from the last pass a space recorded, so a restarted server does not run every pass again at once', async () => {
      const space = await spaceWithRepeats({ enabled: true, intervalMinutes: 60 });
      await ms.consolidation.run(space, {});
      clock += 10 * MINUTE;
      await ms.memories.add(space, { content: 'The standup is at 9:30', userId: 'u', embedding: axisVector(DIM, 1) });
      const restarted = await suite.open({ now: () => clock });
      expect((await restarted.consolidationSchedule.tick()).ran).not.toContain(space);
      clock += 51 * MINUTE;
      expect((await restarted.consolidationSchedule.tick()).ran).toContain(space);
    });

    it('refuses a second pass over a space while one runs, and lets the next one run after', async () => {
      const space = await spaceWithRepeats(undefined, 0);
      await ms.memories.addMany(space, Array.from({ length: 300 }, (_, i) => ({ content: `fact number ${i}`, userId: 'u', embedding: axisVector(DIM, i) })));
      const [a, b] = await Promise.allSettled([ms.consolidation.run(space, {}), ms.consolidation.run(space, {})]);
      expect(a.status).toBe('fulfilled');
      expect(b.status === 'rejected' && (b.reason as { code?: string }).code).toBe('CONFLICT');
      expect((await ms.consolidation.run(space, {})).examined).toBe(300);
    });

    it('stops when a space turns its schedule off, and skips archived spaces (where a backend archives)', async () => {
      const archived = await spaceWithRepeats({ enabled: true, intervalMinutes: 1 });
      const archives = ms.backend.archiver !== undefined;
      if (archives) await ms.lifecycle.archive(archived);
      else await ms.spaces.delete(archived);
      const stopped = await spaceWithRepeats({ enabled: true, intervalMinutes: 1 });
      await ms.spaces.update(stopped, { consolidation: { enabled: false } });
      clock += 2 * MINUTE;
      const report = await ms.consolidationSchedule.tick();
      expect(report.ran).not.toContain(archived);
      expect(report.ran).not.toContain(stopped);
      expect(await count(stopped)).toBe(2);
    });
  });
}
