import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import type { SearchHit } from '../../../src/core/views.js';
import { openEngine, type MemspaceEngine } from '../../../src/memspace.js';
import { SqliteBackend } from '../../../src/store/sqlite/sqlite-backend.js';
import { memoryRow, spaceRecord, writeCtx } from '../../support/space-records.js';
import { tempDir } from '../../support/temp-memspace.js';

/*
 * The HNSW index of an encrypted space lives in RAM only (index-dir.ts): built by the worker from
 * the encrypted database, searched by the main thread and the search threads, never written under
 * the data directory, and gone once the space or the backend closes.
 */

const DIM = 32;
const THRESHOLD = 400;
const COUNT = 1200;
const MASTER = randomBytes(32).toString('hex');

/** True when /dev/shm is a tmpfs, where the index of an encrypted space can live. */
const ramAvailable = ((): boolean => {
  try {
    return statfsSync('/dev/shm').type === 0x01021994;
  } catch {
    return false;
  }
})();

const engines: MemspaceEngine[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const ms of engines) await ms.close().catch(() => undefined);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function open(dataDir: string, workers: number): Promise<MemspaceEngine> {
  const ms = await openEngine(loadConfig({ dataDir, masterKey: MASTER, annThreshold: THRESHOLD, workers }, {}));
  engines.push(ms);
  return ms;
}

function freshDir(): string {
  const dir = tempDir('memspace-enc-ann-');
  dirs.push(dir);
  return dir;
}

let seed = 11;
const random = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
const centroids = Array.from({ length: 16 }, () => Array.from({ length: DIM }, random));
/** A vector near one of 16 centroids: neighbours are meaningful, as with real embeddings. */
const clustered = (): number[] => centroids[Math.floor((random() + 0.5) * 16)]!.map((c) => c + 0.4 * random());
/** A vector no other memory is near, every component distinct: its bytes are a needle to look for in files. */
const distinct = (phase: number): number[] => Array.from({ length: DIM }, (_, i) => Math.sin(i * 1.7 + phase));

const ids = (hits: SearchHit[]): string[] => hits.map((h) => h.memory.id);
const canary = (tag: string): string => `CANARY-${tag}-${randomBytes(6).toString('hex')}`;

/** Fills `space` with clustered memories whose content holds `mark`, plus `known`, whose vector is `vector`. */
async function fill(ms: MemspaceEngine, space: string, mark: string, vector: number[]): Promise<void> {
  for (let start = 0; start < COUNT; start += 400) {
    await ms.memories.addMany(
      space,
      Array.from({ length: 400 }, (_, i) => ({ id: `m${start + i}`, content: `${mark} note ${start + i}`, embedding: clustered() })),
    );
  }
  await ms.memories.add(space, { id: 'known', content: `${mark} the known one`, embedding: vector });
}

/** The bytes a file holding the stored (normalised) vector of `id` would contain: as float32, and as usearch's f16. */
async function needles(ms: MemspaceEngine, space: string, id: string): Promise<{ f32: Buffer; f16: Buffer }> {
  const stored = Float32Array.from((await ms.memories.get(space, id, { includeEmbedding: true })).embedding!);
  const half = new Uint16Array(stored.length);
  stored.forEach((x, i) => (half[i] = f16(x)));
  return { f32: Buffer.from(stored.buffer), f16: Buffer.from(half.buffer) };
}

/** IEEE half precision of `x`, rounded to nearest even (normal and subnormal numbers; the vectors here are unit length). */
function f16(x: number): number {
  const bits = new Uint32Array(Float32Array.of(x).buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = ((bits >>> 23) & 0xff) - 127 + 15;
  let mant = bits & 0x7fffff;
  let shift = 13;
  let base = exp << 10;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    shift = 14 - exp;
    base = 0;
  }
  let half = base + (mant >>> shift);
  const rest = mant & ((1 << shift) - 1);
  const mid = 1 << (shift - 1);
  if (rest > mid || (rest === mid && (half & 1) === 1)) half++;
  return sign | half;
}

