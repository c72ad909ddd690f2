/**
 * The date of a conversation session, as conversation benchmarks write it: LoCoMo's
 * `"1:56 pm on 8 May, 2023"`, with the variations hand-edited files pick up (no comma, no "on",
 * `1:56pm`, `a.m.`, a 24-hour time, no time at all, `8th`, `Sept`), or an ISO 8601 date or
 * date-time. The files give no time zone, so times are read as UTC: what matters to the engine is
 * the day and the order of sessions, which a zone would not change between them.
 */
import { monthIndex } from '../core/query-dates.js';

/** `[time [am|pm] [on]] day[st|nd|rd|th] month[.][,] year`. */
const SPOKEN = /^(?:(\d{1,2})[:.](\d{2})\s*(?:([ap])\.?\s*m\.?)?\s*(?:on\s+)?)?(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?\s*,?\s*(\d{4})$/i;
/** `2023-05-08`, `2023-05-08T13:56`, `2023-05-08 13:56:00Z`, `2023-05-08T13:56:00.000+02:00`. */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * The session date as an ISO 8601 UTC date-time without milliseconds (`2023-05-08T13:56:00Z`),
 * or undefined when the text is not a date this reader knows, or names a day that does not exist
 * (31 April) or a time that cannot be (13:00 pm).
 */
export function parseSessionDate(text: string): string | undefined {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  const ms = spokenDate(trimmed) ?? isoDate(trimmed);
  return ms === undefined ? undefined : new Date(ms).toISOString().replace('.000Z', 'Z');
}

function spokenDate(text: string): number | undefined {
  const m = SPOKEN.exec(text);
  if (m === null) return undefined;
  const [, hourText, minuteText, half, dayText, monthText, yearText] = m;
  const month = monthIndex(monthText!);
  if (month === undefined) return undefined;
  let hour = hourText === undefined ? 0 : Number(hourText);
  if (half !== undefined) {
    // 12 am is midnight and 12 pm noon; a 12-hour clock has no 0 or 13.
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (half.toLowerCase() === 'p' ? 12 : 0);
  }
  return utc(Number(yearText), month, Number(dayText), hour, minuteText === undefined ? 0 : Number(minuteText), 0);
}

function isoDate(text: string): number | undefined {
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const [, year, month, day, hour = '0', minute = '0', second = '0', zone] = m;
  const local = utc(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  if (local === undefined || zone === undefined || zone.toUpperCase() === 'Z') return local;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  return local - sign * offsetMinutes * 60_000;
}

/** Epoch milliseconds of a UTC date-time, or undefined when a field is out of range (Date.UTC would roll 31 April into May). */
function utc(year: number, month: number, day: number, hour: number, minute: number, second: number): number | undefined {
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Date.UTC(year, month, day, hour, minute, second);
  const d = new Date(ms);
  return d.getUTCFullYear() === year && d.getUTCMonth() === month && d.getUTCDate() === day ? ms : undefined;
}
