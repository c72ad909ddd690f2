import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import { code, type Suite } from '../harness.js';

/** The filter language in listings and searches; vector, keyword and hybrid search. */
export function searchSpec(suite: Suite): void {
  describe('filters and search', () => {
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

    describe('filters', () => {
      beforeEach(async () => {
        await ms.memories.addMany(space, [
          { id: 'a', content: 'a', embedding: v(1), metadata: { topic: 'cats', n: 1, flag: true, list: ['x', 'y'], nested: { deep: 'yes' } }, tags: ['pets', 'home'], userId: 'alice', kind: 'fact', importance: 0.2 },
          { id: 'b', content: 'b', embedding: v(2), metadata: { topic: 'dogs', n: 5, flag: false, list: ['z'] }, tags: ['pets'], userId: 'bob', agentId: 'ag', kind: 'episode', importance: 0.8 },
          { id: 'c', content: 'c', embedding: v(3), metadata: { topic: 'finance', n: '5', note: 'the quarterly report' }, tags: [], runId: 'r1', kind: 'document', importance: 0.5 },
        ]);
      });
      const ids = async (filter: unknown): Promise<string[]> =>
        (await ms.memories.list(space, { filter, order: 'asc' })).items.map((m) => m.id);

      it.each<[string, unknown, string[]]>([
        ['eq on metadata', { 'metadata.topic': { eq: 'cats' } }, ['a']],
        ['shorthand eq', { 'metadata.topic': 'dogs' }, ['b']],
        ['typed equality: 5 is not "5"', { 'metadata.n': 5 }, ['b']],
        ['typed equality: "5" is not 5', { 'metadata.n': '5' }, ['c']],
        ['ne includes missing', { 'metadata.flag': { ne: true } }, ['b', 'c']],
        ['gt on numbers ignores strings', { 'metadata.n': { gt: 1 } }, ['b']],
        ['gte', { 'metadata.n': { gte: 1 } }, ['a', 'b']],
        ['lt', { importance: { lt: 0.5 } }, ['a']],
        ['lte', { importance: { lte: 0.5 } }, ['a', 'c']],
        ['in', { 'metadata.topic': { in: ['cats', 'finance'] } }, ['a', 'c']],
        ['nin includes missing', { agentId: { nin: ['ag'] } }, ['a', 'c']],
        ['contains on an array', { 'metadata.list': { contains: 'y' } }, ['a']],
        ['contains on a string', { 'metadata.note': { contains: 'quarter' } }, ['c']],
        ['eq matches an array element', { 'metadata.list': 'z' }, ['b']],
        ['exists true', { 'metadata.note': { exists: true } }, ['c']],
        ['exists false', { 'metadata.note': { exists: false } }, ['a', 'b']],
        ['nested path', { 'metadata.nested.deep': 'yes' }, ['a']],
        ['boolean', { 'metadata.flag': false }, ['b']],
        ['tags contains', { tags: { contains: 'home' } }, ['a']],
        ['tags in', { tags: { in: ['pets'] } }, ['a', 'b']],
        ['tags nin', { tags: { nin: ['home'] } }, ['b', 'c']],
        ['tags exists false', { tags: { exists: false } }, ['c']],
        ['scopes', { userId: 'alice' }, ['a']],
        ['null scope', { userId: null }, ['c']],
        ['kind', { kind: { in: ['episode', 'document'] } }, ['b', 'c']],
        ['and', { and: [{ tags: 'pets' }, { importance: { gt: 0.5 } }] }, ['b']],
        ['or', { or: [{ userId: 'alice' }, { runId: 'r1' }] }, ['a', 'c']],
        ['not', { not: { tags: 'pets' } }, ['c']],
        ['not matches a missing field', { not: { userId: 'alice' } }, ['b', 'c']],
        ['not of a typed comparison matches a missing field', { not: { 'metadata.n': { gt: 1 } } }, ['a', 'c']],
        ['createdAt', { createdAt: { gte: '2026-01-01T00:00:00Z', lt: '2100-01-01T00:00:00Z' } }, ['a', 'b', 'c']],
        ['createdAt excludes', { createdAt: { lt: '2026-01-01T00:00:00Z' } }, []],
        ['id in', { id: { in: ['c', 'a'] } }, ['a', 'c']],
        ['empty in matches nothing', { userId: { in: [] } }, []],
      ])('%s', async (_label, filter, expected) => {
        expect(await ids(filter)).toEqual(expected);
      });

      it('applies the same filters inside search', async () => {
        const { results } = await ms.search.run(space, { query: 'a b c', embedding: v(1), filter: { 'metadata.topic': { ne: 'cats' } }, limit: 10 });
        expect(results.map((r) => r.memory.id).sort()).toEqual(['b', 'c']);
      });

      it('treats user input in metadata paths and values as data, never SQL', async () => {
        expect(await ids({ 'metadata.topic': "cats' OR 1=1 --" })).toEqual([]);
        await expect(ids({ "metadata.x') OR 1=1 --": 1 })).rejects.toThrowError(code('VALIDATION_FAILED'));
      });
    });

    describe('search', () => {
      beforeEach(async () => {
        await ms.memories.addMany(space, [
          { id: 'cat', content: 'the cat sleeps on the warm windowsill', embedding: v(1), tags: ['pets'], userId: 'alice' },
          { id: 'dog', content: 'the dog chases a ball in the park', embedding: v(2), tags: ['pets', 'outdoor'], userId: 'bob' },
          { id: 'tax', content: 'file the quarterly tax report before friday', embedding: v(3), tags: ['work'], userId: 'alice', agentId: 'acct', runId: 'r9' },
          { id: 'ball', content: 'a ball game tonight at the stadium', embedding: v(4), tags: ['outdoor'], userId: 'bob' },
        ]);
      });
      const idsOf = (r: { results: { memory: { id: string } }[] }): string[] => r.results.map((x) => x.memory.id);

      it('vector mode ranks by cosine similarity', async () => {
        const r = await ms.search.run(space, { embedding: v(3), mode: 'vector', limit: 2 });
        expect(idsOf(r)[0]).toBe('tax');
        expect(r.results[0]!.score).toBeCloseTo(1, 3);
        expect(r.results[0]!.scores.vector).toBeCloseTo(1, 3);
        expect(r.results.length).toBe(2);
      });

      it('keyword mode ranks by BM25 with stemming and ignores FTS syntax in the query', async () => {
        const r = await ms.search.run(space, { query: 'balls', mode: 'keyword' });
        expect(idsOf(r).sort()).toEqual(['ball', 'dog']);
        expect(r.results.every((x) => x.scores.keyword! > 0 && x.scores.vector === undefined)).toBe(true);
        expect(idsOf(await ms.search.run(space, { query: 'tax" OR "cat NEAR(', mode: 'keyword' })).sort()).toEqual(['cat', 'tax']);
        expect(idsOf(await ms.search.run(space, { query: '***', mode: 'keyword' }))).toEqual([]);
      });

      it('hybrid mode fuses both rankings, and vectorWeight tunes the mix', async () => {
        const both = await ms.search.run(space, { query: 'dog chases', embedding: v(2), limit: 4 });
        expect(idsOf(both)[0]).toBe('dog'); // first by keyword and by vector
        const top = both.results[0]!;
        expect(top.score).toBeCloseTo(0.5 * top.scores.vector! + 0.5 * top.scores.keyword!, 10);
        // Memories the keyword ranking did not find still carry their exact cosine.
        expect(both.results.every((r) => r.scores.vector !== undefined)).toBe(true);
        const rrf = await ms.search.run(space, { query: 'dog chases', embedding: v(2), fusion: 'rrf' });
        expect(idsOf(rrf)[0]).toBe('dog');
        expect(rrf.results[0]!.score).toBeCloseTo(1, 5); // first in both rankings
        // A threshold on the hybrid score cuts what matches neither by meaning nor by words.
        expect(idsOf(await ms.search.run(space, { query: 'dog chases', embedding: v(2), threshold: 0.3 }))).toEqual(['dog']);
        const keywordHeavy = await ms.search.run(space, { query: 'stadium', embedding: v(1), vectorWeight: 0 });
        expect(idsOf(keywordHeavy)[0]).toBe('ball');
        const vectorHeavy = await ms.search.run(space, { query: 'stadium', embedding: v(1), vectorWeight: 1 });
        expect(idsOf(vectorHeavy)[0]).toBe('cat');
      });

      it('applies scopes, tags any/all, threshold and limit', async () => {
        expect(idsOf(await ms.search.run(space, { embedding: v(1), mode: 'vector', userId: 'bob' })).sort()).toEqual(['ball', 'dog']);
        expect(idsOf(await ms.search.run(space, { embedding: v(1), mode: 'vector', agentId: 'acct', runId: 'r9' }))).toEqual(['tax']);
        expect(idsOf(await ms.search.run(space, { embedding: v(1), mode: 'vector', tags: ['work', 'outdoor'] })).sort()).toEqual(['ball', 'dog', 'tax']);
        expect(idsOf(await ms.search.run(space, { embedding: v(1), mode: 'vector', tags: ['pets', 'outdoor'], tagsMatch: 'all' }))).toEqual(['dog']);
        expect(idsOf(await ms.search.run(space, { embedding: v(1), mode: 'vector', threshold: 0.9 }))).toEqual(['cat']);
        expect((await ms.search.run(space, { embedding: v(1), mode: 'vector', limit: 3 })).results.length).toBe(3);
      });

      it('finds the best matches even when a filter keeps 1% of the space', async () => {
        const many = Array.from({ length: 1000 }, (_, i) => ({ content: `noise ${i}`, embedding: v(7), metadata: { rare: i % 100 === 0 } }));
        await ms.memories.addMany(space, many);
        const r = await ms.search.run(space, { embedding: v(7), mode: 'vector', filter: { 'metadata.rare': true }, limit: 10 });
        expect(r.results.length).toBe(10);
        expect(r.results.every((x) => x.memory.metadata['rare'] === true)).toBe(true);
      });

      it('rejects bad requests', async () => {
        for (const [req, expected] of [
          [{}, 'VALIDATION_FAILED'],
          [{ mode: 'keyword', embedding: v(1) }, 'VALIDATION_FAILED'],
          [{ query: 'x', mode: 'fuzzy' }, 'VALIDATION_FAILED'],
          [{ embedding: v(1), limit: 100_000 }, 'VALIDATION_FAILED'],
          [{ embedding: [1, 2, 3] }, 'DIMENSION_MISMATCH'],
          [{ embedding: v(1), filter: { userId: { regex: '.*' } } }, 'VALIDATION_FAILED'],
          [{ query: 'x' }, 'VALIDATION_FAILED'], // this space has no embedder for the query text
        ] as const) {
          await expect(ms.search.run(space, req), JSON.stringify(req)).rejects.toThrowError(code(expected));
        }
      });
    });
  });
}