/** Every file under `dir`, recursively, with its bytes. */
function filesUnder(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.set(join(entry.parentPath, entry.name), readFileSync(join(entry.parentPath, entry.name)));
  }
  return out;
}

/** The files under `dir` that hold any of `needles`. */
function holding(dir: string, needles: (string | Buffer)[]): string[] {
  const found: string[] = [];
  for (const [file, bytes] of filesUnder(dir)) {
    if (needles.some((n) => bytes.includes(typeof n === 'string' ? Buffer.from(n, 'utf8') : n))) found.push(file);
  }
  return found;
}

/** Lines of this process's memory map (every thread's) that map a file under `dir`. */
function mappedUnder(dir: string): string[] {
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => line.includes(`${dir}/`));
}

const ramRoot = (ms: MemspaceEngine): string => (ms.backend as SqliteBackend).indexRamDir();

describe.skipIf(!ramAvailable)('the HNSW index of an encrypted space, in RAM', () => {
  it('is built from the encrypted database, searched, never written under the data directory, and removed on close', async () => {
    const dataDir = freshDir();
    const ms = await open(dataDir, 1);
    await ms.spaces.create({ name: 'vault', embedder: 'none', dimension: DIM, encryption: true });
    await ms.spaces.create({ name: 'plain', embedder: 'none', dimension: DIM });
    const vaultMark = canary('vault');
    await fill(ms, 'vault', vaultMark, distinct(0.3));
    await fill(ms, 'plain', canary('plain'), distinct(2.1));
    const queries = Array.from({ length: 10 }, clustered);
    const exactTop: string[][] = [];
    for (const q of queries) exactTop.push(ids((await ms.search.run('vault', { embedding: q, mode: 'vector', limit: 5, exact: true })).results));
    expect((await ms.spaces.get('vault')).stats.vectorIndex.state).not.toBe('ready');

    await ms.search.settleIndex('vault');
    await ms.search.settleIndex('plain');
    expect((await ms.spaces.get('vault')).stats.vectorIndex).toMatchObject({ state: 'ready', indexed: COUNT + 1, lag: 0, threshold: THRESHOLD });
    expect((await ms.spaces.get('plain')).stats.vectorIndex).toMatchObject({ state: 'ready', indexed: COUNT + 1 });

    // Through the index, the clear cases give what an exact scan gives.
    const known = await ms.search.run('vault', { embedding: distinct(0.3), mode: 'vector', limit: 3 });
    expect(known.results[0]!.memory.id).toBe('known');
    expect(known.results[0]!.score).toBeCloseTo(1, 5);
    let agree = 0;
    for (const [i, q] of queries.entries()) {
      const viaIndex = ids((await ms.search.run('vault', { embedding: q, mode: 'vector', limit: 5 })).results);
      expect(viaIndex[0]).toBe(exactTop[i]![0]);
      agree += viaIndex.filter((id) => exactTop[i]!.includes(id)).length;
    }
    expect(agree / (queries.length * 5)).toBeGreaterThanOrEqual(0.9);
    // The index answers: a write since its build is one memory it scores exactly.
    await ms.memories.add('vault', { id: 'fresh', content: `${vaultMark} fresh`, embedding: distinct(0.31) });
    expect((await ms.spaces.get('vault')).stats.vectorIndex).toMatchObject({ state: 'ready', lag: 1 });
    expect(ids((await ms.search.run('vault', { embedding: distinct(0.31), mode: 'vector', limit: 2 })).results)).toEqual(['fresh', 'known']);

    // The index files are in RAM, in a private directory of this process; they hold the vectors (f16)...
    const root = ramRoot(ms);
    expect(root.startsWith(`/dev/shm/memspace-${process.pid}-`)).toBe(true);
    expect(statSync(root).mode & 0o777).toBe(0o700);
    const [spaceDir, ...others] = readdirSync(root).map((name) => join(root, name));
    expect(others).toEqual([]);
    expect(statSync(spaceDir!).mode & 0o777).toBe(0o700);
    expect(readdirSync(spaceDir!).some((f) => f.endsWith('.usearch'))).toBe(true);
    const vault = await needles(ms, 'vault', 'known');
    expect(holding(spaceDir!, [vault.f16]).length).toBeGreaterThan(0); // the needle finds what it looks for
    // ...and no file under the data directory does, nor the content, while open or after the close.
    const secrets = [vault.f32, vault.f16, vaultMark];
    expect(holding(dataDir, secrets)).toEqual([]);
    expect(readdirSync(join(dataDir, 'spaces', 'vault')).filter((f) => f.startsWith('vectors-') || f.startsWith('vectors.hnsw'))).toEqual([]);
    // The plain space beside it keeps its index where it always did, and the same needles find its vectors there.
    const plain = await needles(ms, 'plain', 'known');
    const plainFiles = readdirSync(join(dataDir, 'spaces', 'plain'));
    expect(plainFiles).toContain('vectors.hnsw.json');
    expect(holding(join(dataDir, 'spaces', 'plain'), [plain.f16]).some((f) => f.endsWith('.usearch'))).toBe(true);
    expect(holding(join(dataDir, 'spaces', 'plain'), [plain.f32]).length).toBeGreaterThan(0);
    expect(mappedUnder(spaceDir!).length).toBeGreaterThan(0);

    // Closing the space removes its RAM directory and unmaps the file; the plain space's index stays on disk.
    await ms.registry.closeSpace('vault');
    await ms.registry.closeSpace('plain');
    expect(existsSync(spaceDir!)).toBe(false);
    expect(mappedUnder(root)).toEqual([]);
    expect(holding(dataDir, secrets)).toEqual([]);
    expect(readdirSync(join(dataDir, 'spaces', 'plain'))).toContain('vectors.hnsw.json');

    // Opened again, it searches exactly meanwhile and builds the index again.
    const again = await ms.search.run('vault', { embedding: distinct(0.3), mode: 'vector', limit: 1 });
    expect(ids(again.results)).toEqual(['known']);
    await ms.search.settleIndex('vault');
    expect((await ms.spaces.get('vault')).stats.vectorIndex).toMatchObject({ state: 'ready', indexed: COUNT + 2, lag: 0 });
    expect(readdirSync(root)).toHaveLength(1);
    expect(holding(dataDir, secrets)).toEqual([]);

    await ms.close();
    expect(existsSync(root)).toBe(false);
    expect(mappedUnder(root)).toEqual([]);
  });

  it('is searched by search threads from the same RAM directory', async () => {
    const dataDir = freshDir();
    const ms = await open(dataDir, 2);
    await ms.spaces.create({ name: 'vault', embedder: 'none', dimension: DIM, encryption: true });
    const mark = canary('threads');
    await fill(ms, 'vault', mark, distinct(0.7));
    await ms.search.settleIndex('vault');
    expect((await ms.spaces.get('vault')).stats.vectorIndex).toMatchObject({ state: 'ready', indexed: COUNT + 1 });
    const root = ramRoot(ms);
    const [spaceDir] = readdirSync(root).map((name) => join(root, name));

    const known = await ms.search.run('vault', { embedding: distinct(0.7), mode: 'vector', limit: 1 });
    expect(ids(known.results)).toEqual(['known']);
    // The thread that searched mapped the generation the owner built: two maps of the one file in RAM.
    const usearch = readdirSync(spaceDir!).find((f) => f.endsWith('.usearch'))!;
    expect(mappedUnder(spaceDir!).filter((line) => line.endsWith(usearch)).length).toBeGreaterThanOrEqual(2);
    let agree = 0;
    for (let i = 0; i < 10; i++) {
      const q = clustered();
      const exact = ids((await ms.search.run('vault', { embedding: q, mode: 'vector', limit: 5, exact: true })).results);
      const viaIndex = ids((await ms.search.run('vault', { embedding: q, mode: 'vector', limit: 5 })).results);
      expect(viaIndex[0]).toBe(exact[0]);
      agree += viaIndex.filter((id) => exact.includes(id)).length;
    }
    expect(agree).toBeGreaterThanOrEqual(45);
    await ms.memories.add('vault', { id: 'fresh', content: `${mark} fresh`, embedding: distinct(0.71) });
    expect(ids((await ms.search.run('vault', { embedding: distinct(0.71), mode: 'vector', limit: 2 })).results)).toEqual(['fresh', 'known']);
    const vault = await needles(ms, 'vault', 'known');
    expect(holding(dataDir, [vault.f32, vault.f16, mark])).toEqual([]);

    await ms.registry.closeSpace('vault');
    expect(existsSync(spaceDir!)).toBe(false);
    expect(mappedUnder(root)).toEqual([]);
    await ms.close();
    expect(existsSync(root)).toBe(false);
  });

  it('is removed when the space is deleted', async () => {
    const dataDir = freshDir();
    const ms = await open(dataDir, 1);
    await ms.spaces.create({ name: 'vault', embedder: 'none', dimension: DIM, encryption: true });
    await fill(ms, 'vault', canary('deleted'), distinct(1.1));
    await ms.search.settleIndex('vault');
    const root = ramRoot(ms);
    expect(readdirSync(root)).toHaveLength(1);
    await ms.spaces.delete('vault');
    expect(readdirSync(root)).toEqual([]);
    await ms.close();
  });

  it('removes at startup the RAM directories that dead processes left, and only those', async () => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('exit', resolve));
    const dead = child.pid!;
    const stale = `/dev/shm/memspace-${dead}-0123456789abcdef`;
    const live = `/dev/shm/memspace-${process.ppid}-0123456789abcdef`;
    for (const dir of [stale, live]) {
      mkdirSync(join(dir, 'uid'), { recursive: true, mode: 0o700 });
      writeFileSync(join(dir, 'uid', 'vectors-x.usearch'), 'left behind');
    }
    try {
      const dataDir = freshDir();
      const backend = new SqliteBackend({ dataDir, annThreshold: THRESHOLD });
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(live)).toBe(true);
      await backend.close();
    } finally {
      rmSync(stale, { recursive: true, force: true });
      rmSync(live, { recursive: true, force: true });
    }
  });
});

