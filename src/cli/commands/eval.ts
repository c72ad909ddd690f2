import type { Command } from 'commander';
import { runEvaluation, type EvaluationResult } from '../../eval/run-eval.js';
import type { CliContext } from '../cli-context.js';
import { progressBar, table } from '../format.js';
import { definedOnly } from '../../core/defined.js';
import { toIntList } from '../options.js';

/** Registers `eval`: search quality on a labelled set, measured per mode. */
export function registerEval(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  ctx
    .command(program, 'eval', 'measure search quality on a labelled JSON Lines set: recall@k, MRR and nDCG@10 per mode (in a temporary data directory unless --data-dir is given)')
    .argument('<file>', 'JSON Lines of {"type":"memory","id","content"} and {"type":"query","id","query","relevant":[ids]}')
    .option('--k <list>', 'cut-offs of recall@k, comma-separated', toIntList, [1, 5, 10])
    .option('--sweep', 'also try hybrid search at vector weights 0.1 to 0.9, with weighted and rrf fusion')
    .action(async (file: string, o: { k: number[]; sweep?: boolean }) => {
      const bars = { load: progressBar(io.stderr, 'eval: storing memories'), search: progressBar(io.stderr, 'eval: searching') };
      let phase: 'load' | 'search' = 'load';
      const result = await runEvaluation({
        file,
        ks: o.k,
        sweep: o.sweep === true,
        ...definedOnly({ dataDir: ctx.globals().dataDir }),
        env: io.env,
        onProgress: (next, done, total) => {
          if (next !== phase) bars[phase].done();
          phase = next;
          bars[next].update(done, total);
        },
      });
      bars[phase].done();
      const { rows, ...rest } = result;
      // Per-query ranks stay in the library result; the command prints the summary only.
      ctx.print({ ...rest, rows: rows.map(({ firstRelevantRank: _ranks, ...row }) => row) }, () => evalReport(result));
    });
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
