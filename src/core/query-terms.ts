/**
 * The words of a search's free-text query that the keyword ranking looks for. One rule for both
 * backends: SQLite's FTS5 query and PostgreSQL's tsquery are built from {@link keywordTerms}.
 */

/** Common English function words, which say nothing of what a text is about. */
export const FUNCTION_WORDS: readonly string[] = `a about above after again against all am an and any are as at be because been before being
  below between both but by can could did do does doing down during each few for from further had has have having he her
  here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not of off on once
  only or other our ours ourselves out over own same she should so some such than that the their theirs them themselves
  then there these they this those through to too under until up very was we were what when where which while who whom why
  will with would you your yours yourself yourselves`.split(/\s+/);

/**
 * Words a keyword query drops: such a word would make BM25 score much of a space for almost no
 * ranking signal, unless every word of the query is one (then they are all the query has).
 */
const STOP_WORDS: ReadonlySet<string> = new Set(FUNCTION_WORDS);

/** Most words a keyword query uses. */
export const MAX_QUERY_WORDS = 64;

/**
 * The distinct words (letters and digits, lower case) the keyword ranking looks for, stop words
 * dropped unless nothing else is left, at most {@link MAX_QUERY_WORDS}. Empty when the text
 * holds no word.
 */
export function keywordTerms(text: string): string[] {
  const words = [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])];
  const telling = words.filter((w) => !STOP_WORDS.has(w));
  return (telling.length > 0 ? telling : words).slice(0, MAX_QUERY_WORDS);
}