describe('an encrypted space without a memory-backed file system', () => {
  it('keeps no index, says why in stats.vectorIndex, and writes no index file anywhere', async () => {
    const dataDir = freshDir();
    const backend = new SqliteBackend({ dataDir, sync: 'normal', annThreshold: 50, masterKey: randomBytes(32), indexRamBase: join(dataDir, 'no-such-dir') });
    try {
      const record = spaceRecord('vault', { encryption: true });
      await backend.spaces.create(record);
      await backend.spaces.create(spaceRecord('plain'));
      for (const name of ['vault', 'plain']) {
        const store = await backend.spaces.open(spaceRecord(name, { encryption: name === 'vault' }));
        await store.insertMemories(Array.from({ length: 120 }, (_, i) => memoryRow(`m${i}`, `memory ${i}`, i)), writeCtx());
        await store.settleIndex();
        const status = (await store.stats()).vectorIndex;
        if (name === 'vault') expect(status).toMatchObject({ state: 'none', threshold: null, indexed: 0, error: expect.stringContaining('no memory-backed file system') });
        else expect(status).toMatchObject({ state: 'ready', threshold: 50, indexed: 120 });
        await store.close();
      }
      const indexFiles = [...filesUnder(dataDir).keys()].filter((f) => /vectors-|vectors\.hnsw/.test(f));
      expect(indexFiles.length).toBeGreaterThan(0);
      expect(indexFiles.every((f) => f.includes(join('spaces', 'plain')))).toBe(true);
      expect(existsSync(backend.indexRamDir())).toBe(false);
    } finally {
      await backend.close();
    }
  });
});
