import { InvalidArgumentError, Option, type Command } from 'commander';
import { runEvaluation, type EvaluationResult } from '../../eval/run-eval.js';
import { runConversationBenchmark, type ConversationBenchmarkResult } from '../../eval/run-conversation-benchmark.js';
import { CATEGORIES } from '../../eval/conversation-set.js';
import { feedbackTables, simulateFeedback, TABLE_HEADERS, type FeedbackSimulationResult } from '../../eval/feedback-simulation.js';
import type { CliContext, CliIO } from '../cli-context.js';
import { progressBar, table } from '../format.js';
import { definedOnly } from '../../core/defined.js';
import { toIntList } from '../options.js';

interface EvalFlags {
  k: number[];
  sweep?: boolean;
  conversationBenchmark?: string;
  ablation?: boolean;
  rerank?: boolean;
  feedback?: boolean;
  conversations?: string[];
}

/** The flags that only a conversation benchmark takes, as commander names them and as the user typed them. */
const BENCHMARK_ONLY = [['ablation', '--ablation'], ['rerank', '--rerank'], ['feedback', '--feedback'], ['conversations', '--conversations']] as const;

/** Registers `eval`: search quality on a labelled set, or evidence recall on a conversation benchmark, measured per mode. */
export function registerEval(program: Command, ctx: CliContext): void {
  const command = ctx
    .command(program, 'eval', 'measure search quality on a labelled JSON Lines set (recall@k, MRR and nDCG@10 per mode), or evidence recall on a conversation benchmark (in a temporary data directory unless --data-dir is given)')
    .argument('[file]', 'JSON Lines of {"type":"memory","id","content"} and {"type":"query","id","query","relevant":[ids]}')
    .option('--k <list>', 'cut-offs of recall@k, comma-separated', toIntList, [1, 5, 10])
    .addOption(new Option('--sweep', 'also try hybrid search at vector weights 0.1 to 0.9, with weighted and rrf fusion').conflicts('conversationBenchmark'))
    .option('--conversation-benchmark <file>', 'instead, measure evidence recall on a LoCoMo-shaped JSON file: a space per conversation, a memory per turn, a search per question')
    .option('--ablation', 'with --conversation-benchmark: also hybrid search without neighbouring turns, without dates, and without both')
    .option('--rerank', 'with --conversation-benchmark: also hybrid search reranked by the configured reranker (MEMSPACE_RERANK_*)')
    .addOption(new Option('--feedback', 'with --conversation-benchmark: instead, a scripted user gives feedback on half the questions; recall before, after and once it faded (src/eval/feedback-simulation.ts)').conflicts(['ablation', 'rerank']))
    .option('--conversations <ids>', 'with --conversation-benchmark: only these sample ids, comma-separated', toNameList)
    .action(async (file: string | undefined, o: EvalFlags) => {
      if (o.conversationBenchmark === undefined) {
        if (file === undefined) command.error("error: missing required argument 'file' (or give --conversation-benchmark FILE)");
        const given = BENCHMARK_ONLY.find(([key]) => o[key] !== undefined);
        if (given !== undefined) command.error(`error: ${given[1]} goes with --conversation-benchmark`);
        await evaluateLabelledSet(ctx, file!, o);
      } else {
        if (file !== undefined) command.error('error: give a labelled set FILE or --conversation-benchmark FILE, not both');
        await (o.feedback === true ? simulateConversationFeedback : benchmarkConversations)(ctx, o.conversationBenchmark, o);
      }
    });
}

async function evaluateLabelledSet(ctx: CliContext, file: string, o: EvalFlags): Promise<void> {
  const progress = progressReporter(ctx.io);
  const result = await runEvaluation({ file, ks: o.k, sweep: o.sweep === true, ...definedOnly({ dataDir: ctx.globals().dataDir }), env: ctx.io.env, onProgress: progress.update });
  progress.done();
  const { rows, ...rest } = result;
  // Per-query ranks stay in the library result; the command prints the summary only.
  ctx.print({ ...rest, rows: rows.map(({ firstRelevantRank: _ranks, ...row }) => row) }, () => evalReport(result));
}

async function benchmarkConversations(ctx: CliContext, file: string, o: EvalFlags): Promise<void> {
  const progress = progressReporter(ctx.io);
  const result = await runConversationBenchmark({
    file,
    ks: o.k,
    ablation: o.ablation === true,
    rerank: o.rerank === true,
    ...definedOnly({ conversations: o.conversations, dataDir: ctx.globals().dataDir }),
    env: ctx.io.env,
    onProgress: progress.update,
  });
  progress.done();
  const { rows, ...rest } = result;
  // As above: the rank of each evidence turn stays in the library result.
  ctx.print({ ...rest, rows: rows.map(({ evidenceRanks: _ranks, ...row }) => row) }, () => conversationReport(result));
}

async function simulateConversationFeedback(ctx: CliContext, file: string, o: EvalFlags): Promise<void> {
  const progress = progressReporter(ctx.io);
  const result = await simulateFeedback({ file, ks: o.k, ...definedOnly({ conversations: o.conversations, dataDir: ctx.globals().dataDir }), env: ctx.io.env, onProgress: progress.update });
  progress.done();
  ctx.print(result, () => feedbackReport(result));
}

