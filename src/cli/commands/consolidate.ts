import type { Command } from 'commander';
import { definedOnly } from '../../core/defined.js';
import type { ConsolidationReport, ConsolidationUndoResult } from '../../core/views.js';
import type { CliContext } from '../cli-context.js';
import { table } from '../format.js';
import { toInt, toNumber } from '../options.js';

/**
 * Registers `consolidate <space>` (a pass, or with `--dry-run` what a pass would do) and
 * `consolidate undo <space> <run-id>`. The undo is a subcommand rather than a flag so that a
 * run id can never be mistaken for a space name; the price is that commander reads a first
 * argument `undo` (or `help`) as the subcommand, so a space of that name is consolidated over
 * HTTP or the SDK.
 */
export function registerConsolidate(program: Command, ctx: CliContext): void {
  const consolidate = ctx
    .apiCommand(program, 'consolidate', 'merge repeated memories and supersede outdated facts in a space (docs/consolidation.md)')
    .argument('<space>')
    .option('--dry-run', 'print what would change, change nothing')
    .option('--min-cosine <x>', "least cosine similarity for two memories to be compared (default: the space's consolidation.minCosine, 0.6 unless set)", toNumber)
    .option('--min-overlap <x>', "least overlap of content words, 0.5 to 1 (default: the space's consolidation.minOverlap, 1 unless set)", toNumber)
    .option('--summarize', 'summarise sessions older than the space\'s summarizeAfterDays (default 7) with the chat model')
    .option('--no-summarize', 'no summaries in this pass, whatever the space\'s settings')
    .option('--summarize-after-days <n>', 'summarise sessions older than this many days (needs a chat model)', toInt)
    .action(async (space: string, o: { dryRun?: boolean; minCosine?: number; minOverlap?: number; summarize?: boolean; summarizeAfterDays?: number }) => {
      const options = definedOnly({ minCosine: o.minCosine, minOverlap: o.minOverlap, summarize: o.summarize, summarizeAfterDays: o.summarizeAfterDays });
      const report = await ctx.backend().consolidation.run(space, { dryRun: o.dryRun === true, ...options });
      ctx.print(report, () => reportText(space, report));
    });
  ctx
    .apiCommand(consolidate, 'undo <space> <run-id>', 'put back what a consolidation run merged and superseded')
    .action(async (space: string, runId: string) => {
      const undone = await ctx.backend().consolidation.undo(space, runId);
      ctx.print(undone, () => undoText(space, undone));
    });
}

/** A pass for people: the counts, and for a dry run one row per memory that would change. */
function reportText(space: string, r: ConsolidationReport): string {
  // Summaries and the model's figures only when a chat model is configured: without one, nothing to tell.
  const model = r.modelCalls === undefined ? '' : `, ${r.dryRun ? 'would summarise' : 'summarised'} ${r.summarized}; chat model: ${r.modelCalls} ${r.modelCalls === 1 ? 'call' : 'calls'}, ${r.modelErrors ?? 0} failed, ${r.modelPending ?? 0} left for later`;
  const counts = `examined ${r.examined}, ${r.dryRun ? 'would merge' : 'merged'} ${r.merged}, ${r.dryRun ? 'would supersede' : 'superseded'} ${r.superseded}${model}`;
  if (!r.dryRun) {
    const skipped = r.skipped > 0 ? `, skipped ${r.skipped} (changed during the pass)` : '';
    return `consolidated ${space}: ${counts}${skipped}\nrun ${r.runId}; undo with: memspace consolidate undo ${space} ${r.runId}\n`;
  }
  const rows = (r.groups ?? []).flatMap((g) => g.ids.map((id) => [g.kind, id, g.keep, g.reason]));
  // Ids are 36 characters and reasons a sentence: a wider cut than a listing's so neither is clipped.
  return `dry run on ${space}: ${counts}\n` + (rows.length === 0 ? '' : table(['KIND', 'MEMORY', 'INTO / BY', 'REASON'], rows, 100));
}

function undoText(space: string, u: ConsolidationUndoResult): string {
  const n = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`;
  const summaries = u.summariesDeleted === undefined ? '' : `, ${n(u.summariesDeleted, 'summary', 'summaries')} deleted`;
  return `undid run ${u.runId} on ${space}: ${n(u.restored, 'memory', 'memories')} restored, ${n(u.unsuperseded, 'supersession', 'supersessions')} cleared${summaries}\n`;
}
