import { afterEach, describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../../../src/core/types.js';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import { type ConfigOverrides, failure, type Suite } from '../harness.js';

/**
 * The change feed's horizon: sweeps compact each feed by age and by count (the rule that keeps
 * more wins), never its newest event, one space at a time; readers resume only from positions
 * the feed still holds (`CURSOR_EXPIRED` otherwise, before any event and when compaction
 * overtakes them) or start at `latest`; searches stay right after compaction removed events the
 * backend's own followers of the feed had not applied.
 */
export function changeFeedSpec(suite: Suite): void {
  describe('change feed horizon', () => {
    const DIM = 4;
    const DAY = 86_400_000;
    const START = Date.parse('2026-06-01T00:00:00Z');
    const v = (axis: number): number[] => axisVector(DIM, axis);
    let clock = START;
    const now = (): number => clock;
    afterEach(() => {
      clock = START;
    });

    /** A memspace keeping `days` of each feed and at least `minEvents` events, with one new space. */
    async function setup(feed: { days: number; minEvents: number }, config: ConfigOverrides = {}): Promise<{ ms: MemspaceEngine; space: string }> {
      const ms = await suite.open({ now, config: { feedRetentionDays: feed.days, feedMinEvents: feed.minEvents, ...config } });
      const space = suite.name('feed');
      await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
      return { ms, space };
    }
    const addSome = async (ms: MemspaceEngine, space: string, n: number): Promise<string[]> => {
      const added: string[] = [];
      for (let i = 0; i < n; i++) added.push((await ms.memories.add(space, { content: `note ${i}`, embedding: v(i % DIM) })).id);
      return added;
    };
    const feed = (ms: MemspaceEngine, space: string): Promise<ChangeRecord[]> => ms.registry.use(space, ({ store }) => store.changes(0, 1000));
    const seqs = async (ms: MemspaceEngine, space: string): Promise<number[]> => (await feed(ms, space)).map((c) => c.seq);
    const bounds = (ms: MemspaceEngine, space: string) => ms.registry.use(space, ({ store }) => store.feedBounds());
    /** The first event of a stream, then the stream is stopped. */
    async function firstEvent(ms: MemspaceEngine, space: string, after: number | 'latest'): Promise<{ after: number; first: ChangeRecord | undefined }> {
      const stop = new AbortController();
      const stream = await ms.changes.follow(space, after, { signal: stop.signal, pollMs: 50 });
      const iterator = stream[Symbol.asyncIterator]();
      const next = await iterator.next();
      stop.abort();
      await iterator.return?.(undefined);
      return { after: stream.after, first: next.done === true ? undefined : next.value };
    }

    it('keeps the newest minEvents however old, reports the oldest event held, and touches no memory or audit entry', async () => {
      const { ms, space } = await setup({ days: 7, minEvents: 3 });
      const ids = await addSome(ms, space, 6);
      expect(await bounds(ms, space)).toEqual({ oldest: 1, latest: 6 });
      const audit = (await ms.spaces.audit(space)).items.length;
      clock += 8 * DAY;
      const before = ms.sweeper.stats().compacted;
      await ms.sweeper.sweepSpace(space);
      expect(await seqs(ms, space)).toEqual([4, 5, 6]);
      expect(await bounds(ms, space)).toEqual({ oldest: 4, latest: 6 });
      expect(ms.sweeper.stats().compacted - before).toBe(3);
      expect((await ms.memories.list(space)).items.map((m) => m.id).sort()).toEqual([...ids].sort());
      expect((await ms.spaces.audit(space)).items.length).toBe(audit);
      await ms.sweeper.sweepSpace(space); // nothing more to do
      expect(await seqs(ms, space)).toEqual([4, 5, 6]);
    });

    it('keeps every event younger than the age limit even past minEvents, and compacts them once they are older', async () => {
      const { ms, space } = await setup({ days: 7, minEvents: 2 });
      await addSome(ms, space, 3); // seqs 1-3
      clock += 5 * DAY;
      await addSome(ms, space, 3); // seqs 4-6
      clock += 3 * DAY; // 1-3 are 8 days old, 4-6 three days old
      await ms.sweeper.sweepSpace(space);
      expect(await seqs(ms, space)).toEqual([4, 5, 6]);
      clock += 5 * DAY; // all older than 7 days: the newest two stay
      await ms.sweeper.sweepSpace(space);
      expect(await seqs(ms, space)).toEqual([5, 6]);
    });

    it('never deletes the newest event, and sequence numbers go on from it, across a reopen too', async () => {
      const { ms, space } = await setup({ days: 0, minEvents: 0 });
      const ids = await addSome(ms, space, 3);
      clock += 1;
      await ms.sweeper.sweepSpace(space);
      expect((await feed(ms, space)).map((c) => [c.seq, c.id])).toEqual([[3, ids[2]]]);
      await ms.memories.delete(space, ids[0]!);
      expect(await seqs(ms, space)).toEqual([3, 4]);
      await ms.registry.closeSpace(space);
      clock += 1;
      await ms.sweeper.sweepSpace(space); // opens it, compacts on open and again
      await ms.memories.add(space, { content: 'after reopening', embedding: v(1) });
      expect(await seqs(ms, space)).toEqual([4, 5]);
      expect(await bounds(ms, space)).toEqual({ oldest: 4, latest: 5 });
    });

    it('compacts only the space swept: another space with the same old events keeps them all', async () => {
      const { ms, space } = await setup({ days: 1, minEvents: 1 });
      const other = suite.name('feed-other');
      await ms.spaces.create({ name: other, embedder: 'none', dimension: DIM });
      await addSome(ms, space, 4);
      await addSome(ms, other, 4);
      clock += 2 * DAY;
      await ms.sweeper.sweepSpace(space);
      expect(await seqs(ms, space)).toEqual([4]);
      expect(await seqs(ms, other)).toEqual([1, 2, 3, 4]);
      expect(await bounds(ms, other)).toEqual({ oldest: 1, latest: 4 });
    });

    it('resumes only from a position the feed holds: CURSOR_EXPIRED with the oldest event for one compacted away, before any event', async () => {
      const { ms, space } = await setup({ days: 7, minEvents: 3 });
      await addSome(ms, space, 6);
      clock += 8 * DAY;
      await ms.sweeper.sweepSpace(space); // holds 4-6
      expect(await failure(ms.changes.follow(space, 2, { signal: AbortSignal.abort() }))).toEqual({ code: 'CURSOR_EXPIRED', details: { after: 2, oldest: 4, latest: 6 } });
      // The last event compacted was seen: nothing is missing.
      expect((await firstEvent(ms, space, 3)).first?.seq).toBe(4);
      // No resume point: everything the feed holds, from its oldest event.
      expect(await firstEvent(ms, space, 0).then((s) => [s.after, s.first?.seq])).toEqual([3, 4]);
      // Past the newest event: a position this feed never reached (another space's cursor, say).
      expect(await failure(ms.changes.follow(space, 7, { signal: AbortSignal.abort() }))).toEqual({ code: 'CURSOR_EXPIRED', details: { after: 7, oldest: 4, latest: 6 } });
    });

    it('starts at the head with latest: only changes committed after the stream opened', async () => {
      const { ms, space } = await setup({ days: 7, minEvents: 3 });
      await addSome(ms, space, 2);
      const stop = new AbortController();
      const stream = await ms.changes.follow(space, 'latest', { signal: stop.signal, pollMs: 50 });
      expect(stream.after).toBe(2);
      const iterator = stream[Symbol.asyncIterator]();
      const next = iterator.next();
      const added = await ms.memories.add(space, { content: 'new', embedding: v(0) });
      const event = await next;
      stop.abort();
      await iterator.return?.(undefined);
      expect(event.value).toMatchObject({ seq: 3, op: 'memory.created', id: added.id });
    });

    it('fails a stream with CURSOR_EXPIRED once compaction overtakes it, instead of skipping events', async () => {
      const { ms, space } = await setup({ days: 7, minEvents: 2 });
      await addSome(ms, space, 6);
      const stop = new AbortController();
      const stream = await ms.changes.follow(space, 0, { signal: stop.signal, pollMs: 50, batch: 1 });
      const iterator = stream[Symbol.asyncIterator]();
      expect((await iterator.next()).value).toMatchObject({ seq: 1 });
      clock += 8 * DAY;
      await ms.sweeper.sweepSpace(space); // holds 5-6: 2-4 are gone unread
      await expect(iterator.next()).rejects.toMatchObject({ code: 'CURSOR_EXPIRED', details: { after: 1, oldest: 5, latest: 6 } });
    });

    it('searches right after compaction deleted changes the vector search had not applied yet', async () => {
      const { ms, space } = await setup({ days: 7, minEvents: 1 });
      const moved = await ms.memories.add(space, { content: 'moves', embedding: v(0) });
      const gone = await ms.memories.add(space, { content: 'goes', embedding: v(1) });
      const top = async (axis: number): Promise<[string, number] | undefined> => {
        const hit = (await ms.search.run(space, { embedding: v(axis), mode: 'vector', limit: 1 })).results[0];
        return hit === undefined ? undefined : [hit.memory.id, Number(hit.score.toFixed(2))];
      };
      expect(await top(0)).toEqual([moved.id, 1]); // the search has applied the feed so far
      await ms.memories.update(space, moved.id, { embedding: v(2) });
      await ms.memories.delete(space, gone.id);
      const stays = await ms.memories.add(space, { content: 'stays', embedding: v(3) });
      clock += 8 * DAY;
      await ms.sweeper.sweepSpace(space); // only the newest event is left: the update and the delete are gone from the feed
      expect(await seqs(ms, space)).toHaveLength(1);
      // Scored as they are now: the update applied, the deleted memory never a hit.
      expect(await top(2)).toEqual([moved.id, 1]);
      expect(await top(3)).toEqual([stays.id, 1]);
      const all = (await ms.search.run(space, { embedding: v(1), mode: 'vector', limit: 10 })).results.map((r) => r.memory.id);
      expect(all.sort()).toEqual([moved.id, stays.id].sort());
    });
  });
}
