import { describe, expect, it } from 'vitest';
import { parseFilter } from '../../src/core/filter.js';

describe('filter parsing', () => {
  it('parses fields, operators, shorthand equality and nesting', () => {
    const f = parseFilter({ 'metadata.a.b': { gte: 2 }, userId: 'alice', or: [{ tags: { in: ['x'] } }, { not: { kind: 'episode' } }] });
    expect(f).toEqual({
      kind: 'and',
      nodes: [
        { kind: 'cond', field: { kind: 'metadata', path: ['a', 'b'] }, op: 'gte', value: 2 },
        { kind: 'cond', field: { kind: 'column', name: 'userId' }, op: 'eq', value: 'alice' },
        {
          kind: 'or',
          nodes: [
            { kind: 'cond', field: { kind: 'column', name: 'tags' }, op: 'in', value: ['x'] },
            { kind: 'not', node: { kind: 'cond', field: { kind: 'column', name: 'kind' }, op: 'eq', value: 'episode' } },
          ],
        },
      ],
    });
  });

  it('turns times into epoch milliseconds', () => {
    expect(parseFilter({ createdAt: { gt: '2026-01-01T00:00:00Z' } })).toMatchObject({ value: Date.parse('2026-01-01T00:00:00Z') });
  });

  it.each([
    ['an unknown operator', { 'metadata.x': { regex: '.*' } }],
    ['an unknown field', { owner: 'x' }],
    ['a metadata path with a quote', { 'metadata.a"b': 1 }],
    ['an empty metadata key', { 'metadata.a..b': 1 }],
    ['in without an array', { userId: { in: 'x' } }],
    ['exists with a string', { userId: { exists: 'yes' } }],
    ['a number for a text column', { userId: 5 }],
    ['a string for importance', { importance: { gt: 'high' } }],
    ['a bad time', { createdAt: { gt: 'yesterday' } }],
    ['ordering on tags', { tags: { gt: 'a' } }],
    ['an object value', { 'metadata.x': { eq: { y: 1 } } }],
    ['an empty condition', { userId: {} }],
    ['and without an array', { and: { userId: 'x' } }],
    ['a non-object filter', 'userId = x'],
  ])('rejects %s with VALIDATION_FAILED', (_label, filter) => {
    expect(() => parseFilter(filter)).toThrowError(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('bounds nesting depth', () => {
    let deep: unknown = { userId: 'x' };
    for (let i = 0; i < 40; i++) deep = { not: deep };
    expect(() => parseFilter(deep)).toThrowError(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
