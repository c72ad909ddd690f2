import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGrpcServer, type MemspaceGrpcServer } from '../../src/grpc/grpc-server.js';
import { buildApp } from '../../src/server/app.js';
import { tempMemspace } from '../support/temp-memspace.js';

/**
 * `@memspace/client` (packages/client), the SDK installable alone: packed, installed into a
 * project of its own with npm and no network, then used from plain JavaScript against a
 * listening server. What it must not bring along is checked on the installed tree.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const NAME = '@memspace/client';

let work: string;
let consumer: string;
let packed: { filename: string; files: { path: string }[] };
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let baseUrl: string;
let grpcServer: MemspaceGrpcServer;
let grpcAddress: string;
let root: string;

/**
 * The environment npm children get: this test may itself run under `npm test`, whose `npm_*`
 * variables (the workspace root's prefix, package and lifecycle) would leak into the consumer's
 * install. The cache and registry settings stay: the install reads the cache.
 */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig', 'npm_config_globalconfig']);
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || keep.has(k.toLowerCase())));
}

function run(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: npmEnv(), timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return `${r.stdout}${r.stderr}`;
}

/**
 * Runs a script of the consumer's with Node, without blocking this process's event loop: the
 * server it calls answers from here.
 */
function node(args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

/** Every file under `dir`, relative to it. */
function walk(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/**
 * A lockfile for the consumer naming the tarball and the very zod the workspace locks: `npm ci`
 * then needs no registry metadata, only tarballs the workspace's own `npm ci` put in the cache,
 * so the install runs `--offline` (a bare `npm install` would ask the registry for zod's versions).
 */
function consumerLock(tarball: string): object {
  const rootLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const client = rootLock.packages['packages/client']!;
  const zod = rootLock.packages['node_modules/zod']!;
  const spec = `file:${tarball}`;
  return {
    name: 'consumer',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'consumer', dependencies: { [NAME]: spec } },
      [`node_modules/${NAME}`]: {
        version: client['version'],
        resolved: spec,
        integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
        dependencies: client['dependencies'],
        peerDependencies: client['peerDependencies'],
        peerDependenciesMeta: client['peerDependenciesMeta'],
      },
      'node_modules/zod': { version: zod['version'], integrity: zod['integrity'] },
    },
  };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'memspace-client-pkg-'));
  // Built into a staging directory (the package's files exactly), not into packages/client.
  const stage = join(work, 'stage');
  run(process.execPath, [join(ROOT, 'packages/client/scripts/build.js'), '--out', stage], ROOT);
  [packed] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], stage).replace(/^[^[]*/, '')) as [typeof packed];
  consumer = join(work, 'consumer');
  mkdirSync(consumer);
  const tarball = join(work, packed.filename);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { [NAME]: `file:${tarball}` } }));
  writeFileSync(join(consumer, 'package-lock.json'), JSON.stringify(consumerLock(tarball)));
  run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], consumer);

  ms = await tempMemspace();
  root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms });
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  grpcServer = buildGrpcServer({ memspace: ms });
  grpcAddress = `127.0.0.1:${await grpcServer.listen('127.0.0.1', 0)}`;
}, 180_000);

