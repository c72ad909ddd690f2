/**
 * How right consolidation's two rules are (issue 19, part of `bench/consolidation.ts`), on
 * labelled pairs, at the defaults:
 *
 * - the duplicate rule on `bench/data/consolidation-pairs.jsonl` (duplicate / different /
 *   update): each pair is what a pass sees when it examines the older memory and finds the other
 *   among its neighbours: a candidate only at cosine ≥ `DEFAULT_THRESHOLDS.minCosine` (vectors
 *   of the default local embedder), then `duplicateGroup` from core/consolidation.ts. A merge of a
 *   `different` or `update` pair is wrong.
 * - the supersession rule on `bench/data/supersession-pairs.jsonl` (update / coexist): the two
 *   memories with the metadata an agent set, through `supersessions` from core/consolidation.ts.
 *   A supersession of a `coexist` pair is wrong (it hides a true fact from search).
 *
 * Both are then checked end to end: every pair stored in a space of the real engine (default
 * local embedder, each pair in a scope of its own), one dry-run pass, and its groups compared
 * with what the pure rules decided.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { loadConfig } from '../src/config.js';
import { DEFAULT_THRESHOLDS, duplicateGroup, supersessions } from '../src/core/consolidation.js';
import type { JsonObject, MemoryRecord } from '../src/core/types.js';
import { LOCAL_EMBEDDER_ID, LocalEmbedder } from '../src/embed/index.js';
import { openMemspace } from '../src/memspace.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const DATA_DIR = join(BENCH_DIR, 'data');
const CACHE_DIR = join(BENCH_DIR, 'out', 'cache');

/** A share with its count and a 95% Wilson interval. */
export interface Share {
  hits: number;
  of: number;
  value: number;
  low: number;
  high: number;
}

/** The duplicate rule on the labelled pairs. */
export interface DuplicateFigures {
  pairs: number;
  duplicates: number;
  different: number;
  updates: number;
  minCosine: number;
  minOverlap: number;
  /** Pairs the rule merges. */
  merges: number;
  /** Right merges among all merges (a merge of a `different` or `update` pair is wrong). */
  precision: Share;
  /** Duplicates merged among all duplicates. */
  recall: Share;
  /** Recall of the verbatim duplicates (lead-in, case, value format) and of the paraphrases. */
  recallVerbatim: Share;
  recallParaphrase: Share;
  /** Duplicates whose cosine is under the candidate threshold (never compared by the lexical rule). */
  duplicatesUnderCosine: number;
  differentMerged: number;
  updateMerged: number;
  /** Each wrong merge: pair id, label, texts. */
  wrongMerges: { id: string; label: string; a: string; b: string }[];
  /** The engine's dry-run pass over every pair agrees with the pure rule on this many pairs. */
  engineAgrees: number;
  /** Pairs where the pass and the pure rule disagree. */
  engineDisagrees: string[];
}

/** The supersession rule on the labelled pairs. */
export interface SupersessionFigures {
  pairs: number;
  updates: number;
  coexist: number;
  /** Supersessions the rule makes. */
  superseded: number;
  /** Right supersessions among all it makes (superseding a `coexist` pair is wrong). */
  precision: Share;
  /** Updates superseded among all updates. */
  recall: Share;
  /** By kind of key: one value at a time (`single`) or several (`multi`). */
  byKeyKind: { kind: 'single' | 'multi'; pairs: number; updates: number; precision: Share; recall: Share }[];
  /** By how the agent spelled the key on the two memories. */
  byKeyVariant: { variant: string; pairs: number; superseded: number; updatesMissed: number }[];
  /** Coexist pairs superseded, by what the newer memory added. */
  wrongByKind: Record<string, number>;
  engineAgrees: number;
  engineDisagrees: string[];
}

interface ConsolidationPair {
  id: string;
  a: string;
  b: string;
  label: 'duplicate' | 'different' | 'update';
  note?: string;
}

interface SupersessionPair {
  id: string;
  key: string;
  keyKind: 'single' | 'multi';
  label: 'update' | 'coexist';
  older: { content: string; metadata: Record<string, string> };
  newer: { content: string; metadata: Record<string, string> };
  note: string;
}

