import type { Command } from 'commander';
import { definedOnly } from '../../core/defined.js';
import type { JobProgress, MergeReport, MoveGroup, SplitReport } from '../../core/space-moves-api.js';
import type { CliContext } from '../cli-context.js';
import { table } from '../format.js';

/**
 * Registers `spaces split SOURCE --by-tag 'dataset:*' | --by-metadata FIELD [--strip-prefix]
 * [--dry-run]` and `spaces merge A B... --into C [--dry-run]` (docs/split-merge.md), on the data
 * directory or a server. They wait for the end, printing a line as memories leave their source
 * (on a server, as its job says at each look); stopped half-way, the same command finishes the work.
 */
export function splitCommands(spaces: Command, ctx: CliContext): void {
  ctx
    .apiCommand(spaces, 'split <source>', 'move the memories of each tag or metadata value into a space of its own (resumable)')
    .option('--by-tag <pattern>', "group by the tag matching a pattern, e.g. 'dataset:*'")
    .option('--by-metadata <field>', 'group by the value of a top-level metadata field')
    .option('--strip-prefix', "name each space after the tag without the pattern's prefix (dataset:worca → worca)")
    .option('--dry-run', 'print the plan, change nothing')
    .action(async (source: string, o: { byTag?: string; byMetadata?: string; stripPrefix?: boolean; dryRun?: boolean }) => {
      const input = { ...definedOnly({ byTag: o.byTag, byMetadata: o.byMetadata }), stripPrefix: o.stripPrefix === true, dryRun: o.dryRun === true };
      const report = await ctx.backend().spaces.split(source, input, progressLines(ctx));
      ctx.print(report, () => splitText(report));
    });
  ctx
    .apiCommand(spaces, 'merge <spaces...>', 'move every memory of these spaces into one (resumable)')
    .requiredOption('--into <space>', 'the space to merge into (created with the settings of the first when missing)')
    .option('--dry-run', 'print the plan, change nothing')
    .action(async (from: string[], o: { into: string; dryRun?: boolean }) => {
      const report = await ctx.backend().spaces.merge({ from, into: o.into, dryRun: o.dryRun === true }, progressLines(ctx));
      ctx.print(report, () => mergeText(report));
    });
}

/** A line each time memories left their source, unless the output is JSON. */
function progressLines(ctx: CliContext): (p: JobProgress) => void {
  let shown = 0;
  return (p) => {
    if (ctx.globals().json === true || p.done === shown) return;
    shown = p.done;
    ctx.io.stdout.write(`moved ${p.done}/${p.total} memories\n`);
  };
}

const n = (count: number, one: string, many = `${one}s`): string => `${count} ${count === 1 ? one : many}`;

function groupsTable(groups: readonly MoveGroup[], dryRun: boolean, first: string): string {
  if (groups.length === 0) return '';
  const rows = groups.map((g) => [g.value, g.to, dryRun ? (g.exists ? 'yes' : 'no (created)') : g.copied, g.memories, g.relations, dryRun ? '' : (g.checksum ?? '').slice(0, 16)]);
  return table([first, 'SPACE', dryRun ? 'EXISTS' : 'COPIED', 'MEMORIES', 'RELATIONS', dryRun ? '' : 'SHA-256'], rows, 64);
}

function splitText(r: SplitReport): string {
  const head = `${r.dryRun ? 'dry run: would split' : 'split'} ${r.source} into ${n(r.groups.length, 'space')}; ${n(r.ungrouped, 'memory', 'memories')} ${r.dryRun ? 'would stay' : r.ungrouped === 1 ? 'stays' : 'stay'} in ${r.source}\n`;
  const dropped = r.droppedRelations.sample.map((d) => `dropped relation ${d.id} (${d.type}): ${d.fromSpace} → ${d.toSpace}\n`).join('');
  const more = r.droppedRelations.count > r.droppedRelations.sample.length ? `... and ${r.droppedRelations.count - r.droppedRelations.sample.length} more dropped relations\n` : '';
  const ambiguous = r.ambiguous.count === 0 ? '' : `${n(r.ambiguous.count, 'memory', 'memories')} with several matching tags (a split refuses them): ${r.ambiguous.sample.map((a) => `${a.id} (${a.groups.join(', ')})`).join('; ')}\n`;
  return head + groupsTable(r.groups, r.dryRun, 'GROUP') + dropped + more + ambiguous;
}

function mergeText(r: MergeReport): string {
  const total = r.groups.reduce((s, g) => s + g.memories, 0);
  const head = `${r.dryRun ? 'dry run: would merge' : 'merged'} ${r.groups.map((g) => g.from).join(', ')} into ${r.into}: ${n(total, 'memory', 'memories')}\n`;
  return head + groupsTable(r.groups, r.dryRun, 'FROM');
}
