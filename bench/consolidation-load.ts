/**
 * Consolidation under load (issue 19, part of `bench/consolidation.ts`): how fast one pass
 * examines a space, and what single adds see while a pass runs.
 *
 * Both use a synthetic space with `embedder: "none"` and caller-given 512-d vectors, so no model
 * time is included: memory-like texts and clustered unit vectors from `bench/engine.ts`'s
 * `Corpus`, spread over many users (the scope a pass compares within), where a share of the
 * memories are near-verbatim repeats of an earlier memory of the same user: its text with a
 * lead-in ("Note:", "FYI,"), in lower case, or without its final full stop, and its vector plus a
 * little gaussian noise (cosine about 0.995), which the duplicate rule merges.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest, Agent } from 'node:http';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { loadConfig } from '../src/config.js';
import type { ConsolidationReport } from '../src/core/views.js';
import { openEngine, type MemspaceEngine } from '../src/memspace.js';
import { Corpus, DIMENSION, type LatencyFigures, summarize } from './engine.js';
import { serverFigures, ServerProcess } from './http.js';
import { mulberry32 } from './prng.js';

/** The shape of a synthetic space. */
export interface SyntheticShape {
  memories: number;
  /** Memories per user (the scope): the space holds `memories / perUser` users. */
  perUser: number;
  /** Share of the memories that are near-verbatim repeats of an earlier memory of the same user. */
  repeatShare: number;
}

/** The default shape: 100 memories per user, 10% repeats. */
export const DEFAULT_SHAPE: Omit<SyntheticShape, 'memories'> = { perUser: 100, repeatShare: 0.1 };

/** One pass over a synthetic space. */
export interface ThroughputFigures extends SyntheticShape {
  /** Memories examined by the pass (all of them). */
  examined: number;
  merged: number;
  superseded: number;
  skipped: number;
  /** Repeats planted by the generator. */
  planted: number;
  /** Planted repeats the pass merged away (into the memory they repeat, or into an older repeat of it). */
  plantedMerged: number;
  /** Memories merged away that were not planted repeats (a text the generator happened to produce twice). */
  otherMerged: number;
  passMs: number;
  examinedPerSec: number;
  /** Time to load the space (batches of 1,000) and settle its vector index, not part of the pass. */
  loadMs: number;
}

/** Single adds over HTTP with and without a pass running on the same space. */
export interface AddsUnderPassFigures {
  memories: number;
  rounds: number;
  /** Search threads of the server (`workers`, as `memspace serve` has by default). */
  workers: number;
  /** Time between two adds (open loop). */
  addIntervalMs: number;
  /** Keep-alive connections the adds share (an add due while all are busy waits for one, and that wait counts). */
  connections: number;
  withoutPass: LatencyFigures;
  duringPass: LatencyFigures;
  /** Each round's pass, as the server reported it, and its wall time seen by the client. */
  passes: { examined: number; merged: number; ms: number }[];
  /** Share of the time the server's event loop (the thread that answers HTTP and writes) was busy, without and during passes. */
  serverLoopBusy: { withoutPass: number; duringPass: number };
}

const SPACE = 'consolidation-bench';
const CHUNK = 1_000;
/** How far back a repeat looks for the memory it repeats (in originals). */
const RECENT = 5_000;
/** Adds arrive this far apart during the add-latency measurement: 25 per second. */
const ADD_INTERVAL_MS = 40;
/** Connections the adds may use at once. */
const ADD_CONNECTIONS = 16;
/** Noise added to a repeat's vector, per component, as a fraction of 1/sqrt(dimension). */
const REPEAT_NOISE = 0.1;

/** A memory of the synthetic space as the service takes it. */
interface SyntheticMemory {
  id: string;
  content: string;
  embedding: number[];
  userId: string;
  metadata: Record<string, unknown>;
  tags: string[];
}

/**
 * The synthetic space, in chunks of {@link CHUNK}: originals (`o…` ids) from a seeded `Corpus`
 * and repeats (`r…` ids) of a recent original of the same user. Deterministic for a seed.
 */
export function* syntheticSpace(shape: SyntheticShape, seed: number): Generator<SyntheticMemory[]> {
  const corpus = new Corpus(seed);
  const random = mulberry32(seed ^ 0x5eed);
  const users = Math.max(1, Math.round(shape.memories / shape.perUser));
  const recent: SyntheticMemory[] = [];
  let made = 0;
  while (made < shape.memories) {
    const size = Math.min(CHUNK, shape.memories - made);
    const chunk: SyntheticMemory[] = [];
    const fresh = corpus.memories(size);
    for (let i = 0; i < size; i++) {
      const n = made + i;
      const original = recent.length > 0 && random() < shape.repeatShare ? recent[Math.floor(random() * recent.length)] : undefined;
      if (original !== undefined) {
        chunk.push({ ...original, id: `r${n}`, content: nearVerbatim(original.content, random), embedding: jitter(original.embedding, random) });
      } else {
        const m = fresh[i]!;
        const memory: SyntheticMemory = { id: `o${n}`, content: m.content, embedding: m.embedding, userId: `user-${Math.floor(random() * users)}`, metadata: m.metadata, tags: m.tags };
        chunk.push(memory);
        recent.push(memory);
        if (recent.length > RECENT) recent.shift();
      }
    }
    made += size;
    yield chunk;
  }
}