/** Both figures; the engine checks share one memspace in a temporary directory. */
export async function benchRuleQuality(options: { progress?: (line: string) => void } = {}): Promise<{ duplicates: DuplicateFigures; supersession: SupersessionFigures }> {
  const dupPairs = await readLines<ConsolidationPair>(join(DATA_DIR, 'consolidation-pairs.jsonl'));
  const supPairs = await readLines<SupersessionPair>(join(DATA_DIR, 'supersession-pairs.jsonl'));
  const vectors = await embedAll([...new Set(dupPairs.flatMap((p) => [p.a, p.b]))], options.progress);

  // ---- the duplicate rule, pure ----
  const merged = new Set<string>();
  let duplicatesUnderCosine = 0;
  for (const p of dupPairs) {
    const older = record(`${p.id}-a`, p.a, 1, vectors.get(p.a)!);
    const newer = record(`${p.id}-b`, p.b, 2, vectors.get(p.b)!);
    const cos = dot(older.embedding, newer.embedding);
    if (cos < DEFAULT_THRESHOLDS.minCosine) {
      if (p.label === 'duplicate') duplicatesUnderCosine++;
      continue;
    }
    // The pass examines the older memory first and finds the newer among its neighbours.
    if (duplicateGroup(older, [newer], DEFAULT_THRESHOLDS) !== undefined) merged.add(p.id);
  }
  const dups = dupPairs.filter((p) => p.label === 'duplicate');
  const right = dups.filter((p) => merged.has(p.id)).length;
  const kindOf = (p: ConsolidationPair): string => p.note?.split(' ')[1] ?? '';
  const verbatim = dups.filter((p) => kindOf(p) === 'duplicate-verbatim');
  const paraphrase = dups.filter((p) => kindOf(p) !== 'duplicate-verbatim');
  const wrong = dupPairs.filter((p) => p.label !== 'duplicate' && merged.has(p.id));

  // ---- the supersession rule, pure ----
  const superseded = new Set<string>();
  for (const p of supPairs) {
    const older = { ...record(`${p.id}-a`, p.older.content, 1, new Float32Array(0)), metadata: p.older.metadata as JsonObject };
    const newer = { ...record(`${p.id}-b`, p.newer.content, 2, new Float32Array(0)), metadata: p.newer.metadata as JsonObject };
    if (supersessions([older, newer]).some(([o, n]) => o === older.id && n === newer.id)) superseded.add(p.id);
  }
  const supFigures = (list: readonly SupersessionPair[]): { precision: Share; recall: Share } => {
    const made = list.filter((p) => superseded.has(p.id));
    const updates = list.filter((p) => p.label === 'update');
    return { precision: share(made.filter((p) => p.label === 'update').length, made.length), recall: share(updates.filter((p) => superseded.has(p.id)).length, updates.length) };
  };
  const variantOf = (p: SupersessionPair): string => p.note.split(' ')[2] ?? '';
  const wrongByKind: Record<string, number> = {};
  for (const p of supPairs) {
    if (p.label === 'coexist' && superseded.has(p.id)) {
      const kind = p.note.split(' ')[1]!.replace(/^coexist-/, '');
      wrongByKind[kind] = (wrongByKind[kind] ?? 0) + 1;
    }
  }

  // ---- both, end to end: every pair in a scope of its own, one dry-run pass ----
  options.progress?.(`consolidation: storing ${dupPairs.length} + ${supPairs.length} labelled pairs in a space (default local embedder) for a dry-run pass...`);
  const engine = await engineDecisions(dupPairs, supPairs);
  const dupDisagree = dupPairs.filter((p) => merged.has(p.id) !== engine.merged.has(p.id)).map((p) => p.id);
  const supDisagree = supPairs.filter((p) => superseded.has(p.id) !== engine.superseded.has(p.id)).map((p) => p.id);

  return {
    duplicates: {
      pairs: dupPairs.length,
      duplicates: dups.length,
      different: dupPairs.filter((p) => p.label === 'different').length,
      updates: dupPairs.filter((p) => p.label === 'update').length,
      minCosine: DEFAULT_THRESHOLDS.minCosine,
      minOverlap: DEFAULT_THRESHOLDS.minOverlap,
      merges: merged.size,
      precision: share(right, merged.size),
      recall: share(right, dups.length),
      recallVerbatim: share(verbatim.filter((p) => merged.has(p.id)).length, verbatim.length),
      recallParaphrase: share(paraphrase.filter((p) => merged.has(p.id)).length, paraphrase.length),
      duplicatesUnderCosine,
      differentMerged: wrong.filter((p) => p.label === 'different').length,
      updateMerged: wrong.filter((p) => p.label === 'update').length,
      wrongMerges: wrong.map((p) => ({ id: p.id, label: p.label, a: p.a, b: p.b })),
      engineAgrees: dupPairs.length - dupDisagree.length,
      engineDisagrees: dupDisagree,
    },
    supersession: {
      pairs: supPairs.length,
      updates: supPairs.filter((p) => p.label === 'update').length,
      coexist: supPairs.filter((p) => p.label === 'coexist').length,
      superseded: superseded.size,
      ...supFigures(supPairs),
      byKeyKind: (['single', 'multi'] as const).map((kind) => {
        const list = supPairs.filter((p) => p.keyKind === kind);
        return { kind, pairs: list.length, updates: list.filter((p) => p.label === 'update').length, ...supFigures(list) };
      }),
      byKeyVariant: [...new Set(supPairs.map(variantOf))].map((variant) => {
        const list = supPairs.filter((p) => variantOf(p) === variant);
        return { variant, pairs: list.length, superseded: list.filter((p) => superseded.has(p.id)).length, updatesMissed: list.filter((p) => p.label === 'update' && !superseded.has(p.id)).length };
      }),
      wrongByKind,
      engineAgrees: supPairs.length - supDisagree.length,
      engineDisagrees: supDisagree,
    },
  };
}

