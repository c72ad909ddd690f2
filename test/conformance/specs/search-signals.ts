import { afterEach, describe, expect, it } from 'vitest';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { DATE_BOOST, NEIGHBOR_SHARE } from '../../../src/core/search-signals.js';
import { atCosine, type Suite } from '../harness.js';

/**
 * The signals a search adds to its rankings (core/search-signals.ts): run neighbours of the
 * best hits, kept to the search's filter, its space and the living; dates the query names,
 * matched against `metadata.date` or the creation time. Each can be turned off per search.
 */
export function searchSignalsSpec(suite: Suite): void {
  describe('search signals', () => {
    const DIM = 4;
    const START = Date.parse('2026-06-10T12:00:00Z');
    let clock = START;
    const open = (): Promise<MemspaceEngine> => suite.open({ now: () => clock });
    afterEach(() => {
      clock = START;
    });
    const at = atCosine;
    const query = [1, 0, 0, 0];
    const newSpace = async (ms: MemspaceEngine, prefix: string): Promise<string> => {
      const space = suite.name(prefix);
      await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
      return space;
    };
    const ids = (hits: { memory: { id: string } }[]): string[] => hits.map((h) => h.memory.id);

    it('lift the turns before and after a best hit in its run, at a share of its score, unless turned off', async () => {
      const ms = await open();
      const space = await newSpace(ms, 'neighbors');
      const [question, answer, earlier, later] = await ms.memories.addMany(space, [
        { content: 'Sam: what concert was it?', runId: 'session-1', embedding: at(1) },
        { content: 'Kim: Matt Patterson, he sang all night', runId: 'session-1', embedding: at(0) },
        { content: 'Sam: hello again', runId: 'session-2', embedding: at(0) },
        { content: 'Kim: a later turn', runId: 'session-2', embedding: at(0) },
      ]);
      const loose = await ms.memories.add(space, { content: 'a fact of no run', embedding: at(0.5) });
      const search = async (extra: Record<string, unknown>) => (await ms.search.run(space, { embedding: query, mode: 'vector', limit: 3, ...extra })).results;

      const hits = await search({});
      expect(ids(hits)).toEqual([question!.id, answer!.id, loose.id]);
      expect(hits[1]!.score).toBeCloseTo(NEIGHBOR_SHARE, 6);
      expect(hits[1]!.scores.neighbor).toBeCloseTo(NEIGHBOR_SHARE, 6);
      // Other runs' turns are not neighbours, however close in time they were written.
      expect(ids(hits)).not.toContain(earlier!.id);
      expect(ids(hits)).not.toContain(later!.id);
      const plain = await search({ neighbors: false });
      expect(ids(plain).slice(0, 2)).toEqual([question!.id, loose.id]);
      expect(plain.every((h) => h.scores.neighbor === undefined)).toBe(true);
    });

    it("keep neighbours to the search's filter and to living memories: another user's or an expired turn is skipped", async () => {
      const ms = await open();
      const space = await newSpace(ms, 'neighbors-filter');
      const [hit, bobs, expiring, alices] = await ms.memories.addMany(space, [
        { content: 'alice asks', runId: 'chat', userId: 'alice', embedding: at(1) },
        { content: 'bob answers', runId: 'chat', userId: 'bob', embedding: at(0) },
        { content: 'alice, soon gone', runId: 'chat', userId: 'alice', embedding: at(0), expiresAt: new Date(START + 60_000).toISOString() },
        { content: 'alice answers', runId: 'chat', userId: 'alice', embedding: at(0) },
      ]);
      clock = START + 120_000;
      const hits = (await ms.search.run(space, { embedding: query, mode: 'vector', limit: 5, userId: 'alice' })).results;
      expect(ids(hits)).toEqual([hit!.id, alices!.id]);
      expect(hits[1]!.scores.neighbor).toBeCloseTo(NEIGHBOR_SHARE, 6);
      expect(ids(hits)).not.toContain(bobs!.id);
      expect(ids(hits)).not.toContain(expiring!.id);
      // Unfiltered, bob's turn is the neighbour; the expired one never is.
      const all = (await ms.search.run(space, { embedding: query, mode: 'vector', limit: 5 })).results;
      expect(ids(all).slice(0, 2)).toEqual([hit!.id, bobs!.id]);
      expect(ids(all)).not.toContain(expiring!.id);
    });

    it("never lift another space's turns of a run of the same name, written in between", async () => {
      const ms = await open();
      const mine = await newSpace(ms, 'neighbors-mine');
      const theirs = await newSpace(ms, 'neighbors-theirs');
      const first = await ms.memories.add(mine, { content: 'mine 1', runId: 'r', embedding: at(1) });
      const planted = await ms.memories.add(theirs, { content: 'theirs, in between', runId: 'r', embedding: at(1) });
      const second = await ms.memories.add(mine, { content: 'mine 2', runId: 'r', embedding: at(0) });
      await ms.memories.add(theirs, { content: 'theirs, after', runId: 'r', embedding: at(1) });
      const hits = (await ms.search.run(mine, { embedding: query, mode: 'vector', limit: 10 })).results;
      expect(ids(hits)).toEqual([first.id, second.id]);
      // Lifted: its neighbour was found in its own space, not in the planted turn between them.
      expect(hits[1]!.scores.neighbor).toBeCloseTo(NEIGHBOR_SHARE, 6);
      expect(hits.every((h) => h.memory.content.startsWith('mine'))).toBe(true);
      const theirHits = (await ms.search.run(theirs, { embedding: query, mode: 'vector', limit: 10 })).results;
      expect(ids(theirHits)).toContain(planted.id);
      expect(theirHits.every((h) => h.memory.content.startsWith('theirs'))).toBe(true);
    });

    it('favour memories dated in the span the query names: metadata.date, else the creation time', async () => {
      const ms = await open();
      const space = await newSpace(ms, 'dates');
      const [june, may] = await ms.memories.addMany(space, [
        { content: 'painted a lake', embedding: at(1), metadata: { date: '2023-06-02T10:00:00Z' } },
        { content: 'painted a sunrise', embedding: at(0.9), metadata: { date: '2023-05-20' } },
      ]);
      const search = async (text: string, extra: Record<string, unknown> = {}) =>
        (await ms.search.run(space, { query: text, embedding: query, mode: 'vector', limit: 2, neighbors: false, ...extra })).results;

      const inMay = await search('what did I paint in May 2023?');
      expect(ids(inMay)).toEqual([may!.id, june!.id]);
      expect(inMay[0]!.score).toBeCloseTo(0.9 + DATE_BOOST, 6);
      expect(inMay[0]!.scores).toEqual({ vector: expect.closeTo(0.9, 6), date: DATE_BOOST });
      expect(ids(await search('what did I paint on 2 June, 2023?'))).toEqual([june!.id, may!.id]);
      expect(ids(await search('what did I paint in May 2023?', { dates: false }))).toEqual([june!.id, may!.id]);
      // A date that names nothing stored, or no date at all, changes nothing.
      expect(ids(await search('what did I paint in 1999?'))).toEqual([june!.id, may!.id]);
      expect(ids(await search('what did I paint?'))).toEqual([june!.id, may!.id]);

      // Without metadata.date a memory is dated by its creation: "yesterday" against the clock.
      const dated = await newSpace(ms, 'dates-created');
      const old = await ms.memories.add(dated, { content: 'older', embedding: at(1) });
      clock = START + 3 * 86_400_000;
      const recent = await ms.memories.add(dated, { content: 'newer', embedding: at(0.9) });
      clock += 86_400_000;
      const hits = (await ms.search.run(dated, { query: 'what happened yesterday', embedding: query, mode: 'vector', limit: 2 })).results;
      expect(ids(hits)).toEqual([recent.id, old.id]);
    });
  });
}
