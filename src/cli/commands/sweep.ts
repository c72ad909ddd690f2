import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { progressBar } from '../format.js';

/** Registers `sweep`: hard-deletes what is expired, past retention or under the decay floor, now rather than on the server's timer. */
export function registerSweep(program: Command, ctx: CliContext): void {
  ctx
    .apiCommand(program, 'sweep', "hard-delete expired memories, those past their space's retention and those under its decay floor, in every space or one")
    .option('--space <name>', 'only this space')
    .action(async (o: { space?: string }) => {
      const backend = ctx.backend();
      if (o.space !== undefined) {
        const deleted = await backend.sweep.space(o.space);
        ctx.print({ spaces: 1, deleted, failed: [] }, () => `swept ${o.space}: ${deleted} memories deleted\n`);
        return;
      }
      const bar = progressBar(ctx.io.stderr, 'sweep');
      const report = await backend.sweep.all((r) => bar.update(r.spaces, null));
      bar.done();
      ctx.print(report, () =>
        `swept ${report.spaces} spaces: ${report.deleted} memories deleted` +
        (report.failed.length > 0 ? `; not swept: ${report.failed.map((f) => `${f.space} (${f.code})`).join(', ')}` : '') +
        '\n',
      );
    });
}
