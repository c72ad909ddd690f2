import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemspaceError } from '../../src/core/errors.js';
import { parseConversationSet, readConversationSet } from '../../src/eval/conversation-set.js';
import { parseSessionDate } from '../../src/eval/session-date.js';
import { tempDir } from '../support/temp-memspace.js';

const FIXTURE = join(import.meta.dirname, '../fixtures/conversation-tiny.json');

/** A small valid sample, for the tests to break one field at a time. */
function sample(): Record<string, unknown> {
  return {
    sample_id: 's1',
    conversation: {
      speaker_a: 'Ann',
      speaker_b: 'Ben',
      session_1_date_time: '1:56 pm on 8 May, 2023',
      session_1: [
        { speaker: 'Ann', dia_id: 'D1:1', text: 'I planted tulips.' },
        { speaker: 'Ben', dia_id: 'D1:2', text: 'Nice!' },
      ],
    },
    qa: [{ question: 'What did Ann plant?', answer: 'tulips', evidence: ['D1:1'], category: 4 }],
  };
}

/** Parses `samples` (or text) expecting VALIDATION_FAILED; returns the error. */
function refusal(samples: unknown): MemspaceError {
  try {
    parseConversationSet(typeof samples === 'string' ? samples : JSON.stringify(samples), 'bench.json');
  } catch (error) {
    expect(error).toBeInstanceOf(MemspaceError);
    expect((error as MemspaceError).code).toBe('VALIDATION_FAILED');
    expect((error as MemspaceError).message).toMatch(/^invalid bench\.json: /);
    return error as MemspaceError;
  }
  throw new Error('expected VALIDATION_FAILED');
}

const firstIssue = (e: MemspaceError): { path: string; message: string } => (e.details!['issues'] as { path: string; message: string }[])[0]!;

describe('parseConversationSet', () => {
  const set = parseConversationSet(readFileSync(FIXTURE, 'utf8'));
  const [a, b] = set.conversations;

  it('reads one memory per turn, "<speaker>: <text>", with its session as run id and its dia id and session date as metadata', () => {
    expect(set.conversations.map((c) => [c.id, c.speakers, c.memories.length])).toEqual([
      ['conv-a', ['Alice', 'Bob'], 16],
      ['conv-b', ['Carol', 'Dave'], 14],
    ]);
    expect(a!.memories[2]).toEqual({
      diaId: 'D1:3',
      content: 'Alice: I bought a theremin and I am learning to play eerie film music on it.',
      runId: 'session-1',
      metadata: { diaId: 'D1:3', session: 1, date: '2023-05-08T13:56:00Z' },
    });
    // "10:04 am on 19 June 2023", without the comma.
    expect(a!.memories.find((m) => m.diaId === 'D2:1')!.metadata).toEqual({ diaId: 'D2:1', session: 2, date: '2023-06-19T10:04:00Z' });
  });

  it('orders the turns by dia id, session by session, whatever order the file lists them in', () => {
    // conv-b's second session lists D2:2 before D2:1.
    expect(b!.memories.map((m) => m.diaId)).toEqual([...[1, 2, 3, 4, 5, 6, 7].map((n) => `D1:${n}`), ...[1, 2, 3, 4, 5, 6, 7].map((n) => `D2:${n}`)]);
    expect(b!.memories[7]).toMatchObject({ content: 'Carol: Guess what, I signed up for tango classes twice a week.', runId: 'session-2' });
  });

  it('keeps the questions of categories 1-4 with the evidence that names a turn, and counts what it skips', () => {
    expect(a!.questions.map((q) => [q.id, q.category, q.evidence])).toEqual([
      ['conv-a:q1', 4, ['D1:3']],
      ['conv-a:q2', 2, ['D2:2']],
      ['conv-a:q3', 1, ['D1:5', 'D3:2']],
      ['conv-a:q4', 3, ['D2:4']], // "D:1:3" is malformed
    ]);
    expect(b!.questions.map((q) => [q.id, q.category, q.evidence])).toEqual([
      ['conv-b:q1', 4, ['D1:2']],
      ['conv-b:q2', 1, ['D1:4', 'D2:3']],
      ['conv-b:q3', 2, ['D2:1']], // "D9:9" names no turn
      ['conv-b:q4', 3, ['D2:5']],
    ]);
    expect(a!.questions[0]!.question).toBe('What is the theremin for?');
    expect(a!.skipped).toEqual({ adversarial: 1, malformedEvidence: 1, unknownEvidence: 0, noEvidence: 1 });
    expect(b!.skipped).toEqual({ adversarial: 1, malformedEvidence: 0, unknownEvidence: 1, noEvidence: 0 });
    expect(set.skipped).toEqual({ adversarial: 2, malformedEvidence: 1, unknownEvidence: 1, noEvidence: 1 });
  });

  it('counts a question whose every evidence id is skipped as without evidence, and an evidence id listed twice once', () => {
    const s = sample();
    s['qa'] = [
      { question: 'q one?', evidence: ['D8:6; D9:17', 'D'], category: 1 },
      { question: 'q two?', evidence: ['D1:2', 'D1:2'], category: 2 },
    ];
    const parsed = parseConversationSet(JSON.stringify([s]));
    expect(parsed.skipped).toEqual({ adversarial: 0, malformedEvidence: 2, unknownEvidence: 0, noEvidence: 1 });
    expect(parsed.conversations[0]!.questions).toEqual([{ id: 's1:q2', question: 'q two?', category: 2, evidence: ['D1:2'] }]);
  });

  it('reads a numeric sample id as text, and ignores dates of sessions the conversation does not hold', () => {
    const s = sample();
    s['sample_id'] = 7;
    (s['conversation'] as Record<string, unknown>)['session_9_date_time'] = 'never';
    expect(parseConversationSet(JSON.stringify([s])).conversations[0]!.id).toBe('7');
  });
});

