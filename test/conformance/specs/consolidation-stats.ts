import { describe, expect, it } from 'vitest';
import type { ConsolidationStats } from '../../../src/core/ports/space-store.js';
import type { ConsolidationHealth } from '../../../src/core/views.js';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import type { Suite } from '../harness.js';

/**
 * The consolidation record of a space (`SpaceStore.consolidationStats`) and its health view:
 * completed passes, what undo and dry runs leave, the rate window, pending memories, decay, the
 * figures of a closed space, and isolation between spaces.
 */
export function consolidationStatsSpec(suite: Suite): void {
  describe('consolidation figures', () => {
    const DIM = 8;
    const MINUTE = 60_000;
    const DAY = 86_400_000;
    const START = Date.parse('2026-11-01T00:00:00Z');
    const v = (axis: number): number[] => axisVector(DIM, axis);
    // A clock that moves only when a test moves it: a pass's batches all commit at one time.
    let clock = START;
    const open = async (): Promise<MemspaceEngine> => {
      clock = START;
      return suite.open({ now: () => clock });
    };
    const health = async (ms: MemspaceEngine, space: string): Promise<ConsolidationHealth | null> => (await ms.health.spaceHealth(space)).consolidation;
    const stats = (ms: MemspaceEngine, space: string): Promise<ConsolidationStats> => ms.registry.use(space, ({ store }) => store.consolidationStats(clock));
    const NOTHING = { lastRunAt: null, runs: 0, merged: 0, superseded: 0, decayed: 0, ratePerMinute: 0 };

    /** A space holding one repeat (merged by a pass), one outdated fact (superseded) and one other memory. */
    async function seeded(ms: MemspaceEngine, prefix = 'cstats'): Promise<string> {
      const space = suite.name(prefix);
      await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
      await ms.memories.add(space, { content: 'The team standup is at 9:30', userId: 'dana', embedding: v(1) });
      await ms.memories.add(space, { content: 'Note: the team standup is at 9:30.', userId: 'dana', embedding: v(1) });
      await ms.memories.add(space, { content: 'Dana lives in Utrecht', userId: 'dana', metadata: { key: 'home_city' }, embedding: v(2) });
      await ms.memories.add(space, { content: 'Dana moved to Berlin', userId: 'dana', metadata: { key: 'home_city' }, embedding: v(3) });
      await ms.memories.add(space, { content: 'Standups are in room 4', userId: 'dana', embedding: v(4) });
      return space;
    }

    it('before any pass: nothing done, and every memory not expired pending', async () => {
      const ms = await open();
      const space = await seeded(ms);
      await ms.memories.add(space, { content: 'expires soon', embedding: v(5), expiresAt: new Date(START + MINUTE).toISOString() });
      expect(await health(ms, space)).toEqual({ ...NOTHING, pending: 6 });
      clock += 2 * MINUTE; // expired, not yet swept: not pending
      expect(await health(ms, space)).toEqual({ ...NOTHING, pending: 5 });
      expect(await stats(ms, space)).toEqual({ lastRunAt: null, runs: 0, merged: 0, superseded: 0, recent: 0, pending: 5 });
    });

    it('after a pass: its end, its counts, the rate over the last hour, and pending only what changed since', async () => {
      const ms = await open();
      const space = await seeded(ms);
      clock += MINUTE;
      const report = await ms.consolidation.run(space, {});
      expect(report).toMatchObject({ merged: 1, superseded: 1 });
      const end = new Date(clock).toISOString();
      // The pass rewrote its survivor, and that is not work left for the next one.
      expect(await health(ms, space)).toEqual({ lastRunAt: end, runs: 1, merged: 1, superseded: 1, decayed: 0, ratePerMinute: 0.033, pending: 0 });

      clock += MINUTE;
      const added = await ms.memories.add(space, { content: 'Standups move to Fridays', userId: 'dana', embedding: v(6) });
      const room = (await ms.memories.list(space, { limit: 10 })).items.find((m) => m.content === 'Standups are in room 4')!;
      await ms.memories.update(space, room.id, { content: 'Standups are in room 5', embedding: v(4) });
      await ms.memories.update(space, added.id, { tags: ['moved'] }); // one memory changed twice is one
      expect((await health(ms, space))!.pending).toBe(2);

      clock += 58 * MINUTE; // the pass ended 59 minutes ago: in the window
      expect((await health(ms, space))!.ratePerMinute).toBe(0.033);
      clock += MINUTE; // 60 minutes ago: out of it
      expect(await health(ms, space)).toEqual({ lastRunAt: end, runs: 1, merged: 1, superseded: 1, decayed: 0, ratePerMinute: 0, pending: 2 });
      expect(await stats(ms, space)).toEqual({ lastRunAt: Date.parse(end), runs: 1, merged: 1, superseded: 1, recent: 0, pending: 2 });

      clock += MINUTE;
      await ms.consolidation.run(space, {});
      expect(await health(ms, space)).toMatchObject({ lastRunAt: new Date(clock).toISOString(), runs: 2, merged: 1, superseded: 1, pending: 0 });
    });

    it('a dry run counts nowhere and changes nothing pending', async () => {
      const ms = await open();
      const space = await seeded(ms);
      clock += MINUTE;
      const dry = await ms.consolidation.run(space, { dryRun: true });
      expect(dry).toMatchObject({ dryRun: true, merged: 1, superseded: 1 });
      expect(await health(ms, space)).toEqual({ ...NOTHING, pending: 5 });
    });

    it('an undone pass still counts as a run, but its merges and supersessions do not', async () => {
      const ms = await open();
      const space = await seeded(ms);
      clock += MINUTE;
      const report = await ms.consolidation.run(space, {});
      const end = new Date(clock).toISOString();
      clock += MINUTE;
      await ms.consolidation.undo(space, { runId: report.runId });
      // Undo puts back rows as they were, times included: nothing it restores counts as changed since.
      expect(await health(ms, space)).toEqual({ lastRunAt: end, runs: 1, merged: 0, superseded: 0, decayed: 0, ratePerMinute: 0, pending: 0 });

      clock += MINUTE;
      await ms.consolidation.run(space, {});
      expect(await health(ms, space)).toMatchObject({ lastRunAt: new Date(clock).toISOString(), runs: 2, merged: 1, superseded: 1, ratePerMinute: 0.033 });
    });

    it('counts memories retention dropped by decay, in the total and in the rate of their hour', async () => {
      const ms = await open();
      const space = suite.name('cdecay');
      await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM, consolidation: { importanceFloor: 0.1 } });
      for (const axis of [1, 2, 3]) await ms.memories.add(space, { content: `old news ${axis}`, embedding: v(axis), importance: 0.8 });
      await ms.memories.add(space, { content: 'pinned', embedding: v(4), importance: 1 });
      clock += 100 * DAY; // 0.8 × 2^(−100/30) ≈ 0.079: under the floor
      expect(await ms.sweeper.sweepSpace(space)).toBe(3);
      expect(await health(ms, space)).toEqual({ ...NOTHING, decayed: 3, ratePerMinute: 0.05, pending: 1 });
      clock += 61 * MINUTE;
      expect(await health(ms, space)).toEqual({ ...NOTHING, decayed: 3, ratePerMinute: 0, pending: 1 });
    });

    it('reads the same figures from a closed space without opening it', async () => {
      const ms = await open();
      const space = await seeded(ms);
      clock += MINUTE;
      await ms.consolidation.run(space, {});
      clock += MINUTE;
      await ms.memories.add(space, { content: 'one more', userId: 'dana', embedding: v(7) });
      const openFigures = await health(ms, space);
      await ms.registry.closeSpace(space);
      const closed = await ms.health.spaceHealth(space);
      expect(closed.open).toBe(false);
      expect(closed.consolidation).toEqual(openFigures);
      expect(closed.consolidation).toMatchObject({ runs: 1, merged: 1, superseded: 1, pending: 1 });
      expect(ms.registry.isOpen(space)).toBe(false);

      const fresh = suite.name('cnever');
      await ms.spaces.create({ name: fresh, embedder: 'none', dimension: DIM });
      expect((await ms.health.spaceHealth(fresh)).consolidation).toEqual({ ...NOTHING, pending: 0 });
    });

    it("never shows one space's passes, undo or pending memories in another's", async () => {
      const ms = await open();
      const alpha = await seeded(ms, 'calpha');
      const beta = await seeded(ms, 'cbeta');
      clock += MINUTE;
      const run = await ms.consolidation.run(alpha, {});
      expect(await health(ms, alpha)).toMatchObject({ runs: 1, merged: 1, superseded: 1, pending: 0 });
      expect(await health(ms, beta)).toEqual({ ...NOTHING, pending: 5 });
      clock += MINUTE;
      await ms.consolidation.run(beta, {});
      await ms.consolidation.undo(alpha, { runId: run.runId });
      expect(await health(ms, alpha)).toMatchObject({ runs: 1, merged: 0, superseded: 0 });
      expect(await health(ms, beta)).toEqual({ lastRunAt: new Date(clock).toISOString(), runs: 1, merged: 1, superseded: 1, decayed: 0, ratePerMinute: 0.033, pending: 0 });
      await ms.registry.closeSpace(beta);
      expect((await ms.health.spaceHealth(beta)).consolidation).toMatchObject({ runs: 1, merged: 1, superseded: 1, pending: 0 });
    });
  });
}
