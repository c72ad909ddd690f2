import { describe, expect, it } from 'vitest';

import { MemspaceError } from '../../src/core/errors.js';
import type { Embedder } from '../../src/core/ports/embedder.js';
import { CachedEmbedder } from '../../src/embed/cached-embedder.js';

/** Records what reaches it; the vector encodes the text's length and first character. */
class CountingEmbedder implements Embedder {
  readonly id: string;
  readonly dimension = 4;
  readonly calls: string[][] = [];
  closed = 0;
  failNext = false;

  constructor(id = 'counting:v1') {
    this.id = id;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.calls.push([...texts]);
    if (this.failNext) {
      this.failNext = false;
      throw new MemspaceError('BACKEND_UNAVAILABLE', 'down');
    }
    return texts.map((text) => Float32Array.from([text.length, text.charCodeAt(0), this.calls.length, 1]));
  }

  async close(): Promise<void> {
    this.closed += 1;
  }
}

describe('CachedEmbedder', () => {
  it('keeps the inner id and dimension', () => {
    const cached = new CachedEmbedder(new CountingEmbedder('local:use-lite'));
    expect(cached.id).toBe('local:use-lite');
    expect(cached.dimension).toBe(4);
  });

  it('sends only misses, once per distinct text, and keeps order', async () => {
    const inner = new CountingEmbedder();
    const cached = new CachedEmbedder(inner);

    const first = await cached.embed(['a', 'bb', 'a', 'ccc']);
    expect(inner.calls).toEqual([['a', 'bb', 'ccc']]);
    expect(first.map((vector) => vector[0])).toEqual([1, 2, 1, 3]);

    const second = await cached.embed(['ccc', 'dddd', 'a']);
    expect(inner.calls).toEqual([['a', 'bb', 'ccc'], ['dddd']]);
    expect(second.map((vector) => vector[0])).toEqual([3, 4, 1]);
    // Cached vectors are the ones computed on the first call (call counter in slot 2).
    expect(second[0]?.[2]).toBe(1);
    expect(second[1]?.[2]).toBe(2);

    expect(cached.stats).toEqual({ hits: 3, misses: 4, size: 4 });
  });

  it('makes no inner call when everything is cached', async () => {
    const inner = new CountingEmbedder();
    const cached = new CachedEmbedder(inner);
    await cached.embed(['x', 'y']);
    await cached.embed(['y', 'x', 'y']);
    await cached.embed([]);
    expect(inner.calls).toHaveLength(1);
  });

  it('hands out copies, so mutating a result does not corrupt the cache', async () => {
    const cached = new CachedEmbedder(new CountingEmbedder());
    const [a, b] = await cached.embed(['same', 'same']);
    if (a === undefined || b === undefined) throw new Error('missing vectors');
    expect(a).not.toBe(b);
    a.fill(0);
    const [again] = await cached.embed(['same']);
    expect(again?.[0]).toBe(4);
  });

  it('evicts the least recently used entry beyond capacity', async () => {
    const inner = new CountingEmbedder();
    const cached = new CachedEmbedder(inner, { capacity: 2 });
    await cached.embed(['a', 'b']);
    await cached.embed(['a']); // 'a' is now more recent than 'b'
    await cached.embed(['c']); // evicts 'b'
    expect(cached.stats.size).toBe(2);
    inner.calls.length = 0;
    await cached.embed(['a', 'c']);
    expect(inner.calls).toEqual([]);
    await cached.embed(['b']);
    expect(inner.calls).toEqual([['b']]);
  });

  it('caches nothing when the inner embedder fails', async () => {
    const inner = new CountingEmbedder();
    const cached = new CachedEmbedder(inner);
    inner.failNext = true;
    await expect(cached.embed(['a'])).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await cached.embed(['a']);
    expect(inner.calls).toEqual([['a'], ['a']]);
  });

  it('rejects vectors of the wrong length from the inner embedder', async () => {
    const inner = new CountingEmbedder();
    const liar: Embedder = {
      id: inner.id,
      dimension: 8,
      embed: (texts) => inner.embed(texts),
      close: () => inner.close(),
    };
    await expect(new CachedEmbedder(liar).embed(['a'])).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
  });

  it('validates texts with the caller’s indices', async () => {
    const cached = new CachedEmbedder(new CountingEmbedder());
    await cached.embed(['a']);
    await expect(cached.embed(['a', ''])).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { index: 1 } });
  });

  it('closes the inner embedder and clears the cache', async () => {
    const inner = new CountingEmbedder();
    const cached = new CachedEmbedder(inner);
    await cached.embed(['a']);
    await cached.close();
    expect(inner.closed).toBe(1);
    expect(cached.stats.size).toBe(0);
  });

  it('validates its capacity', () => {
    expect(() => new CachedEmbedder(new CountingEmbedder(), { capacity: 0 })).toThrow(MemspaceError);
  });
});
