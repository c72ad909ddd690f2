/**
 * `memspace import` into the PostgreSQL backend: the importer checks the space in database round
 * trips before it reads its first line, and the lines read meanwhile must not be lost (a reader
 * opened at once dropped them, and the import then saw a file shorter than it was).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { cli } from '../support/run-cli.js';
import { startPglite } from '../support/pglite.js';
import { axisVector, tempDir } from '../support/temp-memspace.js';

let pg: Awaited<ReturnType<typeof startPglite>>;
const dir = tempDir();

beforeAll(async () => {
  pg = await startPglite();
});
afterAll(async () => {
  await pg.stop();
});

/** The CLI on the PostgreSQL backend, reading `file`; its JSON output. */
async function importIntoPostgres(space: string, file: string): Promise<unknown> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['--json', 'import', space, file], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from(['']),
    env: { MEMSPACE_BACKEND: 'postgres', MEMSPACE_PG_URL: pg.url },
  });
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout);
}

it('imports every line of an export into PostgreSQL, and merges on a second run', async () => {
  await cli(dir, ['spaces', 'create', 'src', '--embedder', 'none', '--dimension', '8']);
  for (let i = 0; i < 40; i++) await cli(dir, ['add', 'src', `memory ${i}`, '--embedding', JSON.stringify(axisVector(8, i % 8))]);
  const file = join(dir, 'src.jsonl');
  expect((await cli(dir, ['export', 'src', file])).code).toBe(0);
  const memories = readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"type":"memory"')).length;
  expect(memories).toBe(40);

  expect(await importIntoPostgres('copy', file)).toMatchObject({ mode: 'restore', memories: { imported: 40, skipped: 0 }, history: { imported: 40 } });
  expect(await importIntoPostgres('copy', file)).toMatchObject({ mode: 'merge', memories: { imported: 0, skipped: 40 } });
}, 120_000);