afterAll(async () => {
  await grpcServer?.close();
  await app?.close();
  await ms?.cleanup();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('@memspace/client, the light client package', () => {
  it('packs the SDK alone: client, the core files it imports, the wire format and the gRPC definition', () => {
    const files = packed.files.map((f) => f.path);
    expect(files).toContain('dist/js/client/index.js');
    expect(files).toContain('dist/js/client/index.d.ts');
    expect(files).toContain('dist/js/client/grpc.js');
    expect(files).toContain('dist/proto/memspace/v1/memspace.proto');
    const folders = new Set(files.filter((f) => f.startsWith('dist/js/')).map((f) => f.split('/')[2]));
    expect([...folders].sort()).toEqual(['client', 'core', 'wire']);
    expect(files.filter((f) => !f.startsWith('dist/'))).toEqual(expect.arrayContaining(['package.json', 'README.md']));
    expect(files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md'].includes(f))).toEqual([]);
  });

  it('installs with zod as its only dependency, no native module and no server code', () => {
    const modules = join(consumer, 'node_modules');
    expect(readdirSync(modules).filter((name) => !name.startsWith('.')).sort()).toEqual(['@memspace', 'zod']);
    const all = walk(modules);
    expect(all.filter((f) => f.endsWith('.node') || f.endsWith('binding.gyp'))).toEqual([]);
    const client = walk(join(modules, NAME));
    expect(client.filter((f) => /\/(server|store|engine|embed|grpc|mcp|cli|compat)\//.test(f))).toEqual([]);
    const code = client.filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(modules, NAME, f), 'utf8'));
    const imported = new Set(code.flatMap((text) => [...text.matchAll(/from '([^.'][^']*)'/g)].map((m) => m[1]!)));
    // zod, and the gRPC transport that only `@memspace/client/grpc` loads (optional peers).
    expect([...imported].sort()).toEqual(['@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs', 'zod']);
    const manifest = JSON.parse(readFileSync(join(modules, NAME, 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(Object.keys(manifest['dependencies']!)).toEqual(['zod']);
    expect(manifest['scripts']).not.toHaveProperty('install');
    expect(manifest['scripts']).not.toHaveProperty('postinstall');
  });

  it('works from plain JavaScript against a listening server, keeps spaces apart and rejects bad input with stable codes', async () => {
    const script = `
      import { MemspaceClient, MemspaceError } from '${NAME}';
      const [baseUrl, rootKey] = process.argv.slice(2);
      const codeOf = (p) => p.then(() => 'resolved', (e) => (e instanceof MemspaceError ? e.code : 'not a MemspaceError: ' + e));
      const admin = new MemspaceClient({ baseUrl, apiKey: rootKey });
      for (const name of ['pkg-a', 'pkg-b']) await admin.spaces.create({ name, embedder: 'none', dimension: 3 });
      const a = new MemspaceClient({ baseUrl, apiKey: rootKey, space: 'pkg-a' });
      const tea = await a.memories.add({ content: 'Alice prefers tea', embedding: [1, 0, 0] });
      await a.memories.add({ content: 'Bob drives a van', embedding: [0, 1, 0] });
      const secret = await admin.memories.add({ content: 'only in b', embedding: [1, 0, 0] }, { space: 'pkg-b' });
      const hits = await a.search({ embedding: [0.9, 0.1, 0], mode: 'vector', limit: 1 });
      const { key } = await admin.keys.create({ name: 'only-a', grants: [{ space: 'pkg-a', role: 'write' }] });
      const scoped = new MemspaceClient({ baseUrl, apiKey: key, space: 'pkg-b' });
      console.log(JSON.stringify({
        hits: hits.map((h) => h.memory.content),
        ownSpace: (await scoped.memories.get(tea.id, { space: 'pkg-a' })).content,
        readOther: await codeOf(scoped.memories.get(secret.id)),
        searchOther: await codeOf(scoped.search({ embedding: [1, 0, 0], mode: 'vector' })),
        sameIdOtherSpace: await codeOf(scoped.memories.get(tea.id)),
        badSpaceName: await codeOf(admin.spaces.create({ name: '../etc', embedder: 'none', dimension: 3 })),
        badDimension: await codeOf(a.memories.add({ content: 'x', embedding: [1, 0] })),
        noServer: await codeOf(new MemspaceClient({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 5000 }).health()),
      }));
    `;
    writeFileSync(join(consumer, 'check.mjs'), script);
    const r = await node(['check.mjs', baseUrl, root], consumer);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      hits: ['Alice prefers tea'],
      ownSpace: 'Alice prefers tea',
      readOther: 'SPACE_NOT_FOUND',
      searchOther: 'SPACE_NOT_FOUND',
      sameIdOtherSpace: 'SPACE_NOT_FOUND',
      badSpaceName: 'INVALID_SPACE',
      badDimension: 'DIMENSION_MISMATCH',
      noServer: 'BACKEND_UNAVAILABLE',
    });
  });

  it('keeps the gRPC client behind its own entry point: a plain error without its optional peers, a working client with them', async () => {
    const script = `
      import { MemspaceGrpcClient, MemspaceError } from '${NAME}/grpc';
      const [address, key] = process.argv.slice(2);
      const codeOf = (p) => p.then(() => 'resolved', (e) => (e instanceof MemspaceError ? e.code : 'not a MemspaceError: ' + e));
      const scoped = new MemspaceGrpcClient({ address, apiKey: key });
      console.log(JSON.stringify({
        own: (await scoped.spaces.get('pkg-a')).name,
        other: await codeOf(scoped.spaces.get('pkg-b')),
        otherSearch: await codeOf(scoped.search({ embedding: [1, 0, 0], mode: 'vector' }, { space: 'pkg-b' })),
      }));
      scoped.close();
    `;
    writeFileSync(join(consumer, 'check-grpc.mjs'), script);
    const { key } = await ms.keys.create({ name: 'grpc-only-a', grants: [{ space: 'pkg-a', role: 'read' }] });
    const check = (): ReturnType<typeof node> => node(['check-grpc.mjs', grpcAddress, key], consumer);
    const without = await check();
    expect(without.status).not.toBe(0);
    expect(without.stderr).toMatch(/Cannot find (package|module) '@grpc\/(grpc-js|proto-loader)'/);
    // The peers a user would install beside it: the workspace's own copies, linked in.
    mkdirSync(join(consumer, 'node_modules/@grpc'), { recursive: true });
    for (const peer of ['@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs']) symlinkSync(join(ROOT, 'node_modules', peer), join(consumer, 'node_modules', peer));
    const r = await check();
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ own: 'pkg-a', other: 'SPACE_NOT_FOUND', otherSearch: 'SPACE_NOT_FOUND' });
  });
});
