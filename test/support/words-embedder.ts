import { createHash } from 'node:crypto';
import type { Embedder, EmbedderProvider } from '../../src/core/ports/embedder.js';

/**
 * A deterministic bag-of-words embedder standing in for a model: texts sharing words are
 * similar and equal texts get equal vectors, so rankings are predictable, fast and the same on
 * every machine.
 */
export class WordsEmbedder implements Embedder {
  constructor(
    readonly id: string,
    readonly dimension: number,
  ) {}

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((text) => {
      const v = new Float32Array(this.dimension);
      for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) v[createHash('sha256').update(word).digest().readUInt16BE(0) % this.dimension]! += 1;
      v[this.dimension - 1]! += 0.01; // never the zero vector
      return v;
    });
  }

  async close(): Promise<void> {}
}

/**
 * Embedders with `words` as the only model. The `default` space every memspace makes asks the
 * local model's dimension (never the model), so that is known too.
 */
export function wordsProvider(words: WordsEmbedder): EmbedderProvider {
  const dimensions: Record<string, number> = { 'local:use-lite': 512, [words.id]: words.dimension };
  return { get: (id, dim) => (id === words.id && dim === words.dimension ? words : undefined), dimensionOf: (id) => dimensions[id] };
}
