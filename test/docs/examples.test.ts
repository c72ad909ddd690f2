/**
 * Every TypeScript snippet of the documentation is a file under examples/, shown verbatim in a
 * document and run here twice, to prove that a reader can run it and run it again:
 *
 * - `<!-- example: examples/x.ts -->` right before a code block: the block must be the file's
 *   text, exactly. A ```ts block without such a marker fails the check below.
 * - `<!-- output: examples/x.ts -->` right before a ```text block: what the example prints, on
 *   its first run and on its second. Masking and `...` elisions are those of the console blocks
 *   (test/docs/console-blocks.test.ts).
 * - Examples run with `node --import tsx`, from a fresh directory of their own (where
 *   `./memspace-data` is created), and import the package by its name (`memspace`,
 *   `memspace/client`, `memspace/langgraph`): Node resolves a package's own name from inside it,
 *   to `dist/`, which is rebuilt first when src/ is newer.
 * - An example that reads MEMSPACE_URL (HTTP) or MEMSPACE_GRPC (gRPC, `host:port`) talks to a
 *   server: the test starts one (`memspace serve`) with the space `acme.support` and a key that
 *   may write it, its default space (MEMSPACE_KEY), as docs/sdk.md and docs/mem0.md tell the
 *   reader to create them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/built-package.js';
import { comparableLines, documentFiles, exampleMarkers, outputMatches, readRepoFile, REPO_ROOT, type ExampleOutput, type ExampleShown } from '../support/doc-blocks.js';
import { freePort } from '../support/shell-session.js';

const TSX = join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs');
const MEMSPACE = join(REPO_ROOT, 'bin/memspace');
const ROOT_KEY = 'msk_examples_test_root_key_0123456789';

/** Whether an example talks to the server the test starts. */
const talksToServer = (example: string): boolean => /MEMSPACE_(URL|GRPC)\b/.test(readRepoFile(example));

const examples = readdirSync(join(REPO_ROOT, 'examples'))
  .filter((name) => name.endsWith('.ts'))
  .sort()
  .map((name) => `examples/${name}`);
const shown: ExampleShown[] = [];
const outputs: ExampleOutput[] = [];
const unmarked: string[] = [];
for (const file of documentFiles()) {
  const found = exampleMarkers(readRepoFile(file), file);
  shown.push(...found.shown);
  outputs.push(...found.outputs);
  unmarked.push(...found.unmarkedTypeScript.map((line) => `${file}:${line}`));
}

/** A clean environment for a child: the user's PATH and HOME, nothing of vitest's; one model worker (the same vectors, half the CPU). */
function childEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? tmpdir(), MEM0_TELEMETRY: 'false', MEMSPACE_EMBED_POOL_SIZE: '1', ...extra };
}

describe('the documentation shows every example as it is', () => {
  it('has examples, each shown in a document with its output', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
    for (const example of examples) {
      expect(shown.map((s) => s.example), `${example} is shown in no document`).toContain(example);
      expect(outputs.map((o) => o.example), `${example} has no <!-- output: ${example} --> block`).toContain(example);
    }
  });

  it('shows each example verbatim', () => {
    for (const s of shown) {
      expect(existsSync(join(REPO_ROOT, s.example)), `${s.file}:${s.line} names ${s.example}, which does not exist`).toBe(true);
      expect(s.body, `${s.file}:${s.line} differs from ${s.example}`).toBe(readRepoFile(s.example));
    }
  });

  it('has no TypeScript block outside examples/', () => {
    expect(unmarked, 'TypeScript blocks without <!-- example: examples/….ts -->').toEqual([]);
  });
});

describe('every example runs twice and prints what its document shows', () => {
  let root: string;
  let server: ChildProcess | undefined;
  let serverUrl = '';
  let grpcAddress = '';
  let key = '';

  beforeAll(async () => {
    ensureBuilt();
    root = mkdtempSync(join(tmpdir(), 'memspace-examples-'));
    if (examples.some(talksToServer)) {
      const dataDir = join(root, 'server-data');
      const grpcPort = await freePort();
      grpcAddress = `127.0.0.1:${grpcPort}`;
      server = spawn(MEMSPACE, ['--data-dir', dataDir, 'serve', '--port', '0', '--grpc-port', String(grpcPort)], {
        env: childEnv({ MEMSPACE_ROOT_KEY: ROOT_KEY }),
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      serverUrl = await new Promise<string>((resolve, reject) => {
        let said = '';
        server!.stderr!.setEncoding('utf8');
        server!.stderr!.on('data', (chunk: string) => {
          said += chunk;
          const url = /listening on (http:\/\/\S+)/.exec(said)?.[1];
          if (url) resolve(url);
        });
        server!.once('exit', (code) => reject(new Error(`memspace serve exited (${code}):\n${said}`)));
      });
      // As docs/mem0.md and docs/sdk.md have the reader do it.
      const cli = (...args: string[]): string => {
        const r = spawnSync(MEMSPACE, ['--data-dir', dataDir, ...args], { env: childEnv({}), encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`memspace ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      cli('spaces', 'create', 'acme.support');
      key = cli('keys', 'create', 'support-bot', '--grant', 'acme.support:write', '--default-space', 'acme.support').split('\n')[0]!;
    }
  });

  afterAll(async () => {
    if (server !== undefined && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  for (const example of examples) {
    it(example, { timeout: 240_000 }, async () => {
      const cwd = mkdtempSync(join(root, 'run-'));
      const env = childEnv(talksToServer(example) ? { MEMSPACE_URL: serverUrl, MEMSPACE_GRPC: grpcAddress, MEMSPACE_KEY: key } : {});
      const expected = comparableLines(outputs.find((o) => o.example === example)?.lines ?? []);
      for (const run of ['first', 'second']) {
        const r = spawnSync(process.execPath, ['--import', TSX, join(REPO_ROOT, example)], { cwd, env, encoding: 'utf8', timeout: 180_000 });
        expect(r.status, `${example}, ${run} run, failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
        const actual = comparableLines(r.stdout);
        if (!outputMatches(expected, actual)) {
          expect(actual.join('\n'), `${example}, ${run} run: output differs from its document`).toBe(expected.join('\n'));
        }
      }
      expect(readFileSync(join(REPO_ROOT, example), 'utf8')).not.toMatch(/\.\.\/(src|dist)\//); // imported by package name
    });
  }
});