/**
 * What one dry-run pass of the real engine decides for every pair, each pair in a scope (user)
 * of its own so that pairs never meet: which duplicate pairs it merges and which supersession
 * pairs it supersedes. The older memory of a pair is stored first.
 */
async function engineDecisions(dupPairs: readonly ConsolidationPair[], supPairs: readonly SupersessionPair[]): Promise<{ merged: Set<string>; superseded: Set<string> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'memspace-bench-consolidation-pairs-'));
  const ms = await openMemspace(loadConfig({ dataDir, sync: 'normal' }, {}));
  try {
    await ms.spaces.create({ name: 'pairs' });
    const older = [
      ...dupPairs.map((p) => ({ id: `${p.id}-a`, content: p.a, userId: p.id })),
      ...supPairs.map((p) => ({ id: `${p.id}-a`, content: p.older.content, metadata: p.older.metadata, userId: p.id })),
    ];
    const newer = [
      ...dupPairs.map((p) => ({ id: `${p.id}-b`, content: p.b, userId: p.id })),
      ...supPairs.map((p) => ({ id: `${p.id}-b`, content: p.newer.content, metadata: p.newer.metadata, userId: p.id })),
    ];
    for (const list of [older, newer]) {
      for (let i = 0; i < list.length; i += 64) await ms.memories.addMany('pairs', list.slice(i, i + 64));
    }
    const report = await ms.consolidation.run('pairs', { dryRun: true });
    const merged = new Set<string>();
    const superseded = new Set<string>();
    const pairOf = (id: string): string => id.replace(/-[ab]$/, '');
    for (const g of report.groups ?? []) {
      for (const id of g.ids) (g.kind === 'duplicate' ? merged : superseded).add(pairOf(id));
    }
    return { merged, superseded };
  } finally {
    await ms.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** A memory record as a pass reads it: one scope for every pair. */
function record(id: string, content: string, createdAt: number, embedding: Float32Array): MemoryRecord {
  return {
    id,
    content,
    metadata: {},
    tags: [],
    userId: 'u',
    agentId: null,
    runId: null,
    kind: 'fact',
    importance: 0.5,
    createdAt,
    updatedAt: createdAt,
    expiresAt: null,
    embedding,
    accessCount: 0,
    lastAccessedAt: null,
    supersededBy: null,
  };
}

/** `hits` of `of`, with its 95% Wilson score interval. */
export function share(hits: number, of: number): Share {
  if (of === 0) return { hits, of, value: Number.NaN, low: Number.NaN, high: Number.NaN };
  const z = 1.959964;
  const p = hits / of;
  const denominator = 1 + (z * z) / of;
  const centre = (p + (z * z) / (2 * of)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / of + (z * z) / (4 * of * of))) / denominator;
  return { hits, of, value: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

async function readLines<T>(file: string): Promise<T[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/**
 * Unit vectors of `texts` from the default local embedder (one worker), cached under
 * bench/out/cache/ keyed by the embedder and the texts (the scheme of
 * bench/consolidation-thresholds.ts, so one embedding serves both).
 */
async function embedAll(texts: readonly string[], progress?: (line: string) => void): Promise<Map<string, Float32Array>> {
  const key = createHash('sha256').update(LOCAL_EMBEDDER_ID).update('\u0000').update(texts.join('\u0000')).digest('hex').slice(0, 16);
  const cacheFile = join(CACHE_DIR, `consolidation-${key}.f32`);
  let flat: Float32Array;
  if (existsSync(cacheFile)) {
    const buffer = await readFile(cacheFile);
    flat = new Float32Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));
    progress?.(`consolidation: vectors of ${texts.length} texts from ${relative(process.cwd(), cacheFile)}`);
  } else {
    const embedder = new LocalEmbedder({ poolSize: 1 });
    const started = performance.now();
    try {
      flat = new Float32Array(texts.length * embedder.dimension);
      for (let i = 0; i < texts.length; i += 64) (await embedder.embed(texts.slice(i, i + 64))).forEach((v, j) => flat.set(v, (i + j) * embedder.dimension));
    } finally {
      await embedder.close();
    }
    progress?.(`consolidation: embedded ${texts.length} texts in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    await mkdir(CACHE_DIR, { recursive: true });
    await writeFile(cacheFile, Buffer.from(flat.buffer, flat.byteOffset, flat.byteLength));
  }
  const dimension = flat.length / texts.length;
  return new Map(texts.map((t, i) => [t, unit(flat.subarray(i * dimension, (i + 1) * dimension))]));
}

function unit(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  return v.map((x) => x / norm);
}

function dot(x: Float32Array, y: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]! * y[i]!;
  return sum;
}
