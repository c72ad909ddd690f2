import { afterEach, describe, expect, it } from 'vitest';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import { failure, type Suite } from '../harness.js';

/** Quotas (memories, bytes, request rate) and retention sweeps (expiry, retentionDays, on open, in the background), with an injected clock. */
export function quotasRetentionSpec(suite: Suite): void {
  describe('quotas and retention', () => {
    const DIM = 4;
    const DAY = 86_400_000;
    const v = (axis: number): number[] => axisVector(DIM, axis);
    let clock = Date.parse('2026-06-01T00:00:00Z');
    const now = (): number => clock;
    const open = (): Promise<MemspaceEngine> => suite.open({ now });
    /** This test's own name for the space it calls `base`: the backend is shared with every other test. */
    let names = new Map<string, string>();
    const sp = (base: string): string => {
      if (!names.has(base)) names.set(base, suite.name(base));
      return names.get(base)!;
    };
    afterEach(() => {
      names = new Map();
      clock = Date.parse('2026-06-01T00:00:00Z');
    });
    /**
     * Ids the space's keyword index matches for `word`, asked as of time 0 so that expiry hides
     * nothing: only a memory gone from the index can be missing.
     */
    const keywordIds = async (ms: MemspaceEngine, space: string, word: string): Promise<string[]> =>
      (await ms.registry.use(space, ({ store }) => store.keywordSearch(word, undefined, 10, 0))).map((h) => h.id);

    describe('quotas', () => {
      it('refuses a batch that would cross maxMemories, writing nothing, and names the quota', async () => {
        const ms = await open();
        await ms.spaces.create({ name: sp('small'), embedder: 'none', dimension: DIM, quotas: { maxMemories: 3 } });
        await ms.memories.addMany(sp('small'), [{ content: 'a', embedding: v(0) }, { content: 'b', embedding: v(1) }]);
        const auditBefore = (await ms.spaces.audit(sp('small'))).items.length;
        const f = await failure(ms.memories.addMany(sp('small'), [{ content: 'c', embedding: v(2) }, { content: 'd', embedding: v(3) }]));
        expect(f).toEqual({ code: 'QUOTA_EXCEEDED', details: { quota: 'maxMemories', limit: 3, current: 2, requested: 2 } });
        expect((await ms.memories.list(sp('small'))).items.map((m) => m.content).sort()).toEqual(['a', 'b']);
        expect((await ms.spaces.audit(sp('small'))).items.length).toBe(auditBefore);
        await ms.memories.add(sp('small'), { content: 'c', embedding: v(2) }); // exactly at the quota is fine
      });

      it('refuses writes past maxBytes, and a quota of one space never touches another', async () => {
        const ms = await open();
        await ms.spaces.create({ name: sp('tight'), embedder: 'none', dimension: DIM, quotas: { maxBytes: 400 } });
        await ms.spaces.create({ name: sp('roomy'), embedder: 'none', dimension: DIM });
        await ms.memories.add(sp('tight'), { content: 'x'.repeat(100), embedding: v(0) });
        const f = await failure(ms.memories.add(sp('tight'), { content: 'y'.repeat(300), embedding: v(1) }));
        expect(f.code).toBe('QUOTA_EXCEEDED');
        expect(f.details?.['quota']).toBe('maxBytes');
        await ms.memories.add(sp('roomy'), { content: 'y'.repeat(300), embedding: v(1) });
        expect((await ms.memories.list(sp('roomy'))).items).toHaveLength(1);
      });

      it('limits requests per second per space with the injected clock', async () => {
        const ms = await open();
        await ms.spaces.create({ name: sp('slow'), embedder: 'none', dimension: DIM, quotas: { maxRequestsPerSecond: 2 } });
        await ms.spaces.create({ name: sp('fast'), embedder: 'none', dimension: DIM });
        await ms.memories.list(sp('slow'));
        await ms.memories.list(sp('slow'));
        const f = await failure(ms.memories.list(sp('slow')));
        expect(f.code).toBe('QUOTA_EXCEEDED');
        expect(f.details).toMatchObject({ quota: 'maxRequestsPerSecond', limit: 2 });
        for (let i = 0; i < 10; i++) await ms.memories.list(sp('fast')); // another space has its own budget
        clock += 1000;
        await ms.memories.list(sp('slow'));
      });

      it('rejects invalid quotas', async () => {
        const ms = await open();
        const f = await failure(ms.spaces.create({ name: sp('bad'), embedder: 'none', dimension: DIM, quotas: { maxMemories: -1 } }));
        expect(f.code).toBe('VALIDATION_FAILED');
      });
    });

    describe('retention sweeps', () => {
      it('hard-deletes expired memories with history, audit and change events, and leaves the rest', async () => {
        const ms = await open();
        await ms.spaces.create({ name: sp('notes'), embedder: 'none', dimension: DIM });
        const soon = await ms.memories.add(sp('notes'), { content: 'expires soon', embedding: v(0), expiresAt: new Date(clock + 1000).toISOString() });
        const kept = await ms.memories.add(sp('notes'), { content: 'kept', embedding: v(1) });
        expect(await keywordIds(ms, sp('notes'), 'soon')).toEqual([soon.id]);
        clock += 2000;
        const feedBefore = await ms.registry.use(sp('notes'), ({ store }) => store.changes(0, 1000));
        expect(await ms.sweeper.sweepSpace(sp('notes'))).toBe(1);
        // The keyword index forgot it too, while it still finds the memory kept.
        expect(await keywordIds(ms, sp('notes'), 'soon')).toEqual([]);
        expect(await keywordIds(ms, sp('notes'), 'kept')).toEqual([kept.id]);
        const found = await ms.search.run(sp('notes'), { query: 'expires soon kept', mode: 'keyword' });
        expect(found.results.map((h) => h.memory.id)).toEqual([kept.id]);
        const deleted = await ms.registry.use(sp('notes'), ({ store }) => store.getMemories([soon.id]));
        expect(deleted).toEqual([]); // gone from storage, not hidden
        expect((await ms.memories.history(sp('notes'), soon.id)).map((h) => h.action)).toEqual(['create', 'delete']);
        const audit = await ms.spaces.audit(sp('notes'), { action: 'memory.expire' });
        expect(audit.items).toHaveLength(1);
        expect(audit.items[0]!.ids).toEqual([soon.id]);
        const feed = await ms.registry.use(sp('notes'), ({ store }) => store.changes(feedBefore.at(-1)!.seq, 1000));
        expect(feed.map((c) => [c.op, c.id])).toEqual([['memory.deleted', soon.id]]);
        expect((await ms.memories.get(sp('notes'), kept.id)).content).toBe('kept');
        expect(await ms.sweeper.sweepSpace(sp('notes'))).toBe(0);
      });

      it('applies retentionDays, at once when it is shortened', async () => {
        const ms = await open();
        await ms.spaces.create({ name: sp('diary'), embedder: 'none', dimension: DIM, retentionDays: 30 });
        const old = await ms.memories.add(sp('diary'), { content: 'old entry', embedding: v(0) });
        clock += 10 * DAY;
        const recent = await ms.memories.add(sp('diary'), { content: 'recent entry', embedding: v(1) });
        clock += 25 * DAY; // old is 35 days old, recent 25
        expect(await keywordIds(ms, sp('diary'), 'old')).toEqual([old.id]);
        expect(await ms.sweeper.sweepSpace(sp('diary'))).toBe(1);
        await expect(ms.memories.get(sp('diary'), old.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
        expect(await keywordIds(ms, sp('diary'), 'old')).toEqual([]);
        expect(await keywordIds(ms, sp('diary'), 'recent')).toEqual([recent.id]);
        await ms.spaces.update(sp('diary'), { retentionDays: 7 });
        await expect(ms.memories.get(sp('diary'), recent.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
        expect(ms.sweeper.stats().deleted).toBe(2);
      });

      it('sweeps a closed space as it opens, before anyone reads it', async () => {
        const ms = await open();
        await ms.spaces.create({ name: sp('cold'), embedder: 'none', dimension: DIM });
        await ms.memories.add(sp('cold'), { content: 'short lived', embedding: v(0), expiresAt: new Date(clock + 1000).toISOString() });
        await ms.registry.closeSpace(sp('cold'));
        clock += 5000;
        const before = ms.sweeper.stats().deleted;
        await ms.memories.list(sp('cold'));
        expect(ms.sweeper.stats().deleted).toBe(before + 1);
        expect(await ms.registry.use(sp('cold'), ({ store }) => store.stats())).toMatchObject({ memories: 0 });
      });

      it('walks closed spaces in the background, sweeping each and closing it again', async () => {
        const ms = await open();
        // Other tests' spaces share this catalogue: start from a clock past all of them and sweep
        // what they left expired, so the tick below counts this test's memories alone.
        clock = Date.parse('2100-01-01T00:00:00Z');
        await ms.sweeper.sweep();
        // A tick walks the first closed spaces in catalogue order: these names sort first.
        for (const name of ['0-tick-c1', '0-tick-c2'].map(sp)) {
          await ms.spaces.create({ name, embedder: 'none', dimension: DIM });
          await ms.memories.add(name, { content: `${name} expiring`, embedding: v(0), expiresAt: new Date(clock + 10).toISOString() });
          await ms.registry.closeSpace(name);
        }
        clock += 1000;
        const report = await ms.sweeper.tick();
        expect(report.deleted).toBe(2);
        expect(ms.registry.isOpen(sp('0-tick-c1')) || ms.registry.isOpen(sp('0-tick-c2'))).toBe(false);
        expect(await ms.health.spaceHealth(sp('0-tick-c1'))).toMatchObject({ memories: 0, open: false });
      });

      it('sweeps every space of the catalogue, one space at a time, and none leaks into another', async () => {
        const ms = await open();
        // Other tests' spaces share this catalogue: start from a clock past all of them and sweep
        // what they left expired, so the sweep below counts this test's memories alone.
        clock = Date.parse('2100-01-01T00:00:00Z');
        await ms.sweeper.sweep();
        for (const name of ['s1', 's2', 's3'].map(sp)) {
          await ms.spaces.create({ name, embedder: 'none', dimension: DIM });
          await ms.memories.add(name, { content: `${name} expiring`, embedding: v(0), expiresAt: new Date(clock + 10).toISOString() });
          await ms.memories.add(name, { content: `${name} kept`, embedding: v(1) });
        }
        clock += 1000;
        const report = await ms.sweeper.sweep();
        expect(report.deleted).toBe(3);
        expect(report.failed).toEqual([]);
        for (const name of ['s1', 's2', 's3'].map(sp)) {
          expect((await ms.memories.list(name)).items.map((m) => m.content)).toEqual([`${name} kept`]);
          expect((await ms.spaces.audit(name, { action: 'memory.expire' })).items).toHaveLength(1);
        }
      });
    });
  });
}
