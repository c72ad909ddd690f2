import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../support/run-cli.js';
import { tempDir, tempMemspace } from '../support/temp-memspace.js';

/**
 * What `memspace serve` prints: one line over a data directory that has keys already, one line
 * when it stops, and logs on stdout as JSON lines for collectors or as lines for people (on a
 * terminal, or when asked), never two entries on one line.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const children = new Set<ChildProcess>();
const dirs: string[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** A `memspace serve` child whose stdout and stderr are kept whole. */
interface Served {
  child: ChildProcess;
  url: string;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

/** Spawns `command` (argv) and waits until the output says where it listens. */
async function spawnServe(command: string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = spawn(command[0]!, command.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MEMSPACE_LOG_FORMAT: '', ...env } });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const url = await new Promise<string>((done, fail) => {
    const look = (): void => {
      const m = /listening on (http:\/\/\S+) /.exec(out + err);
      if (m) done(m[1]!);
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    void exited.then((code) => fail(new Error(`serve exited early (${code}): ${err}${out}`)));
  });
  return { child, url, out: () => out, err: () => err, exited };
}

const serveArgs = (dataDir: string, extra: string[] = []): string[] => [process.execPath, '--import', 'tsx', 'src/cli/main.ts', '--data-dir', dataDir, 'serve', '--port', '0', '--grpc-port', '0', ...extra];

/** Waits until `text()` matches `pattern` (the child writes on its own schedule). */
async function eventually(text: () => string, pattern: RegExp): Promise<void> {
  for (let i = 0; i < 200 && !pattern.test(text()); i++) await new Promise((r) => setTimeout(r, 50));
  expect(text()).toMatch(pattern);
}

describe('memspace serve: its lines', () => {
  it('logs JSON lines off a terminal, one entry per line under concurrent requests, and prints one line when it stops', async () => {
    const dataDir = tempDir('memspace-serve-lines-');
    dirs.push(dataDir);
    const s = await spawnServe(serveArgs(dataDir));
    expect(s.err()).toMatch(/root key, shown this once/);
    expect(s.err()).not.toContain('API keys exist already');
    await Promise.all(Array.from({ length: 40 }, (_, i) => fetch(`${s.url}/v1/health`, { headers: { 'x-request-id': `req-${i}` } })));
    await eventually(s.out, /"reqId":"req-39"/);
    const lines = s.out().trimEnd().split('\n');
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    const requests = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e['msg'] === 'request');
    expect(requests).toHaveLength(40);
    expect(requests[0]).toMatchObject({ level: 30, method: 'GET', route: '/v1/health', status: 200 });
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.err()).toMatch(/\nmemspace: stopped \(SIGTERM\)\n$/);
  });

  it('over keys made before says so in one line with how to make a key, and logs for people with --log-format human', async () => {
    const dataDir = tempDir('memspace-serve-lines-');
    dirs.push(dataDir);
    const ms = await tempMemspace({ dataDir });
    await ms.keys.ensureRootKey();
    await ms.close();
    // The flag wins over the environment.
    const s = await spawnServe(serveArgs(dataDir, ['--log-format', 'human']), { MEMSPACE_LOG_FORMAT: 'json', MEMSPACE_ROOT_KEY: 'a-root-key-of-24-characters-at-least' });
    const notices = s.err().split('\n').filter((l) => l.includes('API keys exist already'));
    expect(notices).toEqual([
      "memspace: API keys exist already (the root key was shown on the first start only; MEMSPACE_ROOT_KEY is ignored); make another admin key with: memspace keys create NAME --grant '*:admin'",
    ]);
    expect(s.err()).not.toContain('root key, shown this once');
    await fetch(`${s.url}/v1/health`, { headers: { 'x-request-id': 'human-1' } });
    await fetch(`${s.url}/v1/spaces`);
    await eventually(s.out, /reqId=human-1\n/);
    await eventually(s.out, /GET \/v1\/spaces 401/);
    expect(s.out()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}request GET \/v1\/health 200 [\d.]+ms reqId=human-1$/m);
    expect(s.out()).not.toMatch(/^\{/m);
    s.child.kill('SIGINT');
    expect(await s.exited).toBe(0);
    expect(s.err()).toMatch(/\nmemspace: stopped \(SIGINT\)\n$/);
  });

  it('logs for people on a terminal by default (a pseudo-terminal made by script(1))', async () => {
    const dataDir = tempDir('memspace-serve-lines-');
    dirs.push(dataDir);
    // `exec`, so that the server is script's own child and goes when script is told to.
    const command = `exec ${serveArgs(dataDir).map((a) => `'${a}'`).join(' ')}`;
    const s = await spawnServe(['script', '-qec', command, '/dev/null']);
    await fetch(`${s.url}/v1/health`, { headers: { 'x-request-id': 'tty-1' } });
    await eventually(s.out, /reqId=tty-1/);
    expect(s.out()).toMatch(/Z INFO {2}request GET \/v1\/health 200 [\d.]+ms reqId=tty-1\r?\n/);
    expect(s.out()).not.toContain('"msg":"request"');
    s.child.kill('SIGTERM');
    await s.exited;
  });

  it('refuses a log format it does not know', async () => {
    const dataDir = tempDir('memspace-serve-lines-');
    dirs.push(dataDir);
    const r = await cli(dataDir, ['serve', '--log-format', 'xml']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--log-format.*xml.*human, json/);
    const env = await cli(dataDir, ['serve', '--port', '0'], '', { MEMSPACE_LOG_FORMAT: 'xml' });
    expect([env.code, env.stderr]).toEqual([1, expect.stringMatching(/^error: VALIDATION_FAILED: .*logFormat/)]);
  });
});
