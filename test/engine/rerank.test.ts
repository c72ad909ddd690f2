import { describe, expect, it } from 'vitest';
import type { Reranker } from '../../src/core/ports/reranker.js';
import { tempMemspace } from '../support/temp-memspace.js';

/**
 * A reranker a library user gives `openMemspace` (`options.reranker`) in place of the configured
 * HTTP one: used by searches asking `rerank`, closed with the memspace, and held to the port's
 * contract (one finite score per document) so a faulty one fails the search with
 * BACKEND_UNAVAILABLE instead of misordering it or answering INTERNAL.
 */

/** A reranker of the user's own: scores by content length (longer first), or as `scores` says. */
function ownReranker(scores?: (documents: readonly string[]) => number[]): Reranker & { closed: boolean; calls: string[][] } {
  const own = {
    model: 'own-model',
    closed: false,
    calls: [] as string[][],
    rerank(_query: string, documents: readonly string[]): Promise<number[]> {
      own.calls.push([...documents]);
      return Promise.resolve(scores ? scores(documents) : documents.map((d) => d.length));
    },
    close(): Promise<void> {
      own.closed = true;
      return Promise.resolve();
    },
  };
  return own;
}

async function withSpace(reranker: Reranker): Promise<Awaited<ReturnType<typeof tempMemspace>>> {
  const ms = await tempMemspace({ reranker });
  await ms.spaces.create({ name: 'notes', embedder: 'none', dimension: 2 });
  for (const content of ['short', 'a longer note', 'the longest note of the three']) await ms.memories.add('notes', { content, embedding: [1, 0] });
  return ms;
}

const search = { query: 'notes', embedding: [1, 0], rerank: true };

describe('a reranker given to openMemspace', () => {
  it('orders reranked searches, leaves other searches alone, and is closed with the memspace', async () => {
    const reranker = ownReranker();
    const ms = await withSpace(reranker);
    try {
      const { results } = await ms.search.run('notes', search);
      expect(results.map((h) => [h.memory.content, h.score])).toEqual([
        ['the longest note of the three', 29],
        ['a longer note', 13],
        ['short', 5],
      ]);
      await ms.search.run('notes', { query: 'notes', embedding: [1, 0] });
      expect(reranker.calls).toHaveLength(1);
    } finally {
      await ms.cleanup();
    }
    expect(reranker.closed).toBe(true);
  });

  it('fails the search with BACKEND_UNAVAILABLE when it breaks the contract or throws', async () => {
    const faults: [string, (documents: readonly string[]) => number[], RegExp][] = [
      ['too few scores', (d) => d.slice(1).map(() => 1), /gave 2 scores for 3 documents/],
      ['a NaN', (d) => d.map((_, i) => (i === 0 ? Number.NaN : 1)), /not a finite number/],
      [
        'a plain error',
        () => {
          throw new TypeError('oops');
        },
        /reranker own-model failed/,
      ],
    ];
    for (const [name, scores, message] of faults) {
      const ms = await withSpace(ownReranker(scores));
      try {
        await expect(ms.search.run('notes', search), name).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: expect.stringMatching(message) });
      } finally {
        await ms.cleanup();
      }
    }
  });
});
