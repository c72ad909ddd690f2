import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import type { ImportSummary } from '../../core/views.js';
import type { CliContext } from '../cli-context.js';
import { progressBar } from '../format.js';
import { withInputLines } from '../line-input.js';

/** Registers `export` and `import`: a space as JSON Lines and back, embeddings included. */
export function registerTransfer(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  ctx
    .apiCommand(program, 'export <space> [file]', 'export a space as JSON Lines, embeddings included (to FILE or stdout)')
    .action(async (space: string, file: string | undefined) => {
      const backend = ctx.backend();
      const out = file === undefined || file === '-' ? undefined : createWriteStream(file, { flags: 'w' });
      const bar = progressBar(io.stderr, `export ${space}`);
      let count = 0;
      for await (const line of backend.transfer.exportSpace(space, (done, total) => bar.update(done, total))) {
        const text = `${JSON.stringify(line)}\n`;
        if (out === undefined) io.stdout.write(text);
        else if (!out.write(text)) await once(out, 'drain');
        if (line.type === 'memory') count += 1;
      }
      bar.done();
      // On stdout the export is the output: a summary there would corrupt it.
      if (out !== undefined) {
        out.end();
        await once(out, 'finish');
        ctx.print({ space, memories: count, file }, () => `exported ${count} memories of ${space} to ${file}\n`);
      }
    });
  ctx
    .apiCommand(program, 'import <space>', 'import a JSON Lines export into a space (created if missing); existing ids are skipped')
    .argument('<file>', 'a file, or - for stdin')
    .action(async (space: string, file: string) => {
      const backend = ctx.backend();
      const summary = await withInputLines(file, io.stdin, async (lines) => {
        const bar = progressBar(io.stderr, `import ${space}`);
        const done = await backend.transfer.importSpace(space, lines, (n, total) => bar.update(n, total));
        bar.done();
        return done;
      });
      ctx.print(summary, () => importLine(space, summary));
    });
}

function importLine(space: string, summary: ImportSummary): string {
  return (
    `${summary.mode === 'restore' ? 'restored' : 'merged'} into ${space}: ` +
    (['memories', 'relations', 'contexts', 'history', 'audit'] as const)
      .map((part) => `${summary[part].imported} ${part}${summary[part].skipped > 0 ? ` (${summary[part].skipped} skipped)` : ''}`)
      .join(', ') +
    '\n'
  );
}
