import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { resolve } from 'node:path';
import { runCli } from '../../src/cli/program.js';

/** What a CLI run printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process against `dataDir`, capturing its output; `env` is all the environment it sees. */
export async function cli(dataDir: string, args: string[], stdin = '', env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['--data-dir', dataDir, ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from([stdin]),
    env,
  });
  return { code, stdout, stderr };
}

const ROOT = resolve(import.meta.dirname, '../..');

/** Runs the real `memspace` entry point in a child process, as a user's shell would. */
export function cliProcess(dataDir: string, args: string[]): CliResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--data-dir', dataDir, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, MEMSPACE_DATA_DIR: '' },
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
