/**
 * Feedback on a conversation benchmark (issue 21, `npm run bench:feedback`): the scripted user of
 * src/eval/feedback-simulation.ts on the file named by `MEMSPACE_CONVERSATION_BENCHMARK` (this
 * repository ships none: LoCoMo is CC BY-NC), on the embedded backend with its defaults, under
 * three policies: helpful only, helpful and the other hits of the top 3 wrong, and helpful over
 * two rounds. Evidence recall before, after and faded, by half and rank weighting, and whether
 * the control spaces answered byte for byte as before.
 *
 * Run directly, it writes its figures as the kept section `feedback` of bench/RESULTS.md
 * (bench/kept-sections.ts), which `bench/run.ts` leaves as it is. `--conversations a,b` runs
 * those samples only, and the section says so.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { feedbackTables, HELPFUL_AND_WRONG, HELPFUL_ONLY, simulateFeedback, type FeedbackPolicy, type FeedbackSimulationResult } from '../src/eval/feedback-simulation.js';
import { writeKeptSection } from './kept-sections.js';
import { loadSentence, partRunner, type Part, type PartsSummary } from './parts.js';
import { BENCHMARK_FILE_VARIABLE, benchmarkFile, runWithBenchmarkFile } from './retrieval.js';

/** The policies measured, each on fresh feedback state over the same spaces. */
const POLICIES: readonly FeedbackPolicy[] = [HELPFUL_ONLY, HELPFUL_AND_WRONG, { name: 'helpful, 2 rounds', wrongTop: 0, rounds: 2 }];

/** The simulation's figures and which file it ran on. */
export interface FeedbackFigures extends Omit<FeedbackSimulationResult, 'file'> {
  /** The file's name (not its path, which is the user's) and the start of its SHA-256, to tell runs on the same data. */
  data: { name: string; sha256: string; bytes: number };
  /** The samples asked for with `--conversations`; null for every one. */
  only: string[] | null;
}

/** Figures reported by {@link benchFeedback}. */
export interface FeedbackBenchResult extends PartsSummary {
  simulation: Part<FeedbackFigures>;
}

/** Runs the simulation on the embedded backend, whatever the shell's MEMSPACE_* variables say. */
export async function benchFeedback(options: { conversations?: string[]; progress?: (line: string) => void; env?: NodeJS.ProcessEnv } = {}): Promise<FeedbackBenchResult> {
  const file = benchmarkFile(options.env);
  const progress = options.progress;
  const { run: part, summary } = partRunner('feedback', progress);
  const simulation = await part(`the feedback simulation on ${basename(file)}`, async () => {
    const bytes = await readFile(file);
    let phase = '';
    const { file: _path, ...result } = await simulateFeedback({
      file,
      env: {},
      policies: POLICIES,
      ...(options.conversations !== undefined && { conversations: options.conversations }),
      onProgress: (next, done, total) => {
        if (next !== phase || done === total || done % 2000 === 0) progress?.(`feedback: ${next === 'load' ? 'storing turns' : 'searching'} ${done}/${total}`);
        phase = next;
      },
    });
    return { ...result, data: { name: basename(file), sha256: createHash('sha256').update(bytes).digest('hex').slice(0, 12), bytes: bytes.length }, only: options.conversations ?? null };
  });
  return { ...summary(), simulation };
}

type Report = FeedbackBenchResult | { error: string };

/** The section of RESULTS.md. */
export function feedbackMarkdown(res: Report): string[] {
  const title = '## Feedback on a conversation benchmark';
  if ('error' in res) return [title, '', `Failed: ${res.error}`, ''];
  const n = (x: number): string => Math.round(x).toLocaleString('en-US');
  const head = [
    title,
    '',
    `Measured by \`bench/feedback.ts\` (\`npm run bench:feedback\`) on ${res.date}, in ${n(res.durationSec)} s. ${loadSentence(res)}`,
    '',
  ];
  const part = res.simulation;
  if ('error' in part) return [...head, `Failed: ${part.error}`, ''];
  return [...head, ...protocol(part), ...tables(part), ...outcome(part)];
}

