import { describe, expect, it } from 'vitest';
import { memoryDate, queryDateRange } from '../../src/core/query-dates.js';

const NOW = Date.parse('2026-12-09T15:30:00Z'); // a Wednesday
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`);
const range = (text: string) => {
  const r = queryDateRange(text, NOW);
  return r && { from: new Date(r.from).toISOString().slice(0, 10), to: new Date(r.to).toISOString().slice(0, 10) };
};

describe('queryDateRange', () => {
  it('reads a day in the forms people write it', () => {
    for (const text of ['what did Nate watch on October 6, 2022?', 'on 6 October, 2022', 'on the 6th of October 2022', '2022-10-06 standup', 'Oct 6th 2022']) {
      expect(range(text), text).toEqual({ from: '2022-10-06', to: '2022-10-07' });
    }
  });

  it('reads a month, a season and a year, the most precise form winning', () => {
    expect(range('what did Maria start in December 2023?')).toEqual({ from: '2023-12-01', to: '2024-01-01' });
    expect(range('the 2023-05 release')).toEqual({ from: '2023-05-01', to: '2023-06-01' });
    expect(range('which state in summer 2021')).toEqual({ from: '2021-06-01', to: '2021-09-01' });
    expect(range('winter of 2021')).toEqual({ from: '2021-12-01', to: '2022-03-01' });
    expect(range('how many times in 2023')).toEqual({ from: '2023-01-01', to: '2024-01-01' });
    expect(range('in May 2023, not just 2023')).toEqual({ from: '2023-05-01', to: '2023-06-01' });
  });

  it('reads relative spans against the clock, in UTC', () => {
    expect(range('what did I do today')).toEqual({ from: '2026-12-09', to: '2026-12-10' });
    expect(range('yesterday')).toEqual({ from: '2026-12-08', to: '2026-12-09' });
    expect(range('this week')).toEqual({ from: '2026-12-07', to: '2026-12-14' });
    expect(range('last week')).toEqual({ from: '2026-11-30', to: '2026-12-07' });
    expect(range('last month')).toEqual({ from: '2026-11-01', to: '2026-12-01' });
    expect(range('last year')).toEqual({ from: '2025-01-01', to: '2026-01-01' });
    expect(range('two days ago')).toEqual({ from: '2026-12-07', to: '2026-12-08' });
    expect(queryDateRange('3 weeks ago', NOW)).toEqual({ from: day('2026-11-18') - 3.5 * 86_400_000, to: day('2026-11-18') + 3.5 * 86_400_000 });
  });

  it('names nothing for text without a date, identifiers with digits, or a day that does not exist', () => {
    for (const text of ['what is my caffeine order', 'PLAT-2021 status', 'build v2023 notes', 'LEDG-2291', 'room 2045b', 'may I ask']) {
      expect(queryDateRange(text, NOW), text).toBeUndefined();
    }
    // A day that does not exist leaves the month it names.
    expect(range('on 31 June, 2023')).toEqual({ from: '2023-06-01', to: '2023-07-01' });
  });
});

describe('memoryDate', () => {
  it('is metadata.date when it is an ISO 8601 date or date-time, else the creation time', () => {
    const createdAt = day('2026-01-01');
    expect(memoryDate({ metadata: { date: '2023-05-08T13:56:00Z' }, createdAt })).toBe(Date.parse('2023-05-08T13:56:00Z'));
    expect(memoryDate({ metadata: { date: '2023-05-08' }, createdAt })).toBe(day('2023-05-08'));
    for (const date of ['8 May 2023', '2023-13-45', 20230508, null, ['2023-05-08']]) expect(memoryDate({ metadata: { date }, createdAt }), String(date)).toBe(createdAt);
    expect(memoryDate({ metadata: {}, createdAt })).toBe(createdAt);
  });
});
