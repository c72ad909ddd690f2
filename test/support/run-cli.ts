import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { resolve } from 'node:path';
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import type { Grant } from '../../src/core/grants.js';
import { LOCAL_PRINCIPAL } from '../../src/engine/access-guard.js';
import type { MemspaceEngine } from '../../src/memspace.js';
import { buildApp } from '../../src/server/app.js';
import { tempDir, tempMemspace } from './temp-memspace.js';

/** What a CLI run printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process against `dataDir`, capturing its output; `env` is all the environment it sees. */
export async function cli(dataDir: string, args: string[], stdin = '', env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return cliRaw(['--data-dir', dataDir, ...args], stdin, env);
}

/** Runs the CLI in this process with exactly `argv` (no `--data-dir` added), capturing its output. */
export async function cliRaw(argv: string[], stdin = '', env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
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

/** Where a parametrised CLI test runs its commands: a data directory, or a server over HTTP (`--url`). */
export type CliTargetKind = 'data-dir' | 'url';

/** One target of {@link describeCliTarget}, fresh for each test. */
export interface CliTarget {
  readonly kind: CliTargetKind;
  /** The data directory: the CLI's own, or the one the server serves. */
  readonly dir: string;
  /** The server's URL and root key (`url` target only). */
  readonly url: string | undefined;
  readonly rootKey: string | undefined;
  /** The engine the server runs on (`url` target only), e.g. to make scoped keys. */
  readonly engine: MemspaceEngine | undefined;
  /** Runs the CLI on this target: `--data-dir DIR`, or `--url URL --key ROOT`. */
  run(args: string[], stdin?: string, env?: NodeJS.ProcessEnv): Promise<CliResult>;
  /** Runs the CLI against the server with `key` instead of the root key (`url` target only). */
  runAs(key: string, args: string[]): Promise<CliResult>;
  /** A new key of the server holding `grants` only (`url` target only), for isolation cases. */
  keyFor(grants: Grant[]): Promise<string>;
}

/**
 * Declares the tests of `body` once per kind of target, so that the same cases run on a data
 * directory and against a listening server (`buildApp` on 127.0.0.1:0, a root key). Each test
 * gets a fresh directory (and server): no test depends on what another left behind.
 */
export function describeCliTarget(kinds: readonly CliTargetKind[], name: string, body: (target: CliTarget) => void): void {
  for (const kind of kinds) {
    describe(`${name} (${kind})`, () => {
      let current: { dir: string; url?: string; rootKey?: string; engine?: MemspaceEngine; close(): Promise<void> } | undefined;
      beforeEach(async () => {
        const dir = tempDir('memspace-cli-');
        if (kind === 'data-dir') {
          current = { dir, close: async () => rmSync(dir, { recursive: true, force: true }) };
          return;
        }
        const engine = await tempMemspace({ dataDir: dir });
        const rootKey = (await engine.keys.ensureRootKey())!;
        const app = await buildApp({ memspace: engine, metrics: { processMetrics: false } });
        const url = await app.listen({ host: '127.0.0.1', port: 0 });
        current = {
          dir,
          url,
          rootKey,
          engine,
          async close() {
            await app.close();
            await engine.cleanup();
          },
        };
      });
      afterEach(async () => {
        await current?.close();
        current = undefined;
      });
      const target: CliTarget = {
        kind,
        get dir() {
          return current!.dir;
        },
        get url() {
          return current?.url;
        },
        get rootKey() {
          return current?.rootKey;
        },
        get engine() {
          return current?.engine;
        },
        run: (args, stdin = '', env = {}) =>
          kind === 'data-dir' ? cli(current!.dir, args, stdin, env) : cliRaw(['--url', current!.url!, '--key', current!.rootKey!, ...args], stdin, env),
        runAs: (key, args) => cliRaw(['--url', current!.url!, '--key', key, ...args]),
        keyFor: async (grants) => (await current!.engine!.keys.create({ name: 'scoped', grants }, { principal: LOCAL_PRINCIPAL })).key,
      };
      body(target);
    });
  }
}
