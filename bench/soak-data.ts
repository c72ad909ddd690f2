/**
 * The memories of the soak run, derived from their id and revision alone, so the run can send
 * a memory's vector again in a search (and find the memory first) without keeping it, and keeps
 * only a short hash of each content.
 */
import { createHash } from 'node:crypto';

import { clusteredVectors, queryVectors, seededRandom } from './vectors.js';

/** Dimension of every soak space (`embedder: "none"`, vectors given by the caller). */
export const SOAK_DIMENSION = 64;
const CLUSTERS = 8;
const WORDS = [
  'invoice', 'flight', 'database', 'recipe', 'trail', 'meeting', 'laptop', 'doctor', 'lease', 'contract',
  'garden', 'guitar', 'marathon', 'cluster', 'pension', 'wedding', 'puppy', 'mortgage', 'novel', 'mechanic',
  'compiler', 'espresso', 'homework', 'hotel', 'budget', 'password', 'yoga', 'sofa', 'podcast', 'ferry',
  'newsletter', 'printer', 'kitchen', 'birthday', 'candidate', 'chess', 'camera', 'solar', 'dashboard', 'snow',
];

/** A memory as the run writes it. */
export interface SoakMemory {
  id: string;
  content: string;
  embedding: number[];
}

/**
 * The memory `id` holds at revision `revision` (0 when added, one more per update). Its content
 * carries a word made of the id's hash, found by a keyword search for that memory alone.
 */
export function soakMemory(id: string, revision: number): SoakMemory {
  const seed = seedOf(`${id}#${revision}`);
  const random = seededRandom(seed);
  const words = Array.from({ length: 8 }, () => WORDS[Math.floor(random() * WORDS.length)]!);
  return { id, content: `${words.join(' ')} ${uniqueWord(id)} revision ${revision}`, embedding: json(clusteredVectors(1, SOAK_DIMENSION, seed, CLUSTERS)) };
}

/** The word of `id` that no other memory's content holds: `k` and 12 hex digits of its hash. */
export function uniqueWord(id: string): string {
  return `k${contentHash(id).slice(0, 12)}`;
}

/** Two random words of the vocabulary, for keyword searches. */
export function randomWords(random: () => number): string {
  return `${WORDS[Math.floor(random() * WORDS.length)]!} ${WORDS[Math.floor(random() * WORDS.length)]!}`;
}

/** A query vector from the memories' distribution. */
export function randomVector(random: () => number): number[] {
  return json(queryVectors(1, SOAK_DIMENSION, Math.floor(random() * 2 ** 31), CLUSTERS));
}

/** The short hash the run keeps of a content. */
export function contentHash(content: string): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

/** A vector as the run sends it: 6 decimals keep the JSON short and change no ranking here. */
function json(vector: Float32Array): number[] {
  return Array.from(vector, (x) => Number(x.toFixed(6)));
}

function seedOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32LE(0);
}