/** A near-verbatim repeat: a lead-in, lower case, or the final full stop dropped. */
function nearVerbatim(text: string, random: () => number): string {
  const r = random();
  if (r < 0.3) return `Note: ${text}`;
  if (r < 0.5) return `FYI, ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
  if (r < 0.75) return text.toLowerCase();
  return text.endsWith('.') ? text.slice(0, -1) : `${text}.`;
}

/** `v` plus gaussian noise, normalised again. */
function jitter(v: readonly number[], random: () => number): number[] {
  const scale = REPEAT_NOISE / Math.sqrt(v.length);
  const out = v.map((x) => x + scale * gaussian(random));
  const norm = Math.sqrt(out.reduce((s, x) => s + x * x, 0));
  return out.map((x) => x / norm);
}

/** Fills `space` of `ms` with the synthetic space and settles its vector index; returns the planted repeats. */
async function fill(ms: MemspaceEngine, shape: SyntheticShape, seed: number): Promise<number> {
  await ms.spaces.create({ name: SPACE, embedder: 'none', dimension: DIMENSION });
  let planted = 0;
  for (const chunk of syntheticSpace(shape, seed)) {
    planted += chunk.filter((m) => m.id.startsWith('r')).length;
    await ms.memories.addMany(SPACE, chunk);
  }
  await ms.search.settleIndex(SPACE);
  return planted;
}

/** One pass over a fresh synthetic space of `shape` in a temporary directory: its wall time, what it examined and merged. */
export async function benchThroughput(shape: SyntheticShape, options: { progress?: (line: string) => void } = {}): Promise<ThroughputFigures> {
  const dataDir = await mkdtemp(join(tmpdir(), 'memspace-bench-consolidation-'));
  const ms = await openEngine(loadConfig({ dataDir, idleTimeoutMs: 0 }, {}));
  try {
    let started = performance.now();
    const planted = await fill(ms, shape, 0x19_7000 + shape.memories);
    const loadMs = performance.now() - started;
    options.progress?.(`consolidation: ${shape.memories.toLocaleString('en-US')} memories loaded in ${(loadMs / 1000).toFixed(1)} s; one pass...`);
    started = performance.now();
    const report = await ms.consolidation.run(SPACE, {});
    const passMs = performance.now() - started;
    const left = await remainingIds(ms);
    const plantedLeft = left.filter((id) => id.startsWith('r')).length;
    const originalsLeft = left.length - plantedLeft;
    const plantedMerged = planted - plantedLeft;
    options.progress?.(`consolidation: pass over ${report.examined.toLocaleString('en-US')} in ${(passMs / 1000).toFixed(1)} s, merged ${report.merged}`);
    return {
      ...shape,
      examined: report.examined,
      merged: report.merged,
      superseded: report.superseded,
      skipped: report.skipped,
      planted,
      plantedMerged,
      otherMerged: shape.memories - planted - originalsLeft,
      passMs,
      examinedPerSec: (report.examined / passMs) * 1000,
      loadMs,
    };
  } finally {
    await ms.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Ids of every memory left in the space. */
async function remainingIds(ms: MemspaceEngine): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await ms.memories.list(SPACE, { limit: 1000, ...(cursor !== undefined && { cursor }) });
    ids.push(...page.items.map((m) => m.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return ids;
}

/**
 * Single adds over HTTP against a server in a child process (`bench/http-server.ts`, as
 * `memspace serve` runs, `workers` = CPUs) on a synthetic space of `memories`. The adds arrive
 * at a steady rate ({@link ADD_INTERVAL_MS} apart, open loop: one is sent on time whether or not
 * the ones before it were answered) and each one's latency runs from the moment it was due to its
 * answer, so a server that stalls shows every add that waited, not just the one in flight
 * (a closed loop, one add at a time, would hide a stall behind a single slow sample). Per round:
 * `baseline` adds with no pass running, then adds for as long as one pass (`POST /consolidate`,
 * on a connection of its own) runs, then the pass undone (untimed) so every round starts from the
 * same space. The adds are new memories of the space's users with their vectors, durable (sync
 * full) when answered.
 */
export async function benchAddsUnderPass(options: { memories: number; rounds: number; baseline: number; progress?: (line: string) => void }): Promise<AddsUnderPassFigures> {
  const root = await mkdtemp(join(tmpdir(), 'memspace-bench-consolidation-http-'));
  const dataDir = join(root, 'data');
  let server: ServerProcess | undefined;
  const adds = new Agent({ keepAlive: true, maxSockets: ADD_CONNECTIONS });
  const control = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await mkdir(dataDir, { recursive: true });
    const shape: SyntheticShape = { memories: options.memories, ...DEFAULT_SHAPE };
    let key: string | undefined;
    {
      const ms = await openEngine(loadConfig({ dataDir }, {}));
      try {
        await fill(ms, shape, 0x19_7100);
        key = await ms.keys.ensureRootKey();
      } finally {
        await ms.close();
      }
    }
    if (key === undefined) throw new Error('the data directory already had API keys');
    const workers = availableParallelism();
    server = await ServerProcess.start(dataDir, workers);
    const url = server.url;
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const users = Math.round(shape.memories / shape.perUser);
    const corpus = new Corpus(0x19_7200);
    let serial = 0;
    /** One add, due at `due` (performance.now() time); its latency from then. */
    const add = async (due: number): Promise<number> => {
      const [m] = corpus.memories(1);
      const i = serial++;
      const res = await send(adds, url, `/v1/spaces/${SPACE}/memories`, headers, JSON.stringify({ ...m!, id: `add-${i}-${randomUUID()}`, userId: `user-${i % users}` }));
      if (res.status !== 201) throw new Error(`add answered ${res.status}: ${res.body.slice(0, 300)}`);
      return performance.now() - due;
    };
    /** Adds every ADD_INTERVAL_MS until `stop()` or `count` of them; waits for every answer. */
    const steadyAdds = async (stop: () => boolean, count = Number.POSITIVE_INFINITY): Promise<number[]> => {
      const latencies: number[] = [];
      const answers: Promise<void>[] = [];
      const start = performance.now();
      for (let i = 0; i < count && !stop(); i++) {
        const due = start + i * ADD_INTERVAL_MS;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (stop()) break;
        answers.push(add(due).then((ms) => void latencies.push(ms)));
      }
      await Promise.all(answers);
      return latencies;
    };
    // Warm-up: every connection opened, the space open, the JIT warm.
    await Promise.all(Array.from({ length: ADD_CONNECTIONS }, () => add(performance.now())));
    await steadyAdds(() => false, 50);
    const withoutPass: number[] = [];
    const duringPass: number[] = [];
    const passes: AddsUnderPassFigures['passes'] = [];
    const busy = { withoutPass: [] as number[], duringPass: [] as number[] };
    const stats = async (): Promise<NonNullable<Awaited<ReturnType<ServerProcess['stats']>>>> => {
      const s = await server!.stats();
      if (s === undefined) throw new Error('the server stopped answering');
      return s;
    };
    for (let round = 0; round < options.rounds; round++) {
      let before = await stats();
      withoutPass.push(...(await steadyAdds(() => false, options.baseline)));
      busy.withoutPass.push(serverFigures(before, await stats()).loopUtilization);
      before = await stats();
      const started = performance.now();
      let done = false;
      const pass = send(control, url, `/v1/spaces/${SPACE}/consolidate`, headers, '{}').finally(() => (done = true));
      duringPass.push(...(await steadyAdds(() => done)));
      const res = await pass;
      const passMs = performance.now() - started;
      busy.duringPass.push(serverFigures(before, await stats()).loopUtilization);
      if (res.status !== 200) throw new Error(`consolidate answered ${res.status}: ${res.body.slice(0, 300)}`);
      const report = JSON.parse(res.body) as ConsolidationReport;
      passes.push({ examined: report.examined, merged: report.merged, ms: passMs });
      options.progress?.(`consolidation: round ${round + 1}: pass over ${report.examined} in ${(passMs / 1000).toFixed(1)} s; ${duringPass.length} adds timed during passes so far`);
      const undo = await send(control, url, `/v1/spaces/${SPACE}/consolidate/undo`, headers, JSON.stringify({ runId: report.runId }));
      if (undo.status !== 200) throw new Error(`undo answered ${undo.status}: ${undo.body.slice(0, 300)}`);
    }
    return { memories: options.memories, rounds: options.rounds, workers, addIntervalMs: ADD_INTERVAL_MS, connections: ADD_CONNECTIONS, withoutPass: summarize(withoutPass), duringPass: summarize(duringPass), passes, serverLoopBusy: { withoutPass: mean(busy.withoutPass), duringPass: mean(busy.duringPass) } };
  } finally {
    adds.destroy();
    control.destroy();
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/** One POST on a keep-alive connection. */
function send(agent: Agent, base: string, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}


/** Standard normal (Box-Muller). */
function gaussian(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
