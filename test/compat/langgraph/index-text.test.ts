import { describe, expect, it } from 'vitest';
import { textsAt, tokenize } from '../../../src/compat/langgraph/index-text.js';

describe('textsAt: LangGraph index paths', () => {
  const doc = {
    title: 'Guide',
    meta: { author: { name: 'Ada' }, year: 1843, draft: false },
    chapters: [{ body: 'one' }, { body: 'two' }, { body: 'three' }],
    tags: ['a', 'b'],
  };

  it('splits paths into fields, indexes and field groups', () => {
    expect(tokenize('a.b[0].{c,d.e}')).toEqual(['a', 'b', '[0]', '{c,d.e}']);
  });

  it('reads the whole value, nested fields, array elements and groups', () => {
    expect(textsAt(doc, '$')).toEqual([JSON.stringify(doc)]);
    expect(textsAt(doc, 'title')).toEqual(['Guide']);
    expect(textsAt(doc, 'meta.author.name')).toEqual(['Ada']);
    expect(textsAt(doc, 'meta.year')).toEqual(['1843']);
    expect(textsAt(doc, 'meta.draft')).toEqual(['false']);
    expect(textsAt(doc, 'meta.author')).toEqual(['{"name":"Ada"}']);
    expect(textsAt(doc, 'chapters[*].body')).toEqual(['one', 'two', 'three']);
    expect(textsAt(doc, 'chapters[1].body')).toEqual(['two']);
    expect(textsAt(doc, 'chapters[-1].body')).toEqual(['three']);
    expect(textsAt(doc, 'tags[*]')).toEqual(['a', 'b']);
    expect(textsAt(doc, '{title,meta.author.name}')).toEqual(['Guide', 'Ada']);
    expect(textsAt(doc, 'meta.*')).toEqual(['{"name":"Ada"}', '1843', 'false']);
  });

  it('gives nothing for paths that lead nowhere', () => {
    expect(textsAt(doc, 'missing')).toEqual([]);
    expect(textsAt(doc, 'title.deeper')).toEqual([]);
    expect(textsAt(doc, 'chapters[9].body')).toEqual([]);
    expect(textsAt(doc, 'title[0]')).toEqual([]);
    expect(textsAt({ nothing: null }, 'nothing')).toEqual([]);
  });
});
