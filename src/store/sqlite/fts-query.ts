import { keywordTerms } from '../../core/query-terms.js';

/**
 * Turns free text into an FTS5 query: the words of {@link keywordTerms}, each quoted (so FTS5
 * syntax in user input is inert) and joined with OR, letting BM25 rank memories that match
 * more words higher. Returns undefined when the text holds no word.
 */
export function toFtsQuery(text: string): string | undefined {
  const words = keywordTerms(text);
  return words.length === 0 ? undefined : words.map((w) => `"${w}"`).join(' OR ');
}
