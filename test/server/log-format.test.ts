import { describe, expect, it } from 'vitest';
import { formatLogLine, resolveLogFormat } from '../../src/server/log-format.js';

describe('log lines for people', () => {
  const time = Date.parse('2026-12-07T10:00:00.123Z');

  it('puts time, level, message, the request and its id in place, other fields as key=value', () => {
    const line = JSON.stringify({ level: 30, time, pid: 1, hostname: 'h', reqId: 'r1', method: 'POST', route: '/v1/spaces/:space/memories', status: 201, ms: 3.25, space: 'work', msg: 'request' });
    expect(formatLogLine(`${line}\n`)).toBe('2026-12-07T10:00:00.123Z INFO  request POST /v1/spaces/:space/memories 201 3.25ms space=work reqId=r1\n');
  });

  it('quotes values with spaces, and puts an error stack on indented lines of the same entry', () => {
    const line = JSON.stringify({ level: 50, time, msg: 'request failed', code: 'INTERNAL', note: 'two words', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' } });
    expect(formatLogLine(line)).toBe('2026-12-07T10:00:00.123Z ERROR request failed code=INTERNAL note="two words"\n    Error: boom\n        at x\n');
  });

  it('passes through what is not a JSON object, unchanged', () => {
    for (const text of ['not json\n', '[1,2]\n', '"s"\n', 'null\n']) expect(formatLogLine(text)).toBe(text);
  });

  it('chooses human on a terminal and JSON elsewhere unless told', () => {
    expect([resolveLogFormat('auto', true), resolveLogFormat('auto', false), resolveLogFormat('json', true), resolveLogFormat('human', false)]).toEqual(['human', 'json', 'json', 'human']);
  });
});