describe('parseConversationSet refuses, naming where', () => {
  const withConversation = (change: (c: Record<string, unknown>) => void): unknown[] => {
    const s = sample();
    change(s['conversation'] as Record<string, unknown>);
    return [s];
  };

  it.each([
    ['text that is not JSON', '[{"sample_id":', '(file)', /not valid JSON/],
    ['JSON that is not an array', { sample_id: 's1' }, '(file)', /expected a JSON array of samples/],
    ['an empty array', [], '(file)', /holds no samples/],
    ['a sample without a conversation', [{ sample_id: 's1', qa: [] }], '[0].conversation', /expected object/],
    ['a sample without qa', [{ ...sample(), qa: undefined }], '[0].qa', /expected array/],
    ['a conversation without sessions', withConversation((c) => delete c['session_1']), '[0].conversation', /sample s1 has no session_N turns/],
    ['a conversation of empty sessions', withConversation((c) => (c['session_1'] = [])), '[0].conversation', /sample s1 has no turns/],
    ['a session that is not a list of turns', withConversation((c) => (c['session_1'] = { speaker: 'Ann' })), '[0].conversation.session_1', /expected array/],
    ['a turn without a speaker', withConversation((c) => ((c['session_1'] as unknown[])[1] = { dia_id: 'D1:2', text: 'x' })), '[0].conversation.session_1[1].speaker', /expected string/],
    ['a malformed dia id of a turn', withConversation((c) => ((c['session_1'] as unknown[])[1] = { speaker: 'Ben', dia_id: 'D:1:2', text: 'x' })), '[0].conversation.session_1[1].dia_id', /D<session>:<turn>/],
    ['a dia id used twice', withConversation((c) => ((c['session_1'] as unknown[])[1] = { speaker: 'Ben', dia_id: 'D1:1', text: 'x' })), '[0].conversation.session_1[1].dia_id', /sample s1: dia_id D1:1 already names the turn at \[0\]\.conversation\.session_1\[0\]/],
    ['a session without a date', withConversation((c) => delete c['session_1_date_time']), '[0].conversation.session_1_date_time', /^sample s1, session 1: no date/],
    ['a session date it cannot read', withConversation((c) => (c['session_1_date_time'] = 'the day after tomorrow')), '[0].conversation.session_1_date_time', /^sample s1, session 1: unreadable date "the day after tomorrow"/],
    ['a date that does not exist', withConversation((c) => (c['session_1_date_time'] = '1:56 pm on 31 April, 2023')), '[0].conversation.session_1_date_time', /unreadable date/],
    ['a category out of range', [{ ...sample(), qa: [{ question: 'q?', evidence: ['D1:1'], category: 6 }] }], '[0].qa[0].category', /<=5/],
    ['an empty question', [{ ...sample(), qa: [{ question: '', evidence: ['D1:1'], category: 1 }] }], '[0].qa[0].question', /empty/],
    ['a file without a question to measure', [{ ...sample(), qa: [{ question: 'q?', evidence: ['D1:1'], category: 5 }] }], '(file)', /no question of categories 1-4/],
  ])('%s', (_what, input, path, message) => {
    expect(firstIssue(refusal(input))).toEqual({ path, message: expect.stringMatching(message) });
  });

  it('refuses a sample id used twice, and lists every problem, naming the first in the message', () => {
    const bad = sample();
    (bad['conversation'] as Record<string, unknown>)['session_1_date_time'] = 'soon';
    const e = refusal([sample(), sample(), bad]);
    expect(e.message).toBe('invalid bench.json: [1].sample_id: sample s1 already appears at [0] (and 1 more)');
    expect((e.details!['issues'] as { path: string }[]).map((i) => i.path)).toEqual(['[1].sample_id', '[2].conversation.session_1_date_time']);
  });
});

