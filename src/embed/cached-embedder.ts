import { createHash } from 'node:crypto';

import { MemspaceError } from '../core/errors.js';
import type { Embedder } from '../core/ports/embedder.js';
import { positiveInteger, validateTexts } from './embed-input.js';

/** Options of {@link CachedEmbedder}. */
export interface CachedEmbedderOptions {
  /**
   * Most vectors kept; the least recently used one is evicted first. A 512-dimension entry
   * costs about 2.1 KB, so the default holds roughly 21 MB.
   * @default 10_000
   */
  capacity?: number;
}

/** Counters of a {@link CachedEmbedder}, for benchmarks and metrics. */
export interface CacheStats {
  /** Texts answered from the cache, counting repeats within a call. */
  readonly hits: number;
  /** Texts sent to the inner embedder (each distinct text of a call once). */
  readonly misses: number;
  /** Vectors currently held. */
  readonly size: number;
}

/**
 * Wraps an {@link Embedder} with an in-memory LRU cache keyed by
 * `sha256(inner.id + '\0' + text)`: re-embedding unchanged content (reindex, repeated queries)
 * costs nothing, and the id in the key keeps vectors of different models apart.
 *
 * - Only the misses reach the inner embedder, in one call, each distinct text once.
 * - Same `id` and `dimension` as the inner embedder: caching never changes what a space records.
 * - The cache owns its vectors and hands out copies, so a caller that mutates a result cannot
 *   corrupt later answers.
 * - Failures of the inner embedder propagate and cache nothing. Concurrent calls missing the
 *   same text each ask the inner embedder; the vectors are identical, so nothing breaks.
 * - {@link close} clears the cache and closes the inner embedder, which this wrapper owns.
 */
export class CachedEmbedder implements Embedder {
  /** The inner embedder's id. */
  readonly id: string;
  /** The inner embedder's dimension. */
  readonly dimension: number;

  readonly #inner: Embedder;
  readonly #capacity: number;
  /** Map iteration order is insertion order: re-inserting on every hit makes the first key the least recently used. */
  readonly #entries = new Map<string, Float32Array>();
  #hits = 0;
  #misses = 0;

  /** Wraps `inner`; the cache starts empty. */
  constructor(inner: Embedder, options: CachedEmbedderOptions = {}) {
    this.#inner = inner;
    this.id = inner.id;
    this.dimension = inner.dimension;
    this.#capacity = positiveInteger('capacity', options.capacity ?? 10_000);
  }

  /** Current counters. */
  get stats(): CacheStats {
    return { hits: this.#hits, misses: this.#misses, size: this.#entries.size };
  }

  /** Embeds `texts` in order, asking the inner embedder only for texts not cached. */
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    // Validated here too so an error names the caller's index, not one in the list of misses.
    validateTexts(texts);
    const keys = texts.map((text) => this.#key(text));
    const found = new Array<Float32Array | undefined>(texts.length);
    /** Distinct missing keys, in first-seen order, with the text to embed for each. */
    const missing = new Map<string, string>();
    for (const [i, key] of keys.entries()) {
      const vector = this.#get(key);
      if (vector !== undefined) {
        found[i] = vector;
        this.#hits += 1;
      } else if (missing.has(key)) {
        // A repeat of a text already being fetched in this call: served by that one fetch.
        this.#hits += 1;
      } else {
        missing.set(key, texts[i] ?? '');
      }
    }

    if (missing.size > 0) {
      const computed = await this.#inner.embed([...missing.values()]);
      if (computed.length !== missing.size) {
        throw new MemspaceError('INTERNAL', `embedder ${this.id} returned ${computed.length} vectors for ${missing.size} texts`);
      }
      this.#misses += missing.size;
      const fresh = new Map<string, Float32Array>();
      for (const [j, key] of [...missing.keys()].entries()) {
        const vector = computed[j];
        if (vector === undefined || vector.length !== this.dimension) {
          throw new MemspaceError(
            'DIMENSION_MISMATCH',
            `embedder ${this.id} returned a vector of ${vector?.length ?? 0} dimensions, expected ${this.dimension}`,
            { expected: this.dimension, actual: vector?.length ?? 0 },
          );
        }
        fresh.set(key, vector);
      }
      for (const [key, vector] of fresh) this.#set(key, vector);
      for (const [i, key] of keys.entries()) found[i] ??= fresh.get(key);
    }

    // Every slot is filled: each key was either cached or fetched above.
    return found.map((vector) => (vector as Float32Array).slice());
  }

  /** Clears the cache and closes the inner embedder. Idempotent if the inner embedder is. */
  async close(): Promise<void> {
    this.#entries.clear();
    await this.#inner.close();
  }

  #key(text: string): string {
    return createHash('sha256').update(this.id).update('\0').update(text).digest('base64');
  }

  #get(key: string): Float32Array | undefined {
    const vector = this.#entries.get(key);
    if (vector !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, vector);
    }
    return vector;
  }

  #set(key: string, vector: Float32Array): void {
    this.#entries.delete(key);
    this.#entries.set(key, vector);
    while (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }
}
