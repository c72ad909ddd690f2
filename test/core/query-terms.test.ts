import { describe, expect, it } from 'vitest';
import { keywordTerms } from '../../src/core/query-terms.js';

describe('keywordTerms', () => {
  it('keeps the telling words of a question, once each, lower case', () => {
    expect(keywordTerms('What did Caroline paint? Paint!')).toEqual(['caroline', 'paint']);
    expect(keywordTerms('Would Melanie go camping in May 2023?')).toEqual(['melanie', 'go', 'camping', 'may', '2023']);
  });

  it('keeps stop words when nothing else is left, and nothing when there is no word', () => {
    expect(keywordTerms('who is it')).toEqual(['who', 'is', 'it']);
    expect(keywordTerms('?!')).toEqual([]);
    expect(keywordTerms(Array.from({ length: 100 }, (_, i) => `w${i}`).join(' '))).toHaveLength(64);
  });
});
