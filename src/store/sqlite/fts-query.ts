/**
 * English words too common to tell memories apart. A query word in this list would make BM25
 * score most of a space for almost no ranking signal, so it is dropped, unless every word of
 * the query is one (then they are all the query has).
 */
const STOP_WORDS: ReadonlySet<string> = new Set(
  `a about above after again against all am an and any are as at be because been before being below between both but by
  can could did do does doing down during each few for from further had has have having he her here hers herself him
  himself his how i if in into is it its itself just me more most my myself no nor not of off on once only or other our
  ours ourselves out over own same she should so some such than that the their theirs them themselves then there these
  they this those through to too under until up very was we were what when where which while who whom why will with
  would you your yours yourself yourselves`.split(/\s+/),
);

/** Most words a keyword query uses. */
const MAX_WORDS = 64;

/**
 * Turns free text into an FTS5 query: every word quoted (so FTS5 syntax in user input is inert)
 * and joined with OR, letting BM25 rank memories that match more words higher. Returns
 * undefined when the text holds no word.
 */
export function toFtsQuery(text: string): string | undefined {
  const words = [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])];
  if (words.length === 0) return undefined;
  const telling = words.filter((w) => !STOP_WORDS.has(w));
  return (telling.length > 0 ? telling : words)
    .slice(0, MAX_WORDS)
    .map((w) => `"${w}"`)
    .join(' OR ');
}
