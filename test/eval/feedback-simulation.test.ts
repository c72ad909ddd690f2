import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { HELPFUL_AND_WRONG, HELPFUL_ONLY, simulateFeedback, type FeedbackSimulationResult } from '../../src/eval/feedback-simulation.js';
import { openEngine } from '../../src/memspace.js';
import { cli } from '../support/run-cli.js';
import { tempDir } from '../support/temp-memspace.js';
import { WordsEmbedder, wordsProvider } from '../support/words-embedder.js';

const DIMENSION = 512;

const words = new WordsEmbedder('local:use-lite', DIMENSION);
const embedders = wordsProvider(words);

/** A LoCoMo-shaped sample: speakers alternate within each session, every question single-hop. */
function sample(id: string, [a, b]: [string, string], sessions: string[][], qa: [string, string[]][]): unknown {
  const conversation: Record<string, unknown> = { speaker_a: a, speaker_b: b };
  sessions.forEach((turns, s) => {
    conversation[`session_${s + 1}_date_time`] = `10:00 am on ${s + 1} May, 2023`;
    conversation[`session_${s + 1}`] = turns.map((text, t) => ({ speaker: t % 2 === 0 ? a : b, dia_id: `D${s + 1}:${t + 1}`, text }));
  });
  return { sample_id: id, conversation, qa: qa.map(([question, evidence]) => ({ question, answer: '-', evidence, category: 4 })) };
}

/**
 * Built so that feedback has something to fix: each train question (even index) has a turn that
 * echoes it ranking above its evidence (rank 2 of 8 turns, so in the top 10 the user reads), and
 * the test questions' evidence ranks first. By hand, with the words embedder: train recall@1 0
 * before; after one `helpful` on each evidence turn, both come first.
 */
function conversation(id: string, n: Record<'a' | 'b' | 'boat' | 'other' | 'city' | 'city2' | 'bread', string>): unknown {
  return sample(id, [n.a, n.b], [
    [`What colour is your new ${n.boat}, ${n.a}?`, `My new ${n.boat} is orange.`, `My brother bought a green ${n.other}.`, `I also started baking ${n.bread} bread.`],
    [`Which city are you moving to, ${n.a}?`, `I am moving to ${n.city}, a lovely city.`, 'What city did your sister move to?', `She moved to ${n.city2} for her new job.`],
  ], [
    [`What colour is the new ${n.boat} ${n.a} bought?`, ['D1:2']],
    [`What colour is the ${n.other} of ${n.b}'s brother?`, ['D1:3']],
    [`Which city is ${n.a} moving to?`, ['D2:2']],
    [`What does ${n.a} bake?`, ['D1:4']],
  ]);
}

