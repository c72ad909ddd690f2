import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { runStatus } from '../status.js';

/** Registers `status`: every space's health, from a running server or the data directory. */
export function registerStatus(program: Command, ctx: CliContext): void {
  ctx
    .command(program, 'status', 'a table of spaces with their health figures, from a running server (--url) or straight from the data directory (opens no space)')
    .option('--space <name>', 'only this space, and its consolidation figures')
    .option('--url <url>', 'a running memspace server, e.g. http://127.0.0.1:7420')
    .option('--key <key>', 'API key for --url')
    .action(async (o: { space?: string; url?: string; key?: string }) => {
      // Also read from the program, should --url and --key become global options.
      const remote = program.opts<{ url?: string; key?: string }>();
      await runStatus({ space: o.space, url: o.url ?? remote.url, key: o.key ?? remote.key, json: ctx.globals().json === true }, ctx.io.stdout, ctx.open);
    });
}
