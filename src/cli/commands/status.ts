import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { runStatus } from '../status.js';

/** Registers `status`: every space's health, from a running server or the data directory. */
export function registerStatus(program: Command, ctx: CliContext): void {
  ctx
    .apiCommand(program, 'status', 'a table of spaces with their health figures, from a running server (--url) or straight from the data directory (opens no space)')
    .option('--space <name>', 'only this space, and its consolidation figures')
    .action(async (o: { space?: string }) => {
      // --url and --key are the global options: `memspace status --url U` still reads as it always did.
      await runStatus({ space: o.space, json: ctx.globals().json === true }, ctx.io.stdout, () => ctx.backend().status());
    });
}
