import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/built-package.js';

/**
 * memspace installed by another project from its tarball (`npm run pack:tarball`), as
 * docs/install.md tells: the tarball carries dist/ and no lifecycle script of its own, so the
 * installing project allows the native addons' scripts by name and npm prints no warning.
 *
 * The install builds better-sqlite3-multiple-ciphers from source, as every install without a
 * downloadable prebuilt binary does: minutes on a busy machine. That part runs when
 * MEMSPACE_INSTALL_TEST=1 (.ci/run sets it); the packing checks always run.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const FULL = process.env['MEMSPACE_INSTALL_TEST'] === '1';

/** What the installing project writes in its package.json (docs/install.md says the same). */
const ALLOW_SCRIPTS = { 'better-sqlite3-multiple-ciphers': true, usearch: true, 'zstd-napi': true, protobufjs: false };

let work: string;
let tarball: string;

/** The environment npm children get: none of the `npm_*` of an `npm test` around this one. */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig', 'npm_config_globalconfig']);
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || keep.has(k.toLowerCase())));
}

function run(command: string, args: string[], cwd: string, timeout = 120_000): { stdout: string; stderr: string } {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: npmEnv(), timeout });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** `run` without blocking the event loop, for the long install. */
function runAsync(command: string, args: string[], cwd: string): Promise<{ status: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, env: npmEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', fail);
    child.on('close', (status) => done({ status, output }));
  });
}

/**
 * The consumer's lockfile: the tarball, and the workspace's own production tree at the same
 * paths (a dependency's tree hoists as the workspace's does). `npm ci` then asks the registry for
 * nothing: every tarball is in the cache since the workspace's `npm ci`, so it runs `--offline`.
 */
function consumerLock(spec: string, file: string): object {
  const rootLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { memspace: spec } },
    'node_modules/memspace': {
      version: manifest['version'],
      resolved: spec,
      integrity: `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`,
      ...Object.fromEntries(['dependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines'].map((k) => [k, manifest[k]])),
    },
  };
  for (const [path, entry] of Object.entries(rootLock.packages)) {
    if (path.startsWith('node_modules/') && entry['dev'] !== true && entry['link'] !== true) packages[path] = entry;
  }
  return { name: 'consumer', lockfileVersion: 3, requires: true, packages };
}

beforeAll(() => {
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'memspace-install-'));
  tarball = run(process.execPath, [join(ROOT, 'scripts/pack.js'), work, '--no-build'], ROOT).stdout.trim();
}, 300_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the memspace tarball', () => {
  it('holds the built package and no lifecycle script, so installing it runs none of its own', () => {
    const listing = run('tar', ['tzf', tarball], work).stdout.split('\n').filter(Boolean);
    for (const file of ['package/bin/memspace', 'package/dist/index.js', 'package/dist/cli/main.js', 'package/dist/client/index.js', 'package/proto/memspace/v1/memspace.proto', 'package/README.md']) {
      expect(listing).toContain(file);
    }
    expect(listing.filter((f) => /^package\/(src|test|bench|packages|examples|\.ci)\//.test(f))).toEqual([]);
    const manifest = JSON.parse(run('tar', ['xzf', tarball, '-O', 'package/package.json'], work).stdout) as Record<string, unknown>;
    expect(manifest).not.toHaveProperty('scripts');
    expect(manifest).not.toHaveProperty('devDependencies');
    expect(manifest['bin']).toEqual({ memspace: 'bin/memspace' });
  });
});

if (FULL) {
  describe('memspace installed from its tarball into another project', () => {
    let consumer: string;

    beforeAll(async () => {
      consumer = join(work, 'consumer');
      mkdirSync(consumer);
      const spec = `file:${tarball}`;
      writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { memspace: spec }, allowScripts: ALLOW_SCRIPTS }, null, 2));
      writeFileSync(join(consumer, 'package-lock.json'), JSON.stringify(consumerLock(spec, tarball)));
    });

    it('installs with the native addons built and no install-scripts warning', async () => {
      const started = performance.now();
      const install = await runAsync('npm', ['ci', '--offline', '--no-audit', '--no-fund'], consumer);
      console.log(`npm ci of the memspace tarball: ${((performance.now() - started) / 1000).toFixed(0)} s`);
      expect(install.status, install.output).toBe(0);
      expect(install.output).not.toMatch(/install-scripts|allowScripts/);
      // The addons were built here, from the cache's sources: none was copied from the workspace.
      expect(readdirSync(join(consumer, 'node_modules/better-sqlite3-multiple-ciphers/build/Release')).filter((f) => f.endsWith('.node'))).not.toEqual([]);
    }, 1_200_000);

    it('runs its CLI, its library and its client, from JavaScript and from TypeScript with tsx', () => {
      expect(run('npx', ['--offline', 'memspace', '--help'], consumer).stdout).toMatch(/Usage: memspace/);
      const dataDir = join(work, 'data');
      writeFileSync(
        join(consumer, 'use.ts'),
        `import { loadConfig, openMemspace, MemspaceError } from 'memspace';
import { MemspaceClient } from 'memspace/client';
const dataDir: string = process.argv[2]!;
const ms = await openMemspace(loadConfig({ dataDir }));
await ms.spaces.create({ name: 'app', embedder: 'none', dimension: 2 });
await ms.spaces.create({ name: 'other', embedder: 'none', dimension: 2 });
const added = await ms.memories.add('app', { content: 'kept apart', embedding: [1, 0] });
const elsewhere = await ms.memories.get('other', added.id).then(() => 'found', (e: unknown) => (e instanceof MemspaceError ? e.code : String(e)));
const bad = await ms.spaces.create({ name: '../x', embedder: 'none', dimension: 2 }).then(() => 'created', (e: unknown) => (e instanceof MemspaceError ? e.code : String(e)));
await ms.close();
console.log(JSON.stringify({ client: typeof MemspaceClient, content: added.content, elsewhere, bad }));
`,
      );
      const tsx = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
      const out = run(process.execPath, [tsx, 'use.ts', dataDir], consumer).stdout;
      expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ client: 'function', content: 'kept apart', elsewhere: 'NOT_FOUND', bad: 'INVALID_SPACE' });
    }, 120_000);
  });
}
