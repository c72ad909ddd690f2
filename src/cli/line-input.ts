import { open, type FileHandle } from 'node:fs/promises';
import { createInterface, type Interface } from 'node:readline';
import type { Readable } from 'node:stream';
import { MemspaceError } from '../core/errors.js';
import type { Memspace } from '../memspace.js';
import type { CliContext } from './cli-context.js';

/**
 * Runs `read` over the lines of `file`, or of `stdin` when `file` is `-`, and closes them
 * after. A file that does not exist is reported as NOT_FOUND, like any other missing thing,
 * rather than as an INTERNAL error, and before `read` runs: against a server, an upload that
 * fails as it starts would leave the server waiting for a request that never completes.
 *
 * The input is read when `read` first asks for a line, not before: a line reader made at once
 * would read the input while the importer checks the space (round trips on PostgreSQL) and
 * drop the lines no one was iterating yet.
 */
export async function withInputLines<T>(file: string, stdin: Readable, read: (lines: AsyncIterable<string>) => Promise<T>): Promise<T> {
  let handle: FileHandle | undefined;
  try {
    handle = file === '-' ? undefined : await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new MemspaceError('NOT_FOUND', `file ${file} not found`, { file });
    throw error;
  }
  let reader: Interface | undefined;
  const lines = (async function* () {
    reader = createInterface({ input: handle === undefined ? stdin : handle.createReadStream({ autoClose: false }), crlfDelay: Infinity });
    yield* reader;
  })();
  try {
    return await read(lines);
  } finally {
    reader?.close();
    await handle?.close();
  }
}

/**
 * The whole of `stdin` as text, one trailing line break dropped (what `echo` and a here-document
 * add); nothing at all is a VALIDATION_FAILED, since a memory needs content.
 */
export async function stdinText(stdin: Readable): Promise<string> {
  // Decoded once at the end: a character split across two chunks would not survive chunk-wise decoding.
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (text === '') throw new MemspaceError('VALIDATION_FAILED', 'stdin is empty: TEXT - reads the content from stdin', { issues: [{ path: 'text', message: 'empty stdin' }] });
  return text;
}

/**
 * The action of a command `<space> <file>` that imports the lines of `file` into `space` on the
 * data directory: the memspace is opened first, then the file is read as {@link withInputLines} reads it.
 */
export function importAction(ctx: CliContext, run: (ms: Memspace, space: string, lines: AsyncIterable<string>) => Promise<void>): (space: string, file: string) => Promise<void> {
  return async (space, file) => {
    const ms = await ctx.open();
    await withInputLines(file, ctx.io.stdin, (lines) => run(ms, space, lines));
  };
}
