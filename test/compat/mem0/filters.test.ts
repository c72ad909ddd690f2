import { describe, expect, it } from 'vitest';
import { dateRangeFilter, entityFilter, Namespaces, translateFilters } from '../../../src/compat/mem0/filters.js';
import { parseFilter } from '../../../src/core/filter.js';

const translate = (filters: unknown, ns = new Namespaces()): unknown => translateFilters(filters, ns);

describe('mem0 filters to memspace filters', () => {
  it('translates logic, entities, times, categories and metadata into a filter the engine accepts', () => {
    const out = translate({
      AND: [
        { user_id: 'ada' },
        { OR: [{ agent_id: { in: ['a', 'b'] } }, { run_id: '*' }] },
        { created_at: { gte: '2024-07-01', lt: '2024-08-01T00:00:00Z' } },
        { categories: { contains: 'food' } },
        { metadata: { topic: 'x', stars: { gte: 3 }, seen: true } },
        { not: { metadata: { topic: 'y' } } },
      ],
    });
    expect(out).toEqual({
      and: [
        { userId: { eq: 'ada' } },
        { or: [{ agentId: { in: ['a', 'b'] } }, { runId: { exists: true } }] },
        { createdAt: { gte: '2024-07-01', lt: '2024-08-01T00:00:00Z' } },
        { tags: { eq: 'food' } },
        { and: [{ 'metadata.topic': { eq: 'x' } }, { 'metadata.stars': { gte: 3 } }, { 'metadata.seen': { eq: true } }] },
        { not: { 'metadata.topic': { eq: 'y' } } },
      ],
    });
    expect(() => parseFilter(out)).not.toThrow();
    // Several keys of one object are joined with AND; NOT takes a list too.
    expect(translate({ user_id: 'u', NOT: [{ agent_id: 'a' }, { run_id: 'r' }] })).toEqual({
      and: [{ userId: { eq: 'u' } }, { not: { and: [{ agentId: { eq: 'a' } }, { runId: { eq: 'r' } }] } }],
    });
  });

  it('refuses what it cannot translate, naming the place', () => {
    const cases: [unknown, RegExp][] = [
      [{ user_id: { icontains: 'A' } }, /icontains/],
      [{ user_id: { gt: 'a' } }, /unsupported operator "gt"/],
      [{ app_id: 'web' }, /no app scope/],
      [{ keywords: 'x' }, /unsupported filter field "keywords"/],
      [{ AND: {} }, /non-empty array/],
      [{ OR: [] }, /non-empty array/],
      [{ metadata: 'x' }, /metadata takes an object/],
      [{ metadata: { a: { b: 1 } } }, /unsupported operator "b"/],
      [{ metadata: { a: [1, 2] } }, /values are strings/],
      [{ created_at: { gte: 'last week' } }, /created_at\.gte/],
      [{ user_id: { in: [] } }, /non-empty array/],
      [{ user_id: 7 }, /non-empty string/],
      [{}, /empty filter/],
      ['user_id=ada', /a filter is a JSON object/],
    ];
    for (const [filters, message] of cases) {
      expect(() => translate(filters), JSON.stringify(filters)).toThrow(message);
      try {
        translate(filters);
      } catch (error) {
        expect(error).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [expect.objectContaining({ path: expect.stringMatching(/^filters/) })] } });
      }
    }
  });

  it('takes the space from user/namespace user ids, once', () => {
    const ns = new Namespaces();
    expect(translate({ OR: [{ user_id: 'ada/acme' }, { user_id: { in: ['bob/ACME', 'cy'] } }] }, ns)).toEqual({
      or: [{ userId: { eq: 'ada' } }, { userId: { in: ['bob', 'cy'] } }],
    });
    expect(ns.space()).toBe('acme');
    expect(entityFilter({ user_id: 'team/ada/acme' }, new Namespaces())).toEqual({ userId: { eq: 'team/ada' } });
    expect(() => translate({ OR: [{ user_id: 'a/x' }, { user_id: 'b/y' }] })).toThrow(expect.objectContaining({ code: 'SPACE_CONFLICT' }));
    expect(() => translate({ user_id: 'a/' })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => translate({ user_id: 'a/no space!' })).toThrow(expect.objectContaining({ code: 'INVALID_SPACE' }));
    expect(new Namespaces().space()).toBeUndefined();
  });

  it('makes a date range include its whole end day', () => {
    expect(dateRangeFilter('2024-07-01', '2024-07-31')).toEqual({ and: [{ createdAt: { gte: '2024-07-01' } }, { createdAt: { lt: '2024-08-01T00:00:00.000Z' } }] });
    expect(dateRangeFilter(undefined, '2024-07-31T12:00:00Z')).toEqual({ createdAt: { lte: '2024-07-31T12:00:00Z' } });
    expect(dateRangeFilter(null, null)).toBeUndefined();
  });
});
