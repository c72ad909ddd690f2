/**
 * Benchmark of running many spaces on one machine (issue 5): server start time and RSS with
 * 1k, 10k and 100k spaces on disk, open + first search of a closed space, memory per open
 * space, and the sweep rate. Everything goes through the public engine and server, on the
 * embedded backend, with caller-given 512-d vectors (no model time).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { loadConfig } from '../src/config.js';
import { openEngine, type MemspaceEngine } from '../src/memspace.js';
import { summarize, type LatencyFigures } from './engine.js';
import { clusteredVectors, queryVectors, row } from './vectors.js';

const DIM = 512;
/** A full garbage collection, so RSS differences measure what stays, not what is waiting to be collected. */
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;
const STARTUP_SCRIPT = fileURLToPath(new URL('./lifecycle-startup.ts', import.meta.url));

/** Start of a server with some number of spaces on disk (median of the runs). */
export interface StartupFigures {
  spaces: number;
  /** `serve()` to listening, median. */
  startMs: number;
  /** Process start to listening (module loading included), median. */
  uptimeMs: number;
  /** RSS once listening, median. */
  rssMiB: number;
  /** Spaces open after the start: 0 proves none was opened. */
  openSpaces: number;
  runs: number;
}

/** Figures reported by {@link benchLifecycle}. */
export interface LifecycleResult {
  quick: boolean;
  date: string;
  /** 1-minute load average at start and end. */
  loadAverage: { start: number; end: number };
  /** Time to create the spaces through the catalogue (one durable transaction each), per space. */
  createMsPerSpace: number;
  startup: StartupFigures[];
  /** `closeSpace`, then one hybrid search (given vector and keywords) of a space of that size. */
  coldSearch: { memories: number; figures: LatencyFigures }[];
  /** RSS added per open space, after each was opened and searched once. */
  rssPerOpenSpace: { memoriesEach: number; spaces: number; kibPerSpace: number }[];
  /** Hard deletes of expired memories, by the sweeper, in one space. */
  sweep: { memories: number; expired: number; ms: number; perSec: number };
  /** 5,000 spaces used in turn through a registry capped at 50: spaces per second, evictions. */
  churn: { spaces: number; cap: number; perSec: number; evictions: number; openAfter: number };
}

/** Runs the lifecycle benchmark; `quick` uses smaller sizes (no 100k spaces). */
export async function benchLifecycle(options: { quick?: boolean; progress?: (message: string) => void } = {}): Promise<LifecycleResult> {
  const quick = options.quick === true;
  const say = options.progress ?? (() => {});
  const loadStart = (await import('node:os')).loadavg()[0] ?? Number.NaN;
  const root = await mkdtemp(join(tmpdir(), 'memspace-bench-lifecycle-'));
  try {
    say('  startup: creating spaces on disk...');
    const { startup, createMsPerSpace } = await benchStartup(join(root, 'many'), quick ? [1_000, 5_000] : [1_000, 10_000, 100_000], say);
    say('  open + first search of closed spaces...');
    const coldSearch = await benchColdSearch(join(root, 'cold'), quick ? [1_000] : [1_000, 10_000], quick ? 10 : 30);
    say('  RSS per open space...');
    const rssPerOpenSpace = await benchRssPerSpace(join(root, 'rss'), quick ? 200 : 500);
    say('  sweep rate...');
    const sweep = await benchSweep(join(root, 'sweep'), quick ? 20_000 : 100_000);
    say('  eviction churn...');
    const churn = await benchChurn(join(root, 'churn'), quick ? 1_000 : 5_000, 50);
    return {
      quick,
      date: new Date().toISOString(),
      loadAverage: { start: loadStart, end: (await import('node:os')).loadavg()[0] ?? Number.NaN },
      createMsPerSpace,
      startup,
      coldSearch,
      rssPerOpenSpace,
      sweep,
      churn,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function open(dataDir: string, config: Parameters<typeof loadConfig>[0] = {}): Promise<MemspaceEngine> {
  return openEngine(loadConfig({ dataDir, annThreshold: 0, ...config }, {}));
}

async function benchStartup(dataDir: string, stages: readonly number[], say: (m: string) => void): Promise<{ startup: StartupFigures[]; createMsPerSpace: number }> {
  const startup: StartupFigures[] = [];
  let created = 0;
  let createMs = 0;
  for (const target of stages) {
    const ms = await open(dataDir);
    const began = performance.now();
    while (created < target) {
      await ms.spaces.create({ name: `tenant-${String(created).padStart(6, '0')}`, embedder: 'none', dimension: DIM });
      created += 1;
    }
    createMs += performance.now() - began;
    await ms.close();
    const runs: StartRun[] = [];
    for (let i = 0; i < 5; i++) runs.push(await startOnce(dataDir));
    const median = (pick: (r: StartRun) => number): number => [...runs.map(pick)].sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
    startup.push({
      spaces: target + 1, // and `default`
      startMs: median((r) => r.startMs),
      uptimeMs: median((r) => r.uptimeMs),
      rssMiB: median((r) => r.rssBytes) / 2 ** 20,
      openSpaces: Math.max(...runs.map((r) => r.openSpaces)),
      runs: runs.length,
    });
    say(`    ${target} spaces: start ${startup.at(-1)!.startMs.toFixed(0)} ms`);
  }
  return { startup, createMsPerSpace: createMs / created };
}

interface StartRun {
  startMs: number;
  uptimeMs: number;
  rssBytes: number;
  openSpaces: number;
}

function startOnce(dataDir: string): Promise<StartRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', STARTUP_SCRIPT, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || line === undefined || line === '') reject(new Error(`startup child failed (${code}): ${err}`));
      else resolve(JSON.parse(line) as StartRun);
    });
  });
}