describe('parseSessionDate', () => {
  it.each([
    ['1:56 pm on 8 May, 2023', '2023-05-08T13:56:00Z'],
    ['12:20 am on 8 December, 2023', '2023-12-08T00:20:00Z'],
    ['12:05 pm on 1 January, 2024', '2024-01-01T12:05:00Z'],
    ['10:04 am on 19 June 2023', '2023-06-19T10:04:00Z'],
    ['  7:30PM   on 2 Aug, 2023 ', '2023-08-02T19:30:00Z'],
    ['9:15 a.m. on 3rd Sept 2024', '2024-09-03T09:15:00Z'],
    ['21:40 on 3 March, 2024', '2024-03-03T21:40:00Z'],
    ['3 March 2024', '2024-03-03T00:00:00Z'],
    ['29 February, 2024', '2024-02-29T00:00:00Z'],
    ['2023-05-08', '2023-05-08T00:00:00Z'],
    ['2023-05-08T13:56', '2023-05-08T13:56:00Z'],
    ['2023-05-08T15:56:00+02:00', '2023-05-08T13:56:00Z'],
  ])('reads %j as %s', (text, iso) => {
    expect(parseSessionDate(text)).toBe(iso);
  });

  it.each(['', 'yesterday', '1:56 pm on 8 Mayday, 2023', '13:56 pm on 8 May, 2023', '0:30 am on 8 May, 2023', '24:00 on 8 May, 2023', '31 April, 2023', '29 February, 2023', '8 Ma 2023', '2023-13-01', '8 May, 23'])(
    'refuses %j',
    (text) => {
      expect(parseSessionDate(text)).toBeUndefined();
    },
  );
});

describe('readConversationSet', () => {
  const dir = tempDir('memspace-conversation-set-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file, says NOT_FOUND for a missing one and VALIDATION_FAILED for a directory', async () => {
    expect((await readConversationSet(FIXTURE)).conversations).toHaveLength(2);
    await expect(readConversationSet(join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    mkdirSync(join(dir, 'folder.json'));
    await expect(readConversationSet(join(dir, 'folder.json'))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('names the file in a validation error', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{}');
    await expect(readConversationSet(file)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: `invalid ${file}: (file): expected a JSON array of samples ({sample_id, conversation, qa})` });
  });
});
