import { Option, type Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { table } from '../format.js';
import { definedOnly } from '../../core/defined.js';
import { toNumber } from '../options.js';

/** Registers `relate`, `relations` and `unrelate`: the typed edges between memories of a space. */
export function registerRelations(program: Command, ctx: CliContext): void {
  ctx
    .apiCommand(program, 'relate <space> <from> <to> <type>', 'add a typed, directed relation between two memories of a space')
    .option('--weight <x>', 'edge weight', toNumber)
    .action(async (space: string, from: string, to: string, type: string, o: { weight?: number }) => {
      const r = await ctx.backend().memories.relate(space, { from, to, type, ...definedOnly({ weight: o.weight }) });
      ctx.print(r, () => `${r.id}\n`);
    });
  ctx
    .apiCommand(program, 'relations <space> <id>', "a memory's relations")
    .addOption(new Option('--direction <d>').choices(['out', 'in', 'both']).default('both'))
    .option('--type <type>')
    .action(async (space: string, id: string, o: { direction: string; type?: string }) => {
      const rels = await ctx.backend().memories.relations(space, id, { direction: o.direction as 'both', ...definedOnly({ type: o.type }) });
      ctx.print(rels, () => table(['ID', 'FROM', 'TYPE', 'TO', 'WEIGHT'], rels.map((r) => [r.id, r.from, r.type, r.to, r.weight])));
    });
  ctx
    .apiCommand(program, 'unrelate <space> <relation-id>', 'delete a relation')
    .action(async (space: string, relationId: string) => {
      await ctx.backend().memories.unrelate(space, relationId);
      ctx.print({ deleted: relationId }, () => `deleted relation ${relationId}\n`);
    });
}
