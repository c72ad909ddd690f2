import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/run-cli.js';
import { tempDir } from '../support/temp-memspace.js';

const FIXTURE = join(import.meta.dirname, '../fixtures/conversation-tiny.json');
const LABELLED = join(import.meta.dirname, '../fixtures/eval-tiny.jsonl');
/** Spare the machine's CPUs: one embedding thread changes no figure. */
const ENV = { MEMSPACE_EMBED_POOL_SIZE: '1' };
let dir: string;

beforeAll(() => {
  dir = tempDir('memspace-cli-convbench-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FIGURE = '[01]\\.\\d{3}';
const MS = '\\d+\\.\\d';

describe('memspace eval --conversation-benchmark', () => {
  it('prints a row per mode (evidence recall at each k and by category, question-averaged recall@10, latency) and the counts; --json the result', async () => {
    const r = await cli(dir, ['eval', '--conversation-benchmark', FIXTURE], '', ENV);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^MODE\s+RECALL@1\s+RECALL@5\s+RECALL@10\s+MULTI-HOP@10\s+TEMPORAL@10\s+OPEN-DOMAIN@10\s+SINGLE-HOP@10\s+MACRO@10\s+P50 MS\s+P95 MS$/);
    expect(lines[1]).toMatch(new RegExp(`^vector(\\s+${FIGURE}){8}\\s+${MS}\\s+${MS}$`));
    // Keyword search on the fixture, by hand (test/eval/conversation-benchmark.test.ts): 8 of the 10 evidence turns at rank 1, all in the top 5.
    expect(lines[2]).toMatch(new RegExp(`^keyword\\s+0\\.800\\s+1\\.000\\s+1\\.000\\s+1\\.000\\s+1\\.000\\s+1\\.000\\s+1\\.000\\s+1\\.000\\s+${MS}\\s+${MS}$`));
    expect(lines[3]).toMatch(new RegExp(`^hybrid(\\s+${FIGURE}){8}\\s+${MS}\\s+${MS}$`));
    expect(lines.slice(4)).toEqual([
      'recall: evidence turns found in the top k over all evidence turns (pooled); MACRO@10: recall@10 averaged over questions',
      expect.stringMatching(/^2 conversations, 30 turns stored in [\d.]+ s; 8 questions \(2 multi-hop, 2 temporal, 2 open-domain, 2 single-hop\) with 10 evidence turns; 32 searches in [\d.]+ s$/),
      'skipped: 2 adversarial questions, 1 without evidence; evidence ids: 1 malformed, 1 naming no turn',
      '',
    ]);

    const j = await cli(dir, ['eval', '--conversation-benchmark', FIXTURE, '--json', '--k', '5,1', '--conversations', 'conv-b'], '', ENV);
    expect(j.code, j.stderr).toBe(0);
    const result = JSON.parse(j.stdout) as { ks: number[]; counts: Record<string, unknown>; rows: Record<string, unknown>[] };
    expect(result).toMatchObject({ ks: [1, 5], limit: 10, searches: 16, counts: { conversations: 1, memories: 14, questions: { all: 4 }, evidence: { all: 5 } } });
    expect(result.rows.map((row) => row['label'])).toEqual(['vector', 'keyword', 'hybrid']);
    // The rank of each evidence turn stays in the library's result.
    expect(Object.keys(result.rows[1]!).sort()).toEqual(['label', 'latency', 'macroRecall10', 'mode', 'options', 'recall']);
    expect(result.rows[1]!['recall']).toEqual({
      all: { 1: 0.8, 5: 1 },
      byCategory: { 'multi-hop': { 1: 0.5, 5: 1 }, temporal: { 1: 1, 5: 1 }, 'open-domain': { 1: 1, 5: 1 }, 'single-hop': { 1: 1, 5: 1 } },
    });
    // The spaces it made in the data directory are gone.
    const spaces = await cli(dir, ['--json', 'spaces', 'list'], '', ENV);
    expect((JSON.parse(spaces.stdout) as { items: { name: string }[] }).items.map((s) => s.name)).toEqual(['default']);
  });

  it('exits 1 naming the sample, the session and where in the file for a bad file, and with the engine\'s error for --rerank without a reranker', async () => {
    const bad = join(dir, 'bad.json');
    const sample = { sample_id: 's1', conversation: { speaker_a: 'A', speaker_b: 'B', session_1_date_time: 'someday', session_1: [{ speaker: 'A', dia_id: 'D1:1', text: 'hi' }] }, qa: [] };
    writeFileSync(bad, JSON.stringify([sample]));
    const r = await cli(dir, ['eval', '--conversation-benchmark', bad], '', ENV);
    expect(r.code).toBe(1);
    const issue = 'sample s1, session 1: unreadable date "someday" (expected e.g. "1:56 pm on 8 May, 2023" or an ISO 8601 date)';
    expect(r.stderr).toBe(`error: VALIDATION_FAILED: invalid ${bad}: [0].conversation.session_1_date_time: ${issue}\n  [0].conversation.session_1_date_time: ${issue}\n`);
    const asJson = await cli(dir, ['--json', 'eval', '--conversation-benchmark', bad], '', ENV);
    expect(JSON.parse(asJson.stderr)).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { issues: [{ path: '[0].conversation.session_1_date_time' }] } } });
    expect((await cli(dir, ['eval', '--conversation-benchmark', join(dir, 'missing.json')], '', ENV)).stderr).toMatch(/^error: NOT_FOUND: /);
    expect((await cli(dir, ['eval', '--conversation-benchmark', FIXTURE, '--conversations', 'conv-z'], '', ENV)).stderr).toMatch(/^error: VALIDATION_FAILED: conversations: no sample conv-z/);

    const rerank = await cli(dir, ['eval', '--conversation-benchmark', FIXTURE, '--rerank', '--conversations', 'conv-b'], '', ENV);
    expect(rerank.code).toBe(1);
    expect(rerank.stderr).toMatch(/^error: VALIDATION_FAILED: rerank needs a reranker/);
  });

  it('exits 2 on usage errors: no file, both kinds of file, and flags that belong to the other kind', async () => {
    for (const args of [
      ['eval'],
      ['eval', LABELLED, '--conversation-benchmark', FIXTURE],
      ['eval', '--conversation-benchmark', FIXTURE, '--sweep'],
      ['eval', LABELLED, '--ablation'],
      ['eval', LABELLED, '--rerank'],
      ['eval', LABELLED, '--conversations', 'conv-a'],
      ['eval', '--conversation-benchmark', FIXTURE, '--conversations', 'conv-a,'],
      ['eval', '--conversation-benchmark'],
    ]) {
      const u = await cli(dir, args, '', ENV);
      expect(u.code, args.join(' ')).toBe(2);
      expect(u.stderr, args.join(' ')).toMatch(/^error: /);
    }
  });
});