/** Progress bars on stderr, one per phase (storing, then searching), shown on a terminal only. */
function progressReporter(io: CliIO): { update: (phase: 'load' | 'search', done: number, total: number) => void; done: () => void } {
  const bars = { load: progressBar(io.stderr, 'eval: storing memories'), search: progressBar(io.stderr, 'eval: searching') };
  let phase: 'load' | 'search' = 'load';
  return {
    update: (next, done, total) => {
      if (next !== phase) bars[phase].done();
      phase = next;
      bars[next].update(done, total);
    },
    done: () => bars[phase].done(),
  };
}

/** `a,b`: names, comma-separated, blanks around them ignored. */
function toNameList(value: string): string[] {
  const names = value.split(',').map((part) => part.trim());
  if (names.some((name) => name === '')) throw new InvalidArgumentError(`not a comma-separated list of names: ${value}`);
  return names;
}

function evalReport(r: EvaluationResult): string {
  const figure = (x: number): string => x.toFixed(3);
  const out = table(
    ['MODE', 'FUSION', 'WEIGHT', ...r.ks.map((k) => `RECALL@${k}`), 'MRR', 'NDCG@10', 'QUERIES', 'MEMORIES'],
    r.rows.map((row) => [
      row.mode === 'hybrid' && !row.sweep ? 'hybrid (defaults)' : row.mode,
      row.fusion ?? '-',
      row.vectorWeight ?? '-',
      ...r.ks.map((k) => figure(row.metrics.recall[k] ?? 0)),
      figure(row.metrics.mrr),
      figure(row.metrics.ndcg10),
      row.metrics.queries,
      r.memories,
    ]),
  );
  const lines = [out];
  const swept = r.rows.filter((row) => row.sweep);
  if (swept.length > 0) {
    const best = swept.reduce((a, b) => (b.metrics.ndcg10 > a.metrics.ndcg10 ? b : a));
    const current = r.rows.find((row) => row.mode === 'hybrid' && !row.sweep);
    lines.push(
      `best hybrid by nDCG@10: ${best.fusion} ${best.vectorWeight} (${figure(best.metrics.ndcg10)})` +
        (current ? `; the defaults, ${current.fusion} ${current.vectorWeight}, give ${figure(current.metrics.ndcg10)}` : '') +
        '\n',
    );
  }
  const searches = r.rows.length * r.queries;
  lines.push(`${r.memories} memories stored in ${(r.timings.loadMs / 1000).toFixed(1)} s; ${searches} searches in ${(r.timings.searchMs / 1000).toFixed(1)} s\n`);
  return lines.join('');
}

/** One row per way of searching: pooled evidence recall at each k, by category at the largest k, question-averaged recall@10, latency. */
function conversationReport(r: ConversationBenchmarkResult): string {
  const figure = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : x.toFixed(3));
  const ms = (x: number): string => x.toFixed(1);
  const top = r.ks.at(-1)!;
  const categories = Object.values(CATEGORIES);
  const out = table(
    ['MODE', ...r.ks.map((k) => `RECALL@${k}`), ...categories.map((c) => `${c.toUpperCase()}@${top}`), 'MACRO@10', 'P50 MS', 'P95 MS'],
    r.rows.map((row) => [
      row.label,
      ...r.ks.map((k) => figure(row.recall.all[k])),
      ...categories.map((c) => figure(row.recall.byCategory[c]?.[top])),
      figure(row.macroRecall10),
      ms(row.latency.p50),
      ms(row.latency.p95),
    ]),
  );
  const { conversations, memories, questions: q, evidence, skipped: s } = r.counts;
  const perCategory = categories.map((c) => `${q[c]} ${c}`).join(', ');
  return [
    out,
    `recall: evidence turns found in the top k over all evidence turns (pooled); MACRO@10: recall@10 averaged over questions\n`,
    `${conversations} conversations, ${memories} turns stored in ${(r.timings.loadMs / 1000).toFixed(1)} s; ${q.all} questions (${perCategory}) with ${evidence.all} evidence turns; ${r.searches} searches in ${(r.timings.searchMs / 1000).toFixed(1)} s\n`,
    `skipped: ${s.adversarial} adversarial questions, ${s.noEvidence} without evidence; evidence ids: ${s.malformedEvidence} malformed, ${s.unknownEvidence} naming no turn\n`,
  ].join('');
}

/** A table per k (pooled recall before, after and faded, and the changes), then the signals given and the control spaces' digests. */
function feedbackReport(r: FeedbackSimulationResult): string {
  const tables = feedbackTables(r).map((t) => `recall@${t.k}\n${table(TABLE_HEADERS, t.rows)}`);
  const { conversations, memories, questions: q, evidence: e } = r.counts;
  const policies = r.policies.map((p) => {
    const s = p.signals;
    return `${p.policy.name}: ${s.calls} feedback calls (${s.helpful} helpful, ${s.wrong} wrong; ${s.silent} train searches found nothing to report); control spaces byte-identical before and after: ${p.identicalControls} of ${p.controls.length}\n`;
  });
  return [
    ...tables,
    `recall: evidence turns found in the top k over all evidence turns (pooled); RANK F/N: search weights of feedback and narrative; faded: ${r.clock.fadeDays} days (${r.clock.fadeHalfLives} half-lives) later; Δ 0 is exact\n`,
    ...policies,
    `${conversations} conversations, ${memories} turns stored twice in ${(r.timings.loadMs / 1000).toFixed(1)} s; train ${q.train} questions (${e.train} evidence turns), test ${q.test} (${e.test}); ${r.searches} searches in ${(r.timings.simulateMs / 1000).toFixed(1)} s\n`,
  ].join('');
}
