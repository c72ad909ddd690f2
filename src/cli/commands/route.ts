import type { Command } from 'commander';
import { definedOnly } from '../../core/defined.js';
import type { RouteAnswer } from '../../core/routing.js';
import type { CliContext } from '../cli-context.js';
import { table } from '../format.js';
import { collect, toInt } from '../options.js';

/** The flags of `route <text>`. */
interface RouteFlags {
  limit?: number;
  space: string[];
  prefix?: string;
}

/**
 * Registers `route <text>`: which spaces a text fits best (docs/routing.md), among those the
 * caller can read: every space for the holder of the data directory, the key's readable spaces
 * on a server (`--url`).
 */
export function registerRoute(program: Command, ctx: CliContext): void {
  ctx
    .apiCommand(program, 'route', 'suggest the spaces a text belongs in, best first, with each one\'s best-matching memory (docs/routing.md)')
    .argument('<text>', 'the text to place')
    .option('--limit <n>', 'most suggestions, 1 to 50 (default 5)', toInt)
    .option('--space <name>', 'weigh only this space (repeatable)', collect, [])
    .option('--prefix <prefix>', 'weigh only the spaces whose name starts with this')
    .action(async (text: string, o: RouteFlags) => {
      const options = { ...definedOnly({ limit: o.limit, prefix: o.prefix }), ...(o.space.length > 0 && { spaces: o.space }) };
      const answer = await ctx.backend().route(text, options);
      ctx.print(answer, () => routeText(answer));
    });
}

/** SPACE, SCORE and TOP (the best-matching memory) of each suggestion, best first. */
function routeText(answer: RouteAnswer): string {
  if (answer.results.length === 0) return 'no space holds anything to compare the text with\n';
  return table(
    ['SPACE', 'SCORE', 'TOP'],
    answer.results.map((r) => [r.space, r.score.toFixed(3), r.top?.content ?? '']),
  );
}
