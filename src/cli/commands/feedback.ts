import type { Command } from 'commander';
import type { FeedbackInput, RerankInput } from '../../client/types.js';
import { definedOnly } from '../../core/defined.js';
import { MemspaceError } from '../../core/errors.js';
import type { FeedbackReset, FeedbackResult, RerankResult } from '../../core/feedback-api.js';
import type { CliContext } from '../cli-context.js';
import { table } from '../format.js';
import { withInputLines } from '../line-input.js';
import { collect, toInt, toNumber } from '../options.js';

/** The flags of `feedback <space>`. */
interface FeedbackFlags {
  helpful: string[];
  used: string[];
  wrong: string[];
  query?: string;
  weight?: number;
  document?: boolean;
}

/** The flags of `rerank <space>`. */
interface RerankFlags {
  query: string;
  file?: string;
  limit?: number;
  feedbackWeight?: number;
  narrativeWeight?: number;
}

/**
 * Registers `feedback <space>` (signals on results), `feedback reset <space>` and
 * `rerank <space> [doc...]`. As with `consolidate undo`, commander reads a first argument
 * `reset` (or `help`) as the subcommand, so a space of that name takes feedback over HTTP or the SDK.
 */
export function registerFeedback(program: Command, ctx: CliContext): void {
  const feedback = ctx
    .apiCommand(program, 'feedback', 'report results of a space as helpful, used or wrong, so that searches weighing feedback rank them up or down (docs/feedback.md)')
    .argument('<space>')
    .option('--helpful <id>', 'a result that helped (repeatable)', collect, [])
    .option('--used <id>', 'a result that was used (repeatable)', collect, [])
    .option('--wrong <id>', 'a result that was wrong (repeatable)', collect, [])
    .option('--query <text>', 'the query the results answered: with a helpful one, it moves the space\'s narrative')
    .option('--weight <w>', 'multiplies each signal, above 0 and up to 10 (default 1)', toNumber)
    .option('--document', 'the ids are documents ranked with `rerank`, not memories; ID=TEXT also gives a document\'s text, which a helpful one adds to the narrative')
    .action(async (space: string, o: FeedbackFlags) => {
      const result = await ctx.backend().feedback.feedback(space, feedbackInput(o));
      ctx.print(result, () => feedbackText(space, o, result));
    });
  ctx
    .apiCommand(feedback, 'reset <space>', 'forget what feedback taught a space: every reinforcement and the narrative')
    .action(async (space: string) => {
      const reset = await ctx.backend().feedback.resetFeedback(space);
      ctx.print(reset, () => resetText(space, reset));
    });
  ctx
    .apiCommand(program, 'rerank <space> [doc...]', 'order documents (not stored; each ID=TEXT) for a query by similarity and the space\'s feedback')
    .requiredOption('--query <text>', 'the query to order the documents for')
    .option('--file <file>', 'documents as JSON Lines, one {"id","text"} a line ("-" for stdin), after those given as arguments')
    .option('--limit <n>', 'most documents to print (default: all)', toInt)
    .option('--feedback-weight <w>', 'weight of the documents\' reinforcements, 0 to 1 (default: the space\'s feedback.rank, else 0.5)', toNumber)
    .option('--narrative-weight <w>', 'weight of the likeness to the space\'s narrative, 0 to 1 (default: the space\'s, else 0.5)', toNumber)
    .action(async (space: string, docs: string[], o: RerankFlags) => {
      const documents = [...docs.map((doc, i) => documentArgument(doc, `doc ${i + 1}`)), ...(o.file === undefined ? [] : await documentsOfFile(ctx, o.file))];
      if (documents.length === 0) throw new MemspaceError('VALIDATION_FAILED', 'give the documents to rerank, as ID=TEXT arguments or with --file', { issues: [{ path: 'documents', message: 'none given' }] });
      const rank = definedOnly({ feedback: o.feedbackWeight, narrative: o.narrativeWeight });
      const input: RerankInput = { query: o.query, documents, ...definedOnly({ limit: o.limit }), ...(Object.keys(rank).length > 0 && { rank }) };
      const result = await ctx.backend().feedback.rerank(space, input);
      ctx.print(result, () => rerankText(result, documents));
    });
}

