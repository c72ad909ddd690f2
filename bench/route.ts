/**
 * Routing accuracy (`npm run bench:route`): on the conversation benchmark named by
 * `MEMSPACE_CONVERSATION_BENCHMARK` (this repository ships none: LoCoMo is CC BY-NC), one space
 * per conversation holding four turns in five; the fifth turns are held out, and each is routed
 * (`ms.route.route`) over those spaces, as is every third question of categories 1-4 (a second
 * labelled set: a question belongs to its conversation). Each answer carries both parts of each
 * space's score, so one call ranks the spaces three ways: by the centroid's cosine alone, by the
 * keyword evidence alone, and by the blend the route answers with. Top-1 and top-3 accuracy of
 * each, beside chance, and the time of a route call.
 *
 * Run directly, it writes the kept section `route` of bench/RESULTS.md (bench/kept-sections.ts).
 */
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { loadConfig } from '../src/config.js';
import type { RouteSuggestion } from '../src/core/routing.js';
import { readConversationSet, type Conversation } from '../src/eval/conversation-set.js';
import { openEngine, type MemspaceEngine } from '../src/memspace.js';
import { tempDir } from '../test/support/temp-memspace.js';
import { writeKeptSection } from './kept-sections.js';
import { loadSentence, partRunner, type Part, type PartsSummary } from './parts.js';
import { BENCHMARK_FILE_VARIABLE, benchmarkFile, runWithBenchmarkFile } from './retrieval.js';

/** Every HOLD_OUT-th turn (from the third) is held out and routed; the others are stored. */
const HOLD_OUT = 5;
/** Every QUESTION_STEP-th question is routed. */
const QUESTION_STEP = 3;
const PREFIX = 'route-';

/** How the three rankings did on one labelled set. */
interface Accuracy {
  texts: number;
  top1: Record<Ranking, number>;
  top3: Record<Ranking, number>;
}
type Ranking = 'centroid' | 'keyword' | 'blend';
const RANKINGS: readonly Ranking[] = ['centroid', 'keyword', 'blend'];

/** The figures of one run. */
interface RouteFigures {
  data: { name: string; sha256: string; bytes: number };
  spaces: number;
  stored: number;
  turns: Accuracy;
  questions: Accuracy;
  /** Route calls, timed one after another (each embeds the text once and searches every space). */
  calls: { count: number; meanMs: number; p50Ms: number; p95Ms: number };
  centroids: { rebuilds: number; increments: number; hits: number };
  loadMs: number;
}

interface RouteBenchResult extends PartsSummary {
  run: Part<RouteFigures>;
}

/** A labelled text: what to route and the space it belongs to. */
interface Labelled {
  text: string;
  space: string;
}

/** The text of a turn without its `"<speaker>: "`: the speaker's name would give the conversation away. */
const withoutSpeaker = (content: string): string => content.slice(content.indexOf(': ') + 2);

async function load(ms: MemspaceEngine, conversations: readonly Conversation[], progress?: (line: string) => void): Promise<{ turns: Labelled[]; questions: Labelled[]; stored: number }> {
  const turns: Labelled[] = [];
  const questions: Labelled[] = [];
  let stored = 0;
  for (const c of conversations) {
    const space = `${PREFIX}${c.id}`;
    await ms.spaces.create({ name: space });
    const kept = c.memories.filter((_, i) => i % HOLD_OUT !== 2);
    for (let i = 0; i < kept.length; i += 100) {
      await ms.memories.addMany(space, kept.slice(i, i + 100).map((m) => ({ content: m.content, runId: m.runId, metadata: m.metadata })));
    }
    stored += kept.length;
    turns.push(...c.memories.filter((_, i) => i % HOLD_OUT === 2).map((m) => ({ text: withoutSpeaker(m.content), space })));
    questions.push(...c.questions.filter((_, i) => i % QUESTION_STEP === 0).map((q) => ({ text: q.question, space })));
    progress?.(`route: stored ${space} (${kept.length} turns)`);
  }
  return { turns, questions, stored };
}

/** Routes each text, ranking the spaces three ways from the one answer; adds each call's time to `times`. */
async function measure(ms: MemspaceEngine, set: readonly Labelled[], times: number[]): Promise<Accuracy> {
  const top1 = { centroid: 0, keyword: 0, blend: 0 };
  const top3 = { centroid: 0, keyword: 0, blend: 0 };
  const by: Record<Ranking, (s: RouteSuggestion) => number> = { centroid: (s) => s.vector ?? 0, keyword: (s) => s.keyword, blend: (s) => s.score };
  for (const { text, space } of set) {
    const at = performance.now();
    const { results } = await ms.route.route({ text, prefix: PREFIX, limit: 50 });
    times.push(performance.now() - at);
    for (const r of RANKINGS) {
      const order = [...results].sort((a, b) => by[r](b) - by[r](a) || (a.space < b.space ? -1 : 1)).map((s) => s.space);
      if (order[0] === space) top1[r] += 1;
      if (order.slice(0, 3).includes(space)) top3[r] += 1;
    }
  }
  return { texts: set.length, top1, top3 };
}

