import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DefaultEmbedderProvider } from '../../src/embed/embedder-provider.js';
import { SearchService } from '../../src/engine/search-service.js';
import { runConversationBenchmark, type ConversationBenchmarkResult, type ConversationBenchmarkRow } from '../../src/eval/run-conversation-benchmark.js';
import { openEngine } from '../../src/memspace.js';
import { startFakeReranker, type SeenRerank } from '../support/fake-reranker.js';
import { startPglite, type PgliteServer } from '../support/pglite.js';
import { tempDir } from '../support/temp-memspace.js';

/**
 * The synthetic fixture is built so that keyword search is unambiguous: every word of a question
 * that is not a stop word appears, in its conversation, in the question's evidence turns only,
 * and no question has more than two evidence turns. So keyword search finds exactly the evidence
 * (plus the run neighbours of the best hits, which score below the hit that lends to them): one
 * evidence turn at rank 1 for every question, and all of them in the top 5.
 * 8 questions, 10 evidence turns: 2 multi-hop questions with 2 each, the other six with 1.
 */
const FIXTURE = join(import.meta.dirname, '../fixtures/conversation-tiny.json');
const KEYWORD_BY_HAND = {
  all: { 1: 8 / 10, 5: 1, 10: 1 },
  byCategory: {
    'multi-hop': { 1: 2 / 4, 5: 1, 10: 1 },
    temporal: { 1: 1, 5: 1, 10: 1 },
    'open-domain': { 1: 1, 5: 1, 10: 1 },
    'single-hop': { 1: 1, 5: 1, 10: 1 },
  },
};
const SPEAKERS: Record<string, string[]> = { 'conv-a': ['Alice', 'Bob'], 'conv-b': ['Carol', 'Dave'] };

// One model for every run of this file: each run would otherwise start its own worker pool.
let embedders: DefaultEmbedderProvider;
beforeAll(() => {
  embedders = new DefaultEmbedderProvider({ local: { poolSize: 1 } });
});
afterAll(async () => embedders.close());
afterEach(() => vi.restoreAllMocks());

const benchDirs = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith('memspace-convbench-'));
const row = (r: ConversationBenchmarkResult, label: string): ConversationBenchmarkRow => r.rows.find((x) => x.label === label)!;

/** Every search the engine ran: the space, the request, and the content of each hit. */
function watchSearches(): { space: string; request: Record<string, unknown>; contents: string[] }[] {
  const seen: { space: string; request: Record<string, unknown>; contents: string[] }[] = [];
  const run = SearchService.prototype.run;
  vi.spyOn(SearchService.prototype, 'run').mockImplementation(async function (this: SearchService, space, request, call) {
    const answer = await run.call(this, space, request, call);
    seen.push({ space, request: request as Record<string, unknown>, contents: answer.results.map((h) => h.memory.content) });
    return answer;
  });
  return seen;
}

/** The spaces left in a data directory or database. */
async function spacesLeft(config: Parameters<typeof loadConfig>[0], env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const ms = await openEngine(loadConfig(config, env), { embedders: { get: () => undefined, dimensionOf: () => 512 } });
  try {
    return (await ms.spaces.list({ limit: 1000 })).items.map((s) => s.name);
  } finally {
    await ms.close();
  }
}

function expectKeywordByHand(result: ConversationBenchmarkResult): void {
  const keyword = row(result, 'keyword');
  expect(keyword.recall.all[1]).toBeCloseTo(KEYWORD_BY_HAND.all[1], 12);
  expect(keyword.recall.all[5]).toBeCloseTo(1, 12);
  expect(keyword.recall.all[10]).toBeCloseTo(1, 12);
  for (const [category, figures] of Object.entries(KEYWORD_BY_HAND.byCategory)) {
    for (const [k, value] of Object.entries(figures)) expect(keyword.recall.byCategory[category as 'temporal']![Number(k)], `${category}@${k}`).toBeCloseTo(value, 12);
  }
  expect(keyword.macroRecall10).toBeCloseTo(1, 12);
}