let dir: string;
let file: string;
beforeAll(() => {
  dir = tempDir('memspace-feedbacksim-test-');
  file = join(dir, 'conversations.json');
  writeFileSync(file, JSON.stringify([
    conversation('conv-x', { a: 'Ann', b: 'Ben', boat: 'kayak', other: 'canoe', city: 'Lisbon', city2: 'Porto', bread: 'sourdough' }),
    conversation('conv-y', { a: 'Cleo', b: 'Dan', boat: 'dinghy', other: 'raft', city: 'Oslo', city2: 'Bergen', bread: 'rye' }),
  ]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const figures = (r: FeedbackSimulationResult, policy: string, feedback: number, narrative: number) =>
  r.policies.find((p) => p.policy.name === policy)!.ranks.find((x) => x.rank.feedback === feedback && x.rank.narrative === narrative)!;

describe('simulateFeedback', () => {
  let result: FeedbackSimulationResult;
  const dataDir = (): string => join(dir, 'data');
  beforeAll(async () => {
    result = await simulateFeedback({ file, embedders, dataDir: dataDir(), env: {}, policies: [HELPFUL_ONLY, HELPFUL_AND_WRONG] });
  });

  it('raises recall on the train half where feedback was given, for every rank weighting', () => {
    expect(result.counts).toEqual({ conversations: 2, memories: 16, questions: { train: 4, test: 4 }, evidence: { train: 4, test: 4 } });
    for (const [feedback, narrative] of [[0.5, 0.5], [1, 0], [0, 1]] as const) {
      const { recall, changedAfter } = figures(result, 'helpful', feedback, narrative);
      expect(recall.train.before[1], `${feedback}/${narrative}`).toBe(0);
      expect(recall.train.after[1]!, `${feedback}/${narrative}`).toBeGreaterThan(recall.train.before[1]!);
      expect(changedAfter.train).toBeGreaterThan(0);
    }
    expect(figures(result, 'helpful', 0.5, 0.5).recall.train.after[1]).toBe(1);
    expect(figures(result, 'helpful', 0.5, 0.5).recall.test.before[1]).toBe(1);
    // The user found every evidence turn in its top 10; the stricter one also called the other two hits of each top 3 wrong.
    expect(result.policies[0]!.signals).toEqual({ calls: 4, helpful: 4, wrong: 0, silent: 0 });
    expect(result.policies[1]!.signals).toEqual({ calls: 4, helpful: 4, wrong: 8, silent: 0 });
  });

  it('loses every gain once the clock has moved on 10 half-lives: faded recall and rankings exactly as before', () => {
    expect(result.clock).toEqual({ start: '2025-01-06T12:00:00.000Z', halfLifeDays: 7, fadeHalfLives: 10, fadeDays: 70 });
    for (const policy of result.policies) {
      for (const r of policy.ranks) {
        for (const half of ['train', 'test'] as const) expect(r.recall[half].faded).toEqual(r.recall[half].before);
        expect(r.fadedDiffers).toEqual({ train: 0, test: 0 });
      }
    }
  });

  it('leaves the control space, which got no feedback, answering byte for byte as before', () => {
    for (const policy of result.policies) {
      expect(policy.controls.map((c) => c.conversation)).toEqual(['conv-x', 'conv-y']);
      for (const c of policy.controls) {
        expect(c.before).toMatch(/^[0-9a-f]{64}$/);
        expect(c.after).toBe(c.before);
      }
      expect(policy.identicalControls).toBe(2);
    }
  });

  it('deletes the spaces it made', async () => {
    const ms = await openEngine(loadConfig({ dataDir: dataDir() }, {}), { embedders });
    try {
      expect((await ms.spaces.list({ limit: 100 })).items.map((s) => s.name)).toEqual(['default']);
    } finally {
      await ms.close();
    }
  });

  it('refuses bad rank weights and policies before opening anything', async () => {
    await expect(simulateFeedback({ file, embedders, ranks: [{ feedback: 0.8, narrative: 0.8 }] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(simulateFeedback({ file, embedders, policies: [{ name: 'x', wrongTop: 11, rounds: 1 }] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(simulateFeedback({ file, embedders, conversations: ['conv-z'] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('memspace eval --conversation-benchmark FILE --feedback', () => {
  it('prints a table per k and the control check; --json the result; refuses --ablation with it', async () => {
    const env = { MEMSPACE_EMBED_POOL_SIZE: '1' };
    const text = await cli(join(dir, 'cli'), ['eval', '--conversation-benchmark', file, '--feedback', '--k', '1,10'], '', env);
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toBe('recall@1');
    expect(lines[1]).toMatch(/^POLICY\s+RANK F\/N\s+HALF\s+BEFORE\s+AFTER\s+Δ AFTER\s+FADED\s+Δ FADED$/);
    expect(lines[2]).toMatch(/^helpful\s+0\.5\/0\.5\s+train(\s+\S+){4}\s+0$/);
    expect(text.stdout).toContain('control spaces byte-identical before and after: 2 of 2');

    const json = await cli(join(dir, 'cli'), ['--json', 'eval', '--conversation-benchmark', file, '--feedback', '--conversations', 'conv-y'], '', env);
    expect(json.code, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout) as FeedbackSimulationResult;
    expect(r).toMatchObject({ ks: [1, 5, 10], counts: { conversations: 1, questions: { train: 2, test: 2 } } });
    expect(r.policies.map((p) => [p.policy.name, p.identicalControls])).toEqual([['helpful', 1]]);

    const refused = await cli(join(dir, 'cli'), ['eval', '--conversation-benchmark', file, '--feedback', '--ablation'], '', env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("option '--feedback' cannot be used with option '--ablation'");
  });
});