function protocol(r: FeedbackFigures): string[] {
  const { counts: c, data, clock } = r;
  const ranks = r.policies[0]!.ranks.map((x) => `${x.rank.feedback}/${x.rank.narrative}`).join(', ');
  return [
    `\`${data.name}\` (${data.bytes.toLocaleString('en-US')} bytes, SHA-256 ${data.sha256}…), given by \`${BENCHMARK_FILE_VARIABLE}\`${r.only === null ? '' : `, samples ${r.only.join(', ')} only (\`--conversations\`)`}: ${c.conversations} conversations, ${c.memories.toLocaleString('en-US')} turns; questions of categories 1-4 split by their index in each conversation, even ones **train** (${c.questions.train} questions, ${c.evidence.train} evidence turns), odd ones **test** (${c.questions.test}, ${c.evidence.test}). Each conversation is stored twice on the embedded backend (SQLite) with the default local embedder, as \`memspace eval --conversation-benchmark\` stores it: a space that takes feedback and a **control** that never does (\`simulateFeedback\`, src/eval/feedback-simulation.ts).`,
    '',
    `Every search is hybrid, limit ${r.limit}, with \`rank: {feedback: F, narrative: N}\` at ${ranks} (F/N). **Before**: every question searched, no feedback yet. **Feedback**: each train question searched at ${ranks.split(', ')[0]} and the top 10 read as an agent checking them against the labels would: each evidence turn there \`helpful\` with the query; under the policy \`helpful + wrong top 3\` also each other hit of the top 3 \`wrong\` (by default not: a turn that does not answer this question may answer another, so it is not wrong); \`2 rounds\` asks and reports twice. **After**: every question again, train ones as repeat questions, test ones as related questions never reported on. **Faded**: the engine's injected clock (started at ${clock.start}, still otherwise) moved on ${clock.fadeDays} days, ${clock.fadeHalfLives} half-lives of the spaces' ${clock.halfLifeDays}-day \`feedback.halfLifeDays\`, and every question again. Each policy starts from a reset (\`ms.feedback.reset\`) of the same spaces. **Recall@k is pooled** over conversations: evidence turns found in the top k over all evidence turns of the half; Δ is against before, and a Δ of \`0\` means exactly equal.`,
    '',
  ];
}

function tables(r: FeedbackFigures): string[] {
  return feedbackTables({ ...r, file: '' }).flatMap((t) => [
    `#### Recall@${t.k}`,
    '',
    '| Policy | F/N | Half | Before | After | Δ after | Faded | Δ faded |',
    '|---|---|---|--:|--:|--:|--:|--:|',
    ...t.rows.map((row) => `| ${row.join(' | ')} |`),
    '',
  ]);
}

function outcome(r: FeedbackFigures): string[] {
  const lines = r.policies.map((p) => {
    const s = p.signals;
    const moved = p.ranks.map((x) => `${x.rank.feedback}/${x.rank.narrative}: ${x.changedAfter.train} train and ${x.changedAfter.test} test rankings changed after, ${x.fadedDiffers.train + x.fadedDiffers.test} differ from before once faded`).join('; ');
    const controls = p.controls.map((c) => `${c.conversation} ${c.before.slice(0, 12)}…${c.after === c.before ? ' =' : ` ≠ ${c.after.slice(0, 12)}…`}`).join(', ');
    return `- **${p.policy.name}**: ${s.calls} feedback calls, ${s.helpful} \`helpful\` and ${s.wrong} \`wrong\`, ${s.silent} train searches with nothing to report. ${moved}. Control spaces byte-identical before and after (SHA-256 of the JSON of \`ms.search.run\` for every question, at the first weights): **${p.identicalControls} of ${p.controls.length}** (${controls}).`;
  });
  return ['#### Signals given and isolation', '', ...lines, '', `${r.searches.toLocaleString('en-US')} searches; storing the turns twice took ${(r.timings.loadMs / 1000).toFixed(0)} s, the simulation ${(r.timings.simulateMs / 1000).toFixed(0)} s.`, ''];
}


/** Runs the benchmark and writes its section of bench/RESULTS.md; returns the section. */
export async function recordFeedback(options: { conversations?: string[]; progress: (line: string) => void }): Promise<string> {
  const result = await benchFeedback(options);
  const section = feedbackMarkdown(result).join('\n');
  await writeKeptSection(join(dirname(fileURLToPath(import.meta.url)), 'RESULTS.md'), 'feedback', section);
  options.progress('wrote the feedback section of bench/RESULTS.md');
  return section;
}

await runWithBenchmarkFile(import.meta.url, (progress) => {
  const at = process.argv.indexOf('--conversations');
  const conversations = at > 0 ? process.argv[at + 1]?.split(',').map((sample) => sample.trim()) : undefined;
  return recordFeedback({ ...(conversations !== undefined && { conversations }), progress });
});
