import { createReadStream } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import type { Readable } from 'node:stream';
import { MemspaceError } from '../core/errors.js';
import type { Memspace } from '../memspace.js';
import type { CliContext } from './cli-context.js';

/**
 * Runs `read` over the lines of `file`, or of `stdin` when `file` is `-`, and closes them
 * after. A file that does not exist is reported as NOT_FOUND, like any other missing thing,
 * rather than as an INTERNAL error.
 *
 * The input is opened when `read` first asks for a line, not before: a line reader made at once
 * would read the input while the importer checks the space (round trips on PostgreSQL) and
 * drop the lines no one was iterating yet.
 */
export async function withInputLines<T>(file: string, stdin: Readable, read: (lines: AsyncIterable<string>) => Promise<T>): Promise<T> {
  let reader: Interface | undefined;
  const lines = (async function* () {
    reader = createInterface({ input: file === '-' ? stdin : createReadStream(file), crlfDelay: Infinity });
    yield* reader;
  })();
  try {
    return await read(lines);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new MemspaceError('NOT_FOUND', `file ${file} not found`, { file });
    throw error;
  } finally {
    reader?.close();
  }
}

/**
 * The action of a command `<space> <file>` that imports the lines of `file` into `space`:
 * the memspace is opened first, then the file is read as {@link withInputLines} reads it.
 */
export function importAction(ctx: CliContext, run: (ms: Memspace, space: string, lines: AsyncIterable<string>) => Promise<void>): (space: string, file: string) => Promise<void> {
  return async (space, file) => {
    const ms = await ctx.open();
    await withInputLines(file, ctx.io.stdin, (lines) => run(ms, space, lines));
  };
}
