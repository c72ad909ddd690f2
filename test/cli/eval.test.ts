import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/run-cli.js';
import { tempDir } from '../support/temp-memspace.js';

const FIXTURE = join(import.meta.dirname, '../fixtures/eval-tiny.jsonl');
let dir: string;

beforeAll(() => {
  dir = tempDir('memspace-cli-eval-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('memspace eval', () => {
  it('prints one row per mode with recall@k, MRR, nDCG@10 and the counts; --json prints the same figures', async () => {
    const r = await cli(dir, ['eval', FIXTURE]);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...rows] = r.stdout.split('\n');
    expect(header).toMatch(/^MODE\s+FUSION\s+WEIGHT\s+RECALL@1\s+RECALL@5\s+RECALL@10\s+MRR\s+NDCG@10\s+QUERIES\s+MEMORIES$/);
    expect(rows[0]).toMatch(/^vector\s+-\s+-(\s+[01]\.\d{3}){5}\s+4\s+12$/);
    expect(rows[1]).toMatch(/^keyword\s+-\s+-(\s+[01]\.\d{3}){5}\s+4\s+12$/);
    expect(rows[2]).toMatch(/^hybrid \(defaults\)\s+weighted\s+0\.5(\s+[01]\.\d{3}){5}\s+4\s+12$/);
    expect(rows[3]).toMatch(/^12 memories stored in [\d.]+ s; 12 searches in [\d.]+ s$/);

    // Global --json after the subcommand, as users type it; --k changes the columns.
    const j = await cli(dir, ['eval', FIXTURE, '--json', '--k', '3,1']);
    expect(j.code, j.stderr).toBe(0);
    const result = JSON.parse(j.stdout) as { ks: number[]; memories: number; queries: number; rows: Record<string, unknown>[] };
    expect(result).toMatchObject({ ks: [1, 3], memories: 12, queries: 4 });
    expect(result.rows.map((row) => row['label'])).toEqual(['vector', 'keyword', 'hybrid']);
    expect(result.rows[0]).toEqual({
      label: 'vector',
      mode: 'vector',
      fusion: null,
      vectorWeight: null,
      sweep: false,
      metrics: { queries: 4, recall: { 1: expect.any(Number), 3: expect.any(Number) }, mrr: expect.any(Number), ndcg10: expect.any(Number) },
    });
  });

  it('adds the weight sweep and names the best hybrid setting', async () => {
    const r = await cli(dir, ['eval', FIXTURE, '--sweep', '--k', '1']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1 + 3 + 18 + 2);
    expect(lines[4]).toMatch(/^hybrid\s+weighted\s+0\.1\s/);
    expect(lines[22]).toMatch(/^best hybrid by nDCG@10: (weighted|rrf) 0\.\d \([01]\.\d{3}\); the defaults, weighted 0\.5, give [01]\.\d{3}$/);
  });

  it('exits 1 with the line at fault on a bad file, and 2 on usage errors', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"type":"memory","id":"m1","content":"x"}\n{"type":"query","id":"q1","query":"x","relevant":["m7"]}\n');
    const r = await cli(dir, ['eval', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: VALIDATION_FAILED: invalid ${bad}: line 2: relevant: query q1 names unknown memory m7\n  line 2: relevant: query q1 names unknown memory m7\n`);
    const asJson = await cli(dir, ['--json', 'eval', bad]);
    expect(JSON.parse(asJson.stderr)).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { issues: [{ path: 'line 2: relevant' }] } } });
    expect((await cli(dir, ['eval', join(dir, 'missing.jsonl')])).stderr).toMatch(/^error: NOT_FOUND: /);
    expect((await cli(dir, ['eval', FIXTURE, '--k', '2000'])).stderr).toMatch(/^error: VALIDATION_FAILED: ks: /);
    for (const args of [['eval'], ['eval', FIXTURE, '--k', '0'], ['eval', FIXTURE, '--k', '1,five']]) {
      const u = await cli(dir, args);
      expect(u.code, args.join(' ')).toBe(2);
    }
  });
});
