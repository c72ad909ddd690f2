import pino, { type DestinationStream } from 'pino';

/** How the server writes its logs: one JSON object per line, or lines for people. */
export type LogFormat = 'human' | 'json';

/** The format `auto` means: lines for people on a terminal, JSON for whatever collects logs. */
export function resolveLogFormat(configured: LogFormat | 'auto', isTty: boolean): LogFormat {
  return configured === 'auto' ? (isTty ? 'human' : 'json') : configured;
}

const LEVELS: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Fields a human line shows in its own place, or not at all (pid and hostname say nothing on a terminal). */
const PLACED = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'method', 'route', 'url', 'status', 'ms', 'err']);

/**
 * One pino JSON line as a line for people: time (UTC, as logged), level, message, then for a
 * request its method, route, status and duration, the other fields as `key=value`, and the
 * request id last; an error's stack follows on indented lines. What is not a JSON object is
 * returned unchanged, so nothing logged is ever lost to formatting.
 */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return line;
    entry = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof entry['time'] === 'number' ? new Date(entry['time']).toISOString() : '-';
  const level = (typeof entry['level'] === 'number' ? LEVELS[entry['level']] : undefined) ?? String(entry['level'] ?? '-').toUpperCase();
  const parts = [time, level.padEnd(5), typeof entry['msg'] === 'string' ? entry['msg'] : ''];
  if (typeof entry['method'] === 'string') {
    parts.push(entry['method'], String(entry['route'] ?? entry['url'] ?? ''));
    if (entry['status'] !== undefined) parts.push(String(entry['status']));
    if (typeof entry['ms'] === 'number') parts.push(`${entry['ms']}ms`);
  }
  for (const [key, value] of Object.entries(entry)) {
    if (PLACED.has(key) || value === undefined) continue;
    parts.push(`${key}=${typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)}`);
  }
  if (typeof entry['reqId'] === 'string') parts.push(`reqId=${entry['reqId']}`);
  return `${parts.filter((p) => p !== '').join(' ')}\n${errorLines(entry['err'])}`;
}

/** An error pino serialised (`err`), as indented lines: its stack, or its type and message. */
function errorLines(err: unknown): string {
  if (typeof err !== 'object' || err === null) return '';
  const e = err as { type?: unknown; message?: unknown; stack?: unknown };
  const text = typeof e.stack === 'string' ? e.stack : `${String(e.type ?? 'Error')}: ${String(e.message ?? '')}`;
  return text
    .split('\n')
    .map((l) => `    ${l}\n`)
    .join('');
}

/**
 * Where the server's logs go: standard output, written synchronously, one whole line per
 * entry, so that lines from requests served at once never interleave. `human` formats each
 * entry ({@link formatLogLine}) on its way to the same writer.
 */
export function logDestination(format: LogFormat, fd = 1): DestinationStream {
  const out = pino.destination({ dest: fd, sync: true });
  if (format === 'json') return out;
  return { write: (line: string) => void out.write(formatLogLine(line)) };
}