async function benchRoute(progress: (line: string) => void): Promise<RouteBenchResult> {
  const file = benchmarkFile();
  const { run: part, summary } = partRunner('route', progress);
  const run = await part('routing held-out turns and questions', async (): Promise<RouteFigures> => {
    const bytes = await readFile(file);
    const { conversations } = await readConversationSet(file);
    const dataDir = tempDir('memspace-bench-route-');
    const ms = await openEngine(loadConfig({ dataDir }, {}));
    try {
      const started = performance.now();
      const { turns, questions, stored } = await load(ms, conversations, progress);
      const loadMs = performance.now() - started;
      await ms.route.route({ text: 'warm up', prefix: PREFIX }); // sums each centroid and loads the model once, untimed
      const times: number[] = [];
      progress(`route: routing ${turns.length} held-out turns`);
      const turnAccuracy = await measure(ms, turns, times);
      progress(`route: routing ${questions.length} questions`);
      const questionAccuracy = await measure(ms, questions, times);
      const sorted = [...times].sort((a, b) => a - b);
      const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
      return {
        data: { name: basename(file), sha256: createHash('sha256').update(bytes).digest('hex').slice(0, 12), bytes: bytes.length },
        spaces: conversations.length,
        stored,
        turns: turnAccuracy,
        questions: questionAccuracy,
        calls: { count: times.length, meanMs: times.reduce((s, t) => s + t, 0) / times.length, p50Ms: at(0.5), p95Ms: at(0.95) },
        centroids: ms.route.centroids.stats(),
        loadMs,
      };
    } finally {
      await ms.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
  return { ...summary(), run };
}

/** The section of RESULTS.md. */
function routeMarkdown(res: RouteBenchResult): string[] {
  const title = '## Routing suggestions on a conversation benchmark';
  const head = [title, '', `Measured by \`bench/route.ts\` (\`npm run bench:route\`) on ${res.date}, in ${Math.round(res.durationSec)} s. ${loadSentence(res)}`, ''];
  const r = res.run;
  if ('error' in r) return [...head, `Failed: ${r.error}`, ''];
  const pct = (n: number, of: number): string => `${((100 * n) / of).toFixed(1)}%`;
  const rows = (a: Accuracy): string[] => RANKINGS.map((k) => `| ${k} | ${pct(a.top1[k], a.texts)} | ${pct(a.top3[k], a.texts)} |`);
  const table = (name: string, a: Accuracy): string[] => [
    `#### ${name} (${a.texts})`,
    '',
    '| Ranking | Top-1 | Top-3 |',
    '|---|--:|--:|',
    ...rows(a),
    `| chance | ${pct(1, r.spaces)} | ${pct(Math.min(3, r.spaces), r.spaces)} |`,
    '',
  ];
  return [
    ...head,
    `\`${r.data.name}\` (${r.data.bytes.toLocaleString('en-US')} bytes, SHA-256 ${r.data.sha256}…), given by \`${BENCHMARK_FILE_VARIABLE}\`: one space per conversation (${r.spaces} spaces, default local embedder, embedded backend), holding ${r.stored.toLocaleString('en-US')} turns (\`"<speaker>: <text>"\`, four in five of each conversation). Routed: the held-out fifth turns, **without** their speaker (the name would give the conversation away), and every ${QUESTION_STEP}rd question of categories 1-4. One \`ms.route.route\` call per text over the ${r.spaces} spaces; its suggestions ranked by \`vector\` alone (**centroid**), by \`keyword\` alone (**keyword**), and by \`score\` (**blend**, \`0.6 × vector + 0.4 × keyword\`, what the route answers). These conversations are all chat between two friends, so the spaces differ by who and what rather than by topic: a hard case for a centroid.`,
    '',
    ...table('Held-out turns', r.turns),
    ...table('Questions', r.questions),
    `Route calls: ${r.calls.count.toLocaleString('en-US')}, mean ${r.calls.meanMs.toFixed(1)} ms, p50 ${r.calls.p50Ms.toFixed(1)} ms, p95 ${r.calls.p95Ms.toFixed(1)} ms (each embeds the text once and runs a keyword search and a hybrid search of one in each space). Centroids: ${r.centroids.rebuilds} summed from their space, ${r.centroids.increments} caught up from the feed, ${r.centroids.hits} current. Storing the turns took ${(r.loadMs / 1000).toFixed(0)} s.`,
    '',
  ];
}

/** Runs the benchmark and writes its section of bench/RESULTS.md; returns the section. */
async function recordRoute(progress: (line: string) => void): Promise<string> {
  const section = routeMarkdown(await benchRoute(progress)).join('\n');
  await writeKeptSection(join(dirname(fileURLToPath(import.meta.url)), 'RESULTS.md'), 'route', section);
  progress('wrote the route section of bench/RESULTS.md');
  return section;
}

await runWithBenchmarkFile(import.meta.url, recordRoute);
