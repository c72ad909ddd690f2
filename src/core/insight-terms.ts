/**
 * The words a `terms` insight counts (docs/federations.md): content split into lower-case
 * words, without stop words and without anything that looks like an identifier, a number, an
 * e-mail address, a URL or a secret, so that what a release can name is ordinary vocabulary.
 */
import { FUNCTION_WORDS } from './query-terms.js';

/** Words that say nothing of a topic: function words, and a few common verbs and fillers. */
const STOP_WORDS: ReadonlySet<string> = new Set([...FUNCTION_WORDS, ...'also now get got like one two use used using via per yes ok'.split(' ')]);

/** Shortest and longest word counted. */
const MIN_LENGTH = 3;
const MAX_LENGTH = 32;

const EMAIL = /[^\s@]+@[^\s@]+\.[^\s@]+/g;
const URL = /\b(?:https?|ftp):\/\/\S+|\bwww\.\S+/gi;
const UUID = /\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b/gi;
/** Letters only (any script), optionally joined by one hyphen or apostrophe: `follow-up`, `don't`. */
const WORD = /\p{L}+(?:['-]\p{L}+)*/gu;

/**
 * True for a word that looks like an identifier rather than vocabulary: long runs of
 * consonants or hexadecimal letters (hashes, keys), or mixed case inside a word (`acmeCorpX7`).
 */
function looksLikeId(word: string, original: string): boolean {
  if (/^[a-f]{12,}$/.test(word)) return true; // hex digests written with letters only
  if (/[bcdfghjklmnpqrstvwxz]{6,}/.test(word)) return true; // no human word has six consonants in a row
  return /\p{Ll}\p{Lu}/u.test(original); // camelCase and the like
}

/**
 * The distinct countable words of `text`, lower-case. Tokens mixing letters and digits never
 * match {@link WORD} whole: `user42`, `abc123def` and ids are dropped with their digits, since
 * a word is only taken when its neighbours are not letters or digits.
 */
export function contentTerms(text: string): Set<string> {
  const cleaned = text.replace(EMAIL, ' ').replace(URL, ' ').replace(UUID, ' ');
  const terms = new Set<string>();
  for (const match of cleaned.matchAll(WORD)) {
    const original = match[0];
    const at = match.index;
    const before = cleaned[at - 1];
    const after = cleaned[at + original.length];
    // Part of a longer token with digits or symbols (user_42, x1y2, key-9f3a): not a word.
    if ((before !== undefined && /[\p{N}_/\\#$%&*+=<>|~^`]/u.test(before)) || (after !== undefined && /[\p{N}_/\\#$%&*+=<>|~^`]/u.test(after))) continue;
    const word = original.toLowerCase();
    if (word.length < MIN_LENGTH || word.length > MAX_LENGTH) continue;
    if (STOP_WORDS.has(word) || looksLikeId(word, original)) continue;
    terms.add(word);
  }
  return terms;
}

/**
 * The `m` words held by the most memories, most first, ties by the word (so one space's
 * contribution does not depend on the order its memories are read in). Each memory counts a
 * word once, however often it repeats it.
 */
export function topTerms(documentFrequency: ReadonlyMap<string, number>, m: number): string[] {
  return [...documentFrequency.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, m)
    .map(([term]) => term);
}