describe('runConversationBenchmark on the embedded backend', () => {
  it('scores each mode by hand-checkable evidence recall, searches each question in its own conversation\'s space only, and removes its temp dir', async () => {
    const before = new Set(benchDirs());
    const searches = watchSearches();
    const progress: string[] = [];
    const result = await runConversationBenchmark({ file: FIXTURE, embedders, onProgress: (phase, done, total) => progress.push(`${phase} ${done}/${total}`) });

    expect(result).toMatchObject({
      file: FIXTURE,
      ks: [1, 5, 10],
      limit: 10,
      searches: 4 * 8,
      counts: {
        conversations: 2,
        memories: 30,
        questions: { all: 8, 'multi-hop': 2, temporal: 2, 'open-domain': 2, 'single-hop': 2 },
        evidence: { all: 10, 'multi-hop': 4, temporal: 2, 'open-domain': 2, 'single-hop': 2 },
        skipped: { adversarial: 2, malformedEvidence: 1, unknownEvidence: 1, noEvidence: 1 },
      },
    });
    expect(result.rows.map((r) => [r.label, r.mode, r.options])).toEqual([
      ['vector', 'vector', {}],
      ['keyword', 'keyword', {}],
      ['hybrid', 'hybrid', {}],
    ]);
    expectKeywordByHand(result);
    const keyword = row(result, 'keyword');
    expect(keyword.evidenceRanks['conv-a:q1']).toEqual([1]);
    expect(Object.keys(keyword.evidenceRanks)).toHaveLength(8);
    expect(keyword.evidenceRanks['conv-b:q2']!.every((rank) => rank !== null && rank <= 5)).toBe(true);
    for (const r of result.rows) {
      for (const figure of [...Object.values(r.recall.all), r.macroRecall10]) expect(figure >= 0 && figure <= 1, r.label).toBe(true);
      expect(r.latency.p50).toBeLessThanOrEqual(r.latency.p95);
    }

    // Each conversation has a space of its own; no search ever returned another conversation's turn
    // (conv-b holds a turn about the theremin, the word conv-a's first question asks about).
    const spaces = [...new Set(searches.map((s) => s.space))];
    expect(spaces).toHaveLength(2);
    expect(spaces.map((s) => s.replace(/^convbench-[0-9a-f]{6}-/, '')).sort()).toEqual(['conv-a', 'conv-b']);
    for (const { space, contents } of searches) {
      const speakers = SPEAKERS[space.endsWith('conv-a') ? 'conv-a' : 'conv-b']!;
      for (const content of contents) expect(speakers.some((s) => content.startsWith(`${s}: `)), `${space}: ${content}`).toBe(true);
    }
    const theremin = searches.filter((s) => s.request['query'] === 'What is the theremin for?' && s.request['mode'] === 'keyword');
    expect(theremin.map((s) => s.contents[0])).toEqual(['Alice: I bought a theremin and I am learning to play eerie film music on it.']);

    expect(progress.filter((p) => p.startsWith('load')).at(-1)).toBe('load 30/30');
    expect(progress.at(-1)).toBe('search 32/32');
    expect(benchDirs().filter((name) => !before.has(name))).toEqual([]);
  });

  it('deletes its spaces from a data directory it was given, runs the conversations named, and times with the clock given', async () => {
    const dataDir = tempDir('memspace-convbench-test-');
    try {
      const result = await runConversationBenchmark({ file: FIXTURE, conversations: ['conv-b'], ks: [10, 1], dataDir, embedders, now: () => 42 });
      expect(result.counts).toMatchObject({ conversations: 1, memories: 14, questions: { all: 4 }, evidence: { all: 5 }, skipped: { adversarial: 1, unknownEvidence: 1, malformedEvidence: 0 } });
      expect(result.ks).toEqual([1, 10]);
      // conv-b alone: 4 questions, 5 evidence turns, one multi-hop question with two.
      expect(row(result, 'keyword').recall.all[1]).toBeCloseTo(4 / 5, 12);
      expect(row(result, 'keyword').recall.byCategory['multi-hop']![1]).toBeCloseTo(1 / 2, 12);
      expect(result.timings).toEqual({ loadMs: 0, searchMs: 0 });
      expect(result.rows.map((r) => r.latency)).toEqual([{ p50: 0, p95: 0 }, { p50: 0, p95: 0 }, { p50: 0, p95: 0 }]);
      expect(await spacesLeft({ dataDir })).toEqual(['default']);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('checks the file and the options before opening anything', async () => {
    const before = new Set(benchDirs());
    const refused = (options: Partial<Parameters<typeof runConversationBenchmark>[0]>): Promise<unknown> => runConversationBenchmark({ file: FIXTURE, embedders, ...options });
    await expect(refused({ file: join(tmpdir(), 'no-such-benchmark.json') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    for (const ks of [[], [0], [1.5], [1001]]) await expect(refused({ ks })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^ks: /) });
    for (const batchSize of [0, 10_001, 2.5]) await expect(refused({ batchSize })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^batchSize: /) });
    await expect(refused({ conversations: ['conv-a', 'conv-z'] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: 'conversations: no sample conv-z in the file, which holds conv-a, conv-b' });
    await expect(refused({ conversations: [] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(benchDirs().filter((name) => !before.has(name))).toEqual([]);
  });

  it('adds the rerank row, whose order the reranker decides; without a reranker configured, fails and still deletes its spaces', async () => {
    const dataDir = tempDir('memspace-convbench-rerank-');
    // A reranker that puts the question's evidence turns last: each conversation's space is small
    // enough (16 and 14 turns) that the first stage hands it every turn, so none is left in the top 10.
    const evidence: Record<string, string[]> = {
      'What is the theremin for?': ['theremin and I'],
      'When was the lighthouse trip?': ['old lighthouse'],
      'Which pets, the axolotl and the ferret?': ['adopted an axolotl', 'rescued a ferret'],
      'Would sourdough suit them?': ['making sourdough'],
      'Where is the kayak?': ['kayak is in'],
      'The marzipan and the saxophone?': ['marzipan figures', 'the saxophone you'],
      'When did tango start?': ['tango classes'],
      'Would origami appeal?': ['origami cranes'],
    };
    const reranker = await startFakeReranker((request: SeenRerank) => request.documents.map((d) => (evidence[String(request.query)]!.some((t) => d.includes(t)) ? 0 : 1)));
    try {
      await expect(runConversationBenchmark({ file: FIXTURE, rerank: true, dataDir, embedders })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('rerank needs a reranker') });
      expect(await spacesLeft({ dataDir })).toEqual(['default']);

      const env = { MEMSPACE_RERANK_BASE_URL: reranker.url, MEMSPACE_RERANK_MODEL: 'test-reranker' };
      const result = await runConversationBenchmark({ file: FIXTURE, rerank: true, dataDir, embedders, env });
      expect(result.rows.map((r) => r.label)).toEqual(['vector', 'keyword', 'hybrid', 'hybrid + rerank']);
      const reranked = row(result, 'hybrid + rerank');
      expect(reranked).toMatchObject({ mode: 'hybrid', options: { rerank: true } });
      expect(reranker.requests).toHaveLength(8);
      expect(reranker.requests.every((r) => r.documents.length >= 14)).toBe(true);
      expect(reranked.recall.all).toEqual({ 1: 0, 5: 0, 10: 0 });
      expect(reranked.macroRecall10).toBe(0);
      expect(await spacesLeft({ dataDir })).toEqual(['default']);
    } finally {
      await reranker.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('with ablation, adds hybrid search without neighbours, without dates and without both, passing those options to the engine', async () => {
    const searches = watchSearches();
    const result = await runConversationBenchmark({ file: FIXTURE, ablation: true, embedders });
    expect(result.rows.map((r) => [r.label, r.options])).toEqual([
      ['vector', {}],
      ['keyword', {}],
      ['hybrid', {}],
      ['hybrid, no neighbors', { neighbors: false }],
      ['hybrid, no dates', { dates: false }],
      ['hybrid, no neighbors or dates', { neighbors: false, dates: false }],
    ]);
    const asked = (options: Record<string, unknown>): number => searches.filter((s) => s.request['mode'] === 'hybrid' && Object.entries(options).every(([k, v]) => s.request[k] === v)).length;
    expect(asked({ neighbors: false, dates: undefined })).toBe(8);
    expect(asked({ dates: false, neighbors: undefined })).toBe(8);
    expect(asked({ neighbors: false, dates: false })).toBe(8);
    expect(result.searches).toBe(7 * 8);
  });
});

describe('runConversationBenchmark on PostgreSQL (PGlite)', () => {
  let pg: PgliteServer;
  beforeAll(async () => {
    pg = await startPglite();
  });
  afterAll(async () => pg.stop());

  it('gives the same keyword figures, and leaves the database without its spaces', async () => {
    const env = { MEMSPACE_BACKEND: 'postgres', MEMSPACE_PG_URL: pg.url, MEMSPACE_PG_POOL_SIZE: '4' };
    const result = await runConversationBenchmark({ file: FIXTURE, embedders, env });
    expect(result.counts.memories).toBe(30);
    expectKeywordByHand(result);
    expect((await spacesLeft({}, env)).filter((name) => name.startsWith('convbench-'))).toEqual([]);
  });
});
