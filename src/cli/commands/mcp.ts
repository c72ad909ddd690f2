import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { isMemspaceError, MemspaceError } from '../../core/errors.js';
import { importMcpMemory, type McpMemoryImportSummary } from '../../mcp/mcp-memory-import.js';
import { serveStdio } from '../../mcp/stdio.js';
import { CLI_CALL, type CliContext } from '../cli-context.js';
import type { TextSink } from '../format.js';
import { importAction } from '../line-input.js';

/** Registers `mcp` (a space served over stdio) and `import-mcp-memory` (the reference memory server's graph file). */
export function registerMcp(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  ctx
    .command(program, 'mcp', 'serve one space to an MCP client over stdio (memory and knowledge-graph tools); stdout carries only the protocol')
    .option('--space <name>', 'the space to serve, created with the defaults of new spaces when missing (default: $MEMSPACE_SPACE, else default)')
    .option('--no-create', 'refuse a missing space instead of creating it (SPACE_NOT_FOUND, exit 1)')
    .action(async (o: { space?: string; create: boolean }) => {
      const ms = await ctx.open();
      const space = o.space ?? ms.config.space;
      const server = await serveStdio(ms, {
        space,
        create: o.create,
        stdin: io.stdin,
        stdout: io.stdout instanceof Writable ? io.stdout : textWritable(io.stdout),
        log: (line) => io.stderr.write(line),
      }).catch((error: unknown) => {
        throw isMemspaceError(error, 'SPACE_NOT_FOUND') && !o.create ? notCreated(error, space) : error;
      });
      // One line, so an MCP client's log shows why a new space appeared (a typo in --space, say).
      if (server.created) io.stderr.write(`memspace mcp: created space "${server.space}"\n`);
      io.stderr.write(`memspace MCP server on stdio, space ${server.space}\n`);
      const stop = (): void => void server.close();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      try {
        await server.closed;
      } finally {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
      }
    });
  ctx
    .command(program, 'import-mcp-memory <space>', "import the reference MCP memory server's graph file (memory.jsonl) into a space (created if missing); running it again changes nothing")
    .argument('<file>', 'a file, or - for stdin')
    .action(
      importAction(ctx, async (ms, space, lines) => {
        const r = await importMcpMemory(ms, space, lines, CLI_CALL);
        ctx.print(r, () => importLine(r));
      }),
    );
}

function importLine(r: McpMemoryImportSummary): string {
  return (
    `imported into ${r.space}${r.createdSpace ? ' (created)' : ''}: ` +
    `${r.entities.created} entities (${r.entities.updated} existing ones gained observations, ${r.entities.unchanged} already present), ` +
    `${r.relations.created} relations (${r.relations.unchanged} already present)\n`
  );
}

/** The refusal of a missing space under `--no-create`, saying what was asked and how to go on. */
function notCreated(error: MemspaceError, space: string | undefined): MemspaceError {
  const name = space ?? 'default';
  return new MemspaceError(
    'SPACE_NOT_FOUND',
    `space "${name}" not found, and --no-create was given: create it with \`memspace spaces create ${name}\`, or run \`memspace mcp\` without --no-create`,
    { ...error.details, space: name },
  );
}

/** A stream over a text sink (tests hand the CLI plain objects), for code that needs a real Writable. */
function textWritable(sink: TextSink): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      sink.write(chunk.toString('utf8'));
      done();
    },
  });
}
