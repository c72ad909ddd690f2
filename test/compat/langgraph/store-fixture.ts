import type { Embedder, EmbedderProvider } from '../../../src/core/ports/embedder.js';
import { tempMemspace } from '../../support/temp-memspace.js';

export { failure } from '../../support/rejects-with.js';

/** Dimension of the toy embedder. */
export const TOY_DIM = 64;

/**
 * A deterministic bag-of-words embedder: each word adds 1 along an axis picked by its hash, so
 * texts sharing words are close. It stands in for every embedder id but `none`.
 */
export function toyEmbedders(): EmbedderProvider {
  const make = (id: string, dimension: number): Embedder => ({
    id,
    dimension,
    embed: async (texts) => texts.map((text) => bagOfWords(text, dimension)),
    close: async () => {},
  });
  return { get: (id, dimension) => (id === 'none' ? undefined : make(id, dimension)), dimensionOf: (id) => (id === 'none' ? undefined : TOY_DIM) };
}

function bagOfWords(text: string, dimension: number): Float32Array {
  const v = new Float32Array(dimension);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    let h = 2166136261;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619);
    v[(h >>> 0) % dimension]! += 1;
  }
  return v;
}

/** A memspace on a temp directory with the toy embedder and a clock the test moves. */
export async function toyMemspace(): Promise<Awaited<ReturnType<typeof tempMemspace>> & { clock: { now: number } }> {
  const clock = { now: Date.parse('2025-01-01T00:00:00Z') };
  const ms = await tempMemspace({ embedders: toyEmbedders(), now: () => clock.now });
  return Object.assign(ms, { clock });
}

