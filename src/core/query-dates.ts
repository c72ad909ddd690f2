/**
 * Dates in a search's query ("in May 2023", "on 3 June, 2023", "last week") and the date of a
 * memory, so a search can favour memories of the time the query names (core/search-signals.ts).
 * Pure: relative expressions are read against the search's clock, in UTC.
 */

/** A half-open span of time, in epoch milliseconds: `from` ≤ t < `to`. */
export interface DateRange {
  from: number;
  to: number;
}

const DAY_MS = 86_400_000;
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const MONTH = `(${MONTHS.join('|')}|${MONTHS.map((m) => m.slice(0, 3)).join('|')}|sept)\\.?`;
const DAY = '(\\d{1,2})(?:st|nd|rd|th)?';
const YEAR = '((?:19|20)\\d\\d)';
/** First month of each season, northern hemisphere; each lasts three months (winter runs into the next year). */
const SEASONS: Readonly<Record<string, number>> = { spring: 2, summer: 5, fall: 8, autumn: 8, winter: 11 };

/** The patterns tried in order, most precise first; each turns its match into a range. */
const PATTERNS: readonly [RegExp, (m: RegExpMatchArray) => DateRange | undefined][] = [
  [/\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b/, (m) => day(+m[1]!, +m[2]! - 1, +m[3]!)],
  [new RegExp(`\\b${DAY}\\s+(?:of\\s+)?${MONTH},?\\s+${YEAR}\\b`), (m) => day(+m[3]!, month(m[2]!), +m[1]!)],
  [new RegExp(`\\b${MONTH}\\s+${DAY},?\\s+${YEAR}\\b`), (m) => day(+m[3]!, month(m[1]!), +m[2]!)],
  [/\b((?:19|20)\d\d)-(\d\d)\b/, (m) => months(+m[1]!, +m[2]! - 1, 1)],
  [new RegExp(`\\b${MONTH},?\\s+${YEAR}\\b`), (m) => months(+m[2]!, month(m[1]!), 1)],
  [new RegExp(`\\b(spring|summer|fall|autumn|winter)\\s+(?:of\\s+)?${YEAR}\\b`), (m) => months(+m[2]!, SEASONS[m[1]!]!, 3)],
  // A bare year, not part of an identifier such as PLAT-2021 or v2023.
  [new RegExp(`(?<![\\w-])${YEAR}(?![\\w-])`), (m) => months(+m[1]!, 0, 12)],
];

/**
 * The span of time `text` names, or undefined when it names none. An absolute date wins over a
 * relative one; the most precise absolute form wins ("3 June 2023" over "2023").
 */
export function queryDateRange(text: string, now: number): DateRange | undefined {
  const lower = text.toLowerCase();
  for (const [pattern, toRange] of PATTERNS) {
    const match = lower.match(pattern);
    const range = match ? toRange(match) : undefined;
    if (range) return range;
  }
  return relativeRange(lower, now);
}

/** "today", "yesterday", "this/last week|month|year", "N days|weeks|months ago", read against `now`. */
function relativeRange(text: string, now: number): DateRange | undefined {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const date = new Date(today);
  const [y, mo] = [date.getUTCFullYear(), date.getUTCMonth()];
  const monday = today - ((date.getUTCDay() + 6) % 7) * DAY_MS;
  if (/\btoday\b/.test(text)) return { from: today, to: today + DAY_MS };
  if (/\byesterday\b/.test(text)) return { from: today - DAY_MS, to: today };
  if (/\bthis week\b/.test(text)) return { from: monday, to: monday + 7 * DAY_MS };
  if (/\blast week\b/.test(text)) return { from: monday - 7 * DAY_MS, to: monday };
  if (/\bthis month\b/.test(text)) return months(y, mo, 1);
  if (/\blast month\b/.test(text)) return months(y, mo - 1, 1);
  if (/\bthis year\b/.test(text)) return months(y, 0, 12);
  if (/\blast year\b/.test(text)) return months(y - 1, 0, 12);
  const ago = text.match(/\b(\d{1,3}|a|an|one|two|three|four|five|six)\s+(day|week|month)s?\s+ago\b/);
  if (ago) {
    const n = { a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6 }[ago[1]!] ?? Number(ago[1]);
    // "3 weeks ago" is about then, give or take half a unit.
    const unit = ago[2] === 'day' ? DAY_MS : ago[2] === 'week' ? 7 * DAY_MS : 30 * DAY_MS;
    const at = today - n * unit;
    return ago[2] === 'day' ? { from: at, to: at + DAY_MS } : { from: at - unit / 2, to: at + unit / 2 };
  }
  return undefined;
}

/** A month's 0-based index from its name or a prefix of at least three letters (`Sep`, `Sept`); undefined for none. */
export function monthIndex(name: string): number | undefined {
  const lower = name.toLowerCase();
  const index = lower.length < 3 ? -1 : MONTHS.findIndex((m) => m.startsWith(lower));
  return index < 0 ? undefined : index;
}

/** {@link monthIndex} of a name the patterns matched, which is always one. */
function month(name: string): number {
  return monthIndex(name)!;
}

/** One calendar day; undefined for a date that does not exist (31 June). */
function day(year: number, monthIndex: number, dayOfMonth: number): DateRange | undefined {
  const from = Date.UTC(year, monthIndex, dayOfMonth);
  if (monthIndex < 0 || monthIndex > 11 || new Date(from).getUTCDate() !== dayOfMonth) return undefined;
  return { from, to: from + DAY_MS };
}

/** `count` calendar months from `monthIndex` of `year` (which may run past December). */
function months(year: number, monthIndex: number, count: number): DateRange | undefined {
  if (monthIndex < -1 || monthIndex > 11) return undefined;
  return { from: Date.UTC(year, monthIndex, 1), to: Date.UTC(year, monthIndex + count, 1) };
}

/**
 * When a memory's content happened: its `metadata.date` when that is an ISO 8601 date or
 * date-time (an agent storing an event it heard about later says when it happened), otherwise
 * when the memory was created.
 */
export function memoryDate(memory: { metadata: Record<string, unknown>; createdAt: number }): number {
  const stated = memory.metadata['date'];
  if (typeof stated === 'string' && /^\d{4}-\d\d-\d\d/.test(stated)) {
    const at = Date.parse(stated);
    if (Number.isFinite(at)) return at;
  }
  return memory.createdAt;
}