/** Memories of a synthetic corpus: clustered vectors and a few words each, for hybrid search. */
function memories(count: number, seed: number): { content: string; embedding: number[] }[] {
  const data = clusteredVectors(count, DIM, seed);
  return Array.from({ length: count }, (_, i) => ({ content: `note ${i} about topic ${i % 97} and project ${i % 13}`, embedding: Array.from(row(data, DIM, i)) }));
}

async function fill(ms: MemspaceEngine, space: string, count: number, seed: number): Promise<void> {
  await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
  const all = memories(count, seed);
  for (let i = 0; i < all.length; i += 2_000) await ms.memories.addMany(space, all.slice(i, i + 2_000));
}

async function benchColdSearch(dataDir: string, sizes: readonly number[], repeats: number): Promise<LifecycleResult['coldSearch']> {
  const ms = await open(dataDir);
  try {
    const out: LifecycleResult['coldSearch'] = [];
    for (const size of sizes) {
      const space = `cold-${size}`;
      await fill(ms, space, size, size);
      const queries = queryVectors(repeats, DIM, 7);
      const latencies: number[] = [];
      for (let i = 0; i < repeats; i++) {
        await ms.registry.closeSpace(space);
        const began = performance.now();
        const { results } = await ms.search.run(space, { query: `topic ${i % 97}`, embedding: Array.from(row(queries, DIM, i)), mode: 'hybrid', limit: 10 });
        latencies.push(performance.now() - began);
        if (results.length === 0) throw new Error('cold search found nothing');
      }
      out.push({ memories: size, figures: summarize(latencies) });
    }
    return out;
  } finally {
    await ms.close();
  }
}

async function benchRssPerSpace(dataDir: string, spaces: number): Promise<LifecycleResult['rssPerOpenSpace']> {
  const out: LifecycleResult['rssPerOpenSpace'] = [];
  for (const each of [0, 100]) {
    const dir = `${dataDir}-${each}`;
    const ms = await open(dir, { maxOpenSpaces: spaces + 10, idleTimeoutMs: 0 });
    try {
      const names = Array.from({ length: spaces }, (_, i) => `rss-${i}`);
      for (const [i, name] of names.entries()) {
        if (each === 0) await ms.spaces.create({ name, embedder: 'none', dimension: DIM });
        else await fill(ms, name, each, i);
      }
      await ms.registry.close();
      collect();
      const before = process.memoryUsage().rss;
      const query = Array.from(row(queryVectors(1, DIM, 3), DIM, 0));
      for (const name of names) await ms.search.run(name, { embedding: query, mode: 'vector', limit: 5 });
      collect();
      const after = process.memoryUsage().rss;
      if (ms.registry.openCount < spaces) throw new Error(`only ${ms.registry.openCount} spaces stayed open`);
      out.push({ memoriesEach: each, spaces, kibPerSpace: (after - before) / 1024 / spaces });
    } finally {
      await ms.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
  return out;
}

async function benchSweep(dataDir: string, count: number): Promise<LifecycleResult['sweep']> {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const ms = await openEngine(loadConfig({ dataDir, annThreshold: 0 }, {}), { now: () => clock });
  try {
    await ms.spaces.create({ name: 'sweep', embedder: 'none', dimension: DIM });
    const all = memories(count, 11).map((m, i) => (i % 2 === 0 ? { ...m, expiresAt: new Date(clock + 60_000).toISOString() } : m));
    for (let i = 0; i < all.length; i += 2_000) await ms.memories.addMany('sweep', all.slice(i, i + 2_000));
    clock += 120_000;
    const began = performance.now();
    const deleted = await ms.sweeper.sweepSpace('sweep');
    const took = performance.now() - began;
    if (deleted !== Math.ceil(count / 2)) throw new Error(`sweep deleted ${deleted}, expected ${Math.ceil(count / 2)}`);
    return { memories: count, expired: deleted, ms: took, perSec: (deleted / took) * 1000 };
  } finally {
    await ms.close();
  }
}

async function benchChurn(dataDir: string, spaces: number, cap: number): Promise<LifecycleResult['churn']> {
  const ms = await open(dataDir, { maxOpenSpaces: cap });
  try {
    const names = Array.from({ length: spaces }, (_, i) => `churn-${i}`);
    const vector = Array.from(row(queryVectors(1, DIM, 5), DIM, 0));
    for (const name of names) {
      await ms.spaces.create({ name, embedder: 'none', dimension: DIM });
      await ms.memories.add(name, { content: `the only memory of ${name}`, embedding: vector });
    }
    await ms.registry.close();
    const evictionsBefore = ms.registry.stats().evictions;
    const began = performance.now();
    for (const name of names) await ms.search.run(name, { query: 'memory', embedding: vector, mode: 'hybrid', limit: 1 });
    const took = performance.now() - began;
    return { spaces, cap, perSec: (spaces / took) * 1000, evictions: ms.registry.stats().evictions - evictionsBefore, openAfter: ms.registry.openCount };
  } finally {
    await ms.close();
  }
}
