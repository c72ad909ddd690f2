import { describe, expect, it } from 'vitest';
import { fuseRanks, keywordScore, rankHits, type RankOptions } from '../../src/core/ranking.js';

const options = (o: Partial<RankOptions> = {}): RankOptions => ({ mode: 'hybrid', fusion: 'weighted', vectorWeight: 0.5, limit: 10, ...o });

describe('rankHits: the one ranking rule of a search', () => {
  const vector = [
    { id: 'a', score: 0.9 },
    { id: 'b', score: 0.5 },
  ];
  const keyword = [
    { id: 'c', score: 3 },
    { id: 'b', score: 1 },
  ];
  const cosines = new Map([['c', 0.2]]);

  it('scores a weighted hybrid union exactly: keyword-only hits with their true cosine', () => {
    const ranked = rankHits(vector, keyword, cosines, options());
    const byId = new Map(ranked.map((r) => [r.id, r]));
    expect(byId.get('a')).toEqual({ id: 'a', score: 0.45, vector: 0.9 });
    expect(byId.get('b')!.score).toBeCloseTo(0.5 * 0.5 + 0.5 * keywordScore(1));
    expect(byId.get('c')).toEqual({ id: 'c', score: 0.5 * 0.2 + 0.5 * keywordScore(3), vector: 0.2, keyword: keywordScore(3) });
    expect(ranked.map((r) => r.id)).toEqual(['b', 'c', 'a']); // 0.5, 0.475, 0.45
  });

  it('weights the two rankings by vectorWeight', () => {
    expect(rankHits(vector, keyword, cosines, options({ vectorWeight: 1 }))[0]!.id).toBe('a');
    expect(rankHits(vector, keyword, cosines, options({ vectorWeight: 0 }))[0]!.id).toBe('c');
  });

  it('fuses by reciprocal rank with fusion rrf', () => {
    const ranked = rankHits(vector, keyword, cosines, options({ fusion: 'rrf' }));
    const rrf = new Map(fuseRanks([{ hits: vector, weight: 0.5 }, { hits: keyword, weight: 0.5 }]).map((h) => [h.id, h.score]));
    expect(ranked.map((r) => [r.id, r.score])).toEqual([...rrf].sort((x, y) => y[1] - x[1]));
    expect(ranked[0]!.id).toBe('b'); // the only memory both rankings found
  });

  it('ranks by one score in the single modes', () => {
    expect(rankHits(vector, undefined, new Map(), options({ mode: 'vector' })).map((r) => [r.id, r.score])).toEqual([['a', 0.9], ['b', 0.5]]);
    expect(rankHits([], keyword, new Map(), options({ mode: 'keyword' })).map((r) => [r.id, r.score])).toEqual([['c', keywordScore(3)], ['b', keywordScore(1)]]);
  });

  it('ranks a hybrid search that ran no keyword ranking (a vector without text) by cosine alone', () => {
    expect(rankHits(vector, undefined, new Map(), options()).map((r) => r.score)).toEqual([0.9, 0.5]);
    // A keyword ranking that ran and found nothing still weighs: the fused score is halved.
    expect(rankHits(vector, [], new Map(), options()).map((r) => r.score)).toEqual([0.45, 0.25]);
  });

  it('drops hits under the threshold, breaks ties by id and cuts to the limit', () => {
    const tied = [
      { id: 'z', score: 0.7 },
      { id: 'y', score: 0.7 },
      { id: 'x', score: 0.1 },
    ];
    expect(rankHits(tied, undefined, new Map(), options({ mode: 'vector', threshold: 0.5 })).map((r) => r.id)).toEqual(['y', 'z']);
    expect(rankHits(tied, undefined, new Map(), options({ mode: 'vector', limit: 1 })).map((r) => r.id)).toEqual(['y']);
  });
});