/** The request of `feedback <space>`: the results in the order helpful, used, wrong. */
function feedbackInput(o: FeedbackFlags): FeedbackInput {
  const kind: 'document' | 'memory' = o.document === true ? 'document' : 'memory';
  const results = (['helpful', 'used', 'wrong'] as const).flatMap((signal) =>
    o[signal].map((given) => ({ signal, kind, ...(kind === 'document' && given.includes('=') ? documentArgument(given, `--${signal}`) : { id: given }) })),
  );
  if (results.length === 0) {
    throw new MemspaceError('VALIDATION_FAILED', 'give at least one result: --helpful ID, --used ID or --wrong ID', { issues: [{ path: 'results', message: 'none given' }] });
  }
  return { results, ...definedOnly({ query: o.query, weight: o.weight }) };
}

/** `ID=TEXT` as a document: the id is what comes before the first `=`. */
function documentArgument(text: string, what: string): { id: string; text: string } {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1) throw new MemspaceError('VALIDATION_FAILED', `${what} is not ID=TEXT: "${text.slice(0, 80)}"`, { issues: [{ path: what, message: 'ID=TEXT' }] });
  return { id: text.slice(0, at), text: text.slice(at + 1) };
}

/** The documents of a JSON Lines file (or stdin), blank lines skipped; the server checks their fields. */
async function documentsOfFile(ctx: CliContext, file: string): Promise<{ id: string; text: string }[]> {
  return withInputLines(file, ctx.io.stdin, async (lines) => {
    const documents: { id: string; text: string }[] = [];
    let number = 0;
    for await (const line of lines) {
      number++;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new MemspaceError('VALIDATION_FAILED', `${file} line ${number} is not JSON`, { issues: [{ path: `line ${number}`, message: 'not JSON' }] });
      }
      documents.push(value as { id: string; text: string });
    }
    return documents;
  });
}

/** A feedback call for people: the counts, each target's level now, and the narrative. */
function feedbackText(space: string, o: FeedbackFlags, r: FeedbackResult): string {
  const counts = (['helpful', 'used', 'wrong'] as const).flatMap((signal) => (o[signal].length > 0 ? [`${o[signal].length} ${signal}`] : []));
  const narrative = r.narrative === null ? 'unchanged' : `${r.narrative.updates} ${r.narrative.updates === 1 ? 'update' : 'updates'}, last ${r.narrative.updatedAt}`;
  const rows = r.pheromones.map((p) => [p.id, p.level.toFixed(3)]);
  return `feedback on ${space}: ${counts.join(', ')}\n` + table([o.document === true ? 'DOCUMENT' : 'MEMORY', 'LEVEL'], rows, 100) + `narrative: ${narrative}\n`;
}

function resetText(space: string, r: FeedbackReset): string {
  if (r.pheromones === 0 && !r.narrative) return `reset feedback on ${space}: there was none\n`;
  const reinforcements = `${r.pheromones} ${r.pheromones === 1 ? 'reinforcement' : 'reinforcements'}`;
  return `reset feedback on ${space}: deleted ${reinforcements}${r.narrative ? ' and the narrative' : ''}\n`;
}

/** A rerank for people: one row per document, best first, with the parts of its score, then the weights used. */
function rerankText(r: RerankResult, documents: readonly { id: string; text: string }[]): string {
  const rows = r.results.map((d, i) => [i + 1, d.score.toFixed(3), d.scores.similarity.toFixed(3), d.scores.feedback.toFixed(3), d.scores.narrative.toFixed(3), d.id, documents[d.index]?.text]);
  return table(['#', 'SCORE', 'SIMILARITY', 'FEEDBACK', 'NARRATIVE', 'ID', 'TEXT'], rows) + `weights: feedback ${r.weights.feedback}, narrative ${r.weights.narrative}\n`;
}
