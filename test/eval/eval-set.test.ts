import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemspaceError } from '../../src/core/errors.js';
import { parseEvalSet, readEvalSet } from '../../src/eval/eval-set.js';
import { tempDir } from '../support/temp-memspace.js';

const memory = (id: string, content = `memory ${id}`): string => JSON.stringify({ type: 'memory', id, content });
const query = (id: string, relevant: unknown): string => JSON.stringify({ type: 'query', id, query: `query ${id}`, relevant });
const lines = (...l: string[]): string => `${l.join('\n')}\n`;

/** Parses `text` expecting VALIDATION_FAILED; returns the error's issues. */
function issuesOf(text: string): { path: string; message: string }[] {
  try {
    parseEvalSet(text, 'set.jsonl');
  } catch (error) {
    expect(error).toBeInstanceOf(MemspaceError);
    const e = error as MemspaceError;
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.message).toMatch(/^invalid set\.jsonl: /);
    return e.details!['issues'] as { path: string; message: string }[];
  }
  throw new Error('expected VALIDATION_FAILED');
}

describe('parseEvalSet', () => {
  it('reads memories and queries, plain and graded labels, skipping blank lines', () => {
    const set = parseEvalSet(
      lines(
        query('q1', ['m2']), // a query may name a memory defined further down
        JSON.stringify({ type: 'memory', id: 'm1', content: 'one', tags: ['a'], metadata: { source: 'chat' } }),
        '',
        memory('m2'),
        query('q2', { m1: 2, m2: 1 }),
      ),
    );
    expect(set.memories).toEqual([
      { id: 'm1', content: 'one', tags: ['a'], metadata: { source: 'chat' } },
      { id: 'm2', content: 'memory m2', tags: [], metadata: {} },
    ]);
    expect(set.queries.map((q) => [q.id, q.query, [...q.relevant]])).toEqual([
      ['q1', 'query q1', [['m2', 1]]],
      ['q2', 'query q2', [['m1', 2], ['m2', 1]]],
    ]);
  });

  it.each([
    ['a line that is not JSON', lines(memory('m1'), '{"type":"memory",', query('q1', ['m1'])), 'line 2', /not valid JSON/],
    ['a line that is not an object', lines(memory('m1'), '[1, 2]', query('q1', ['m1'])), 'line 2', /not a JSON object/],
    ['an unknown type', lines(memory('m1'), query('q1', ['m1']), '{"type":"relation","id":"r1"}'), 'line 3: type', /unknown type "relation"/],
    ['a line without a type', lines(memory('m1'), '{"id":"x"}', query('q1', ['m1'])), 'line 2: type', /no type/],
    ['a query naming an unknown memory', lines(memory('m1'), memory('m2'), query('q1', ['m1', 'm9'])), 'line 3: relevant', /unknown memory m9/],
    ['a duplicate memory id', lines(memory('m1'), query('q1', ['m1']), memory('m1')), 'line 3: id', /already defined on line 1/],
    ['a duplicate query id', lines(memory('m1'), query('q1', ['m1']), query('q1', ['m1'])), 'line 3: id', /already defined on line 2/],
    ['empty content', lines(memory('m1', ''), memory('m2'), query('q1', ['m2'])), 'line 1: content', /empty/],
    ['an unknown field', lines(memory('m1'), '{"type":"memory","id":"m2","content":"x","vector":[1]}', query('q1', ['m1'])), 'line 2', /vector/],
    ['an id the engine would refuse', lines(memory('m 1'), memory('m2'), query('q1', ['m2'])), 'line 1: id', /1-128 characters/],
    ['no relevant memory', lines(memory('m1'), query('q1', [])), 'line 2: relevant', /at least one/],
    ['a grade of 0', lines(memory('m1'), query('q1', { m1: 0 })), 'line 2: relevant.m1', /above 0/],
    ['a memory listed twice', lines(memory('m1'), query('q1', ['m1', 'm1'])), 'line 2: relevant', /twice/],
    ['labels that are neither list nor object', lines(memory('m1'), query('q1', 'm1')), 'line 2: relevant', /list of memory ids or an object/],
  ])('refuses %s, naming the line', (_what, text, path, message) => {
    const issues = issuesOf(text);
    expect(issues[0]).toEqual({ path, message: expect.stringMatching(message) });
  });

  it('refuses a set without queries or without memories', () => {
    expect(issuesOf(lines(memory('m1'), memory('m2')))).toEqual([{ path: 'queries', message: 'the set holds no queries' }]);
    expect(issuesOf('\n\n')).toEqual([
      { path: 'memories', message: 'the set holds no memories' },
      { path: 'queries', message: 'the set holds no queries' },
    ]);
  });

  it('lists every problem in line order, and names the first in the message', () => {
    try {
      parseEvalSet(lines(query('q1', ['nope']), memory('m1'), 'oops', memory('m1')), 'set.jsonl');
      expect.unreachable();
    } catch (error) {
      const e = error as MemspaceError;
      expect(e.message).toBe('invalid set.jsonl: line 1: relevant: query q1 names unknown memory nope (and 2 more)');
      expect((e.details!['issues'] as { path: string }[]).map((i) => i.path)).toEqual(['line 1: relevant', 'line 3', 'line 4: id']);
    }
  });
});

describe('readEvalSet', () => {
  const dir = tempDir('memspace-eval-set-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file, and says NOT_FOUND for a missing one', async () => {
    const file = join(dir, 'ok.jsonl');
    writeFileSync(file, lines(memory('m1'), query('q1', ['m1'])));
    expect((await readEvalSet(file)).queries).toHaveLength(1);
    await expect(readEvalSet(join(dir, 'missing.jsonl'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('names the file and the line in a validation error', async () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, lines(memory('m1'), '{"type":"query","id":"q1"}'));
    await expect(readEvalSet(file)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining(`invalid ${file}: line 2`) });
  });
});
