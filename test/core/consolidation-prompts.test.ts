import { describe, expect, it } from 'vitest';
import {
  MAX_SUMMARY_CHARS,
  parseSummaryAnswer,
  parseSupersessionAnswer,
  summaryMessages,
  SUMMARY_MARKER,
  supersessionMessages,
  SUPERSESSION_MARKER,
} from '../../src/core/consolidation-prompts.js';

describe('supersession prompt and answers', () => {
  it('shows the model numbered pairs of texts and nothing else', () => {
    const [system, user] = supersessionMessages([
      { older: 'Dana lives in Utrecht', newer: 'Dana moved to Berlin' },
      { older: 'a', newer: 'b' },
    ]);
    expect(system).toMatchObject({ role: 'system' });
    expect(system!.content.startsWith(SUPERSESSION_MARKER)).toBe(true);
    expect(JSON.parse(user!.content)).toEqual({
      pairs: [
        { pair: 0, older: 'Dana lives in Utrecht', newer: 'Dana moved to Berlin' },
        { pair: 1, older: 'a', newer: 'b' },
      ],
    });
  });

  it('reads strict JSON decisions, in any case, also inside one code fence', () => {
    expect(parseSupersessionAnswer('{"decisions":[{"pair":0,"decision":"UPDATE"},{"pair":1,"decision":"keep"}]}', 2)).toEqual(
      new Map([
        [0, 'update'],
        [1, 'keep'],
      ]),
    );
    expect(parseSupersessionAnswer('```json\n{"decisions":[{"pair":1,"decision":"Update"}]}\n```', 2)).toEqual(new Map([[1, 'update']]));
  });

  it('decides nothing for what it cannot read', () => {
    for (const garbage of [
      '',
      'pair 0 is an UPDATE',
      'Sure! {"decisions":[{"pair":0,"decision":"UPDATE"}]}', // prose around JSON is not the JSON asked for
      '{"decisions":[{"pair":0,"decision":"MAYBE"}]}',
      '{"decisions":[{"pair":"0","decision":"UPDATE"}]}',
      '{"decisions":[{"pair":-1,"decision":"UPDATE"}]}',
      '{"decisions":[{"pair":0,"decision":"UPDATE","why":"moved"}]}',
      '{"decisions":{"0":"UPDATE"}}',
      '{"memory":[]}',
      '[{"pair":0,"decision":"UPDATE"}]',
    ]) {
      expect(parseSupersessionAnswer(garbage, 2), garbage).toBeUndefined();
    }
  });

  it('leaves out pairs it was not asked about, and pairs it contradicts itself on', () => {
    const answer = JSON.stringify({
      decisions: [
        { pair: 0, decision: 'UPDATE' },
        { pair: 0, decision: 'KEEP' },
        { pair: 1, decision: 'UPDATE' },
        { pair: 1, decision: 'UPDATE' },
        { pair: 7, decision: 'UPDATE' },
      ],
    });
    expect(parseSupersessionAnswer(answer, 2)).toEqual(new Map([[1, 'update']]));
  });
});

describe('summary prompt and answers', () => {
  it('shows the texts with their dates, oldest first as given', () => {
    const [system, user] = summaryMessages([
      { content: 'Flights booked', createdAt: Date.parse('2026-05-01T10:00:00Z') },
      { content: 'Hotel booked', createdAt: Date.parse('2026-05-02T10:00:00Z') },
    ]);
    expect(system!.content.startsWith(SUMMARY_MARKER)).toBe(true);
    expect(JSON.parse(user!.content)).toEqual({
      memories: [
        { at: '2026-05-01T10:00:00.000Z', text: 'Flights booked' },
        { at: '2026-05-02T10:00:00.000Z', text: 'Hotel booked' },
      ],
    });
  });

  it('takes a trimmed, non-empty summary of bounded length, and nothing else', () => {
    expect(parseSummaryAnswer('{"summary":"  Booked a trip to Lisbon. "}')).toBe('Booked a trip to Lisbon.');
    for (const garbage of ['Booked a trip', '{"summary":""}', '{"summary":"   "}', '{"summary":42}', '{"text":"x"}', '{"summary":"x","extra":1}', JSON.stringify({ summary: 'x'.repeat(MAX_SUMMARY_CHARS + 1) })]) {
      expect(parseSummaryAnswer(garbage), garbage.slice(0, 40)).toBeUndefined();
    }
  });
});
