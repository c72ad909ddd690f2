import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DefaultEmbedderProvider } from '../../src/embed/embedder-provider.js';
import { runEvaluation, SWEEP_WEIGHTS } from '../../src/eval/run-eval.js';
import { openEngine } from '../../src/memspace.js';
import { tempDir } from '../support/temp-memspace.js';

const FIXTURE = join(import.meta.dirname, '../fixtures/eval-tiny.jsonl');

// One model for every run of this file: each run would otherwise start its own worker pool.
let embedders: DefaultEmbedderProvider;
beforeAll(() => {
  embedders = new DefaultEmbedderProvider({ local: { poolSize: 1 } });
});
afterAll(async () => embedders.close());

const evalDirs = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith('memspace-eval-'));

describe('runEvaluation with the real local model', () => {
  it('scores every mode and the sweep in [0, 1], finds the identifier by keyword at rank 1, and removes its temp dir', async () => {
    const before = new Set(evalDirs());
    const progress: string[] = [];
    const result = await runEvaluation({
      file: FIXTURE,
      ks: [5, 1, 5],
      sweep: true,
      embedders,
      onProgress: (phase, done, total) => progress.push(`${phase} ${done}/${total}`),
    });

    expect(result).toMatchObject({ file: FIXTURE, memories: 12, queries: 4, ks: [1, 5], limit: 10, defaults: { fusion: 'weighted', vectorWeight: 0.5 } });
    expect(result.rows.map((r) => r.label)).toEqual([
      'vector',
      'keyword',
      'hybrid',
      ...SWEEP_WEIGHTS.map((w) => `hybrid weighted ${w}`),
      ...SWEEP_WEIGHTS.map((w) => `hybrid rrf ${w}`),
    ]);
    for (const row of result.rows) {
      const figures = [row.metrics.recall[1], row.metrics.recall[5], row.metrics.mrr, row.metrics.ndcg10];
      for (const x of figures) {
        expect(typeof x, row.label).toBe('number');
        expect(x, row.label).toBeGreaterThanOrEqual(0);
        expect(x, row.label).toBeLessThanOrEqual(1);
      }
      expect(row.metrics.queries).toBe(4);
      expect(Object.keys(row.firstRelevantRank).sort()).toEqual(['q1', 'q2', 'q3', 'q4']);
    }
    const keyword = result.rows.find((r) => r.label === 'keyword')!;
    expect(keyword).toMatchObject({ mode: 'keyword', fusion: null, vectorWeight: null, sweep: false });
    expect(keyword.firstRelevantRank['q1']).toBe(1); // "ZX-4417" names exactly one memory
    expect(result.rows.find((r) => r.label === 'hybrid rrf 0.3')).toMatchObject({ mode: 'hybrid', fusion: 'rrf', vectorWeight: 0.3, sweep: true });

    expect(progress[0]).toBe('load 12/12');
    expect(progress.at(-1)).toBe(`search ${21 * 4}/${21 * 4}`);
    expect(evalDirs().filter((name) => !before.has(name))).toEqual([]);
  });

  it('keeps its space in a data directory it was given, and leaves given embedders open', async () => {
    const dataDir = tempDir('memspace-eval-test-');
    try {
      const clock = Date.parse('2026-11-01T00:00:00Z');
      const result = await runEvaluation({ file: FIXTURE, modes: ['keyword'], dataDir, embedders, now: () => clock });
      expect(result.rows.map((r) => r.label)).toEqual(['keyword']);
      expect(result.timings).toEqual({ loadMs: 0, searchMs: 0 });
      // The provider still embeds after the run closed its memspace.
      expect(await embedders.get('local:use-lite', 512)!.embed(['still open'])).toHaveLength(1);
      const ms = await openEngine(loadConfig({ dataDir }, {}), { embedders: { get: () => undefined, dimensionOf: () => 512 } });
      try {
        const space = `eval-${clock.toString(36)}`;
        expect((await ms.spaces.get(space)).stats.memories).toBe(12);
      } finally {
        await ms.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('checks the file and the options before loading anything', async () => {
    const dir = tempDir('memspace-eval-bad-');
    try {
      const bad = join(dir, 'bad.jsonl');
      writeFileSync(bad, '{"type":"memory","id":"m1","content":"x"}\n{"type":"query","id":"q1","query":"x","relevant":["m2"]}\n');
      await expect(runEvaluation({ file: bad, embedders })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('line 2') });
      await expect(runEvaluation({ file: join(dir, 'none.jsonl'), embedders })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      for (const ks of [[], [0], [1.5], [1001]]) {
        await expect(runEvaluation({ file: FIXTURE, ks, embedders })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      }
      await expect(runEvaluation({ file: FIXTURE, modes: [], embedders })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
