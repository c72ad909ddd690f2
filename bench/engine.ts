/**
 * Benchmark of the engine on the embedded backend with caller-provided 512-d vectors, so no
 * model time is included: durable single adds, batched adds, hybrid / vector / keyword search
 * at 1k and 10k memories, and the cold open of a closed space followed by its first search.
 * Everything goes through the public service API (validation included), as a client would.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';

import { loadConfig } from '../src/config.js';
import { openEngine, type MemspaceEngine } from '../src/memspace.js';
import { percentile } from '../src/eval/metrics.js';

/** Dimension of every vector in this benchmark (that of the default model, USE-lite). */
export const DIMENSION = 512;

/** Latency figures of a series of timed calls, in milliseconds. */
export interface LatencyFigures {
  /** Number of timed calls. */
  count: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
}

/** Sequential single adds: latency, and the rate they add up to. */
export interface SingleAddFigures extends LatencyFigures {
  /** Adds per second over the whole timed series (`count` / total time). */
  perSec: number;
}

/** Search latency of each mode at one space size. */
export interface SearchFigures {
  /** Memories in the space. */
  memories: number;
  hybrid: LatencyFigures;
  vector: LatencyFigures;
  keyword: LatencyFigures;
}

/** Figures reported by {@link benchEngine}. */
export interface EngineBenchResult {
  dimension: number;
  quick: boolean;
  /** SQLite library version linked into better-sqlite3. */
  sqliteVersion: string;
  /** Directory the data lived in (removed at the end); its file system decides fsync cost. */
  dataDir: string;
  add: {
    /** Sequential durable `addMemory` calls with `sync: 'full'` (the default). */
    singleFull: SingleAddFigures;
    /** The same with `sync: 'normal'` (survives kill -9, not power loss), for comparison. */
    singleNormal: SingleAddFigures;
    /** `addMemories` in batches, `sync: 'full'`. */
    batchFull: {
      batchSize: number;
      total: number;
      /** Memories per second over the timed batches. */
      perSec: number;
      /** Latency of one whole batch. */
      batch: LatencyFigures;
    };
  };
  search: {
    /** Timed queries per mode and size (after the warm-up). */
    queries: number;
    warmUp: number;
    limit: number;
    sizes: SearchFigures[];
  };
  coldOpen: {
    /** `registry.closeSpace` then one hybrid search with a given vector, repeated. */
    firstSearch: LatencyFigures;
    memories: number;
    /** A new `openMemspace` on the same directory (same process, warm OS cache) plus its first hybrid search. */
    reopenMemspaceFirstSearchMs: number;
  };
}

/** Options of {@link benchEngine}. */
export interface EngineBenchOptions {
  /** Fewer repetitions (the space sizes stay the same), to finish within a minute or so. */
  quick: boolean;
}

interface Plan {
  singleAdds: number;
  singleWarmUp: number;
  batchSize: number;
  batchTotal: number;
  searchSizes: number[];
  queries: number;
  searchWarmUp: number;
  coldRepeats: number;
}

const FULL_PLAN: Plan = {
  singleAdds: 2_000,
  singleWarmUp: 100,
  batchSize: 1_000,
  batchTotal: 20_000,
  searchSizes: [1_000, 10_000],
  queries: 300,
  searchWarmUp: 50,
  coldRepeats: 10,
};

const QUICK_PLAN: Plan = {
  singleAdds: 300,
  singleWarmUp: 30,
  batchSize: 1_000,
  batchTotal: 5_000,
  searchSizes: [1_000, 10_000],
  queries: 100,
  searchWarmUp: 20,
  coldRepeats: 5,
};

const CLUSTERS = 50;
/** Standard deviation of a memory's offset from its cluster centre, as a fraction of the centre's length. */
const MEMORY_SPREAD = 0.8;
const SEARCH_LIMIT = 10;

/** Runs the engine benchmark in a temporary data directory, removed at the end. */
export async function benchEngine(options: EngineBenchOptions): Promise<EngineBenchResult> {
  const plan = options.quick ? QUICK_PLAN : FULL_PLAN;
  const root = await mkdtemp(join(tmpdir(), 'memspace-bench-'));
  const corpus = new Corpus(0xbe7c);
  try {
    const singleFull = await benchSingleAdds(join(root, 'full'), 'full', plan, corpus);
    const singleNormal = await benchSingleAdds(join(root, 'normal'), 'normal', plan, corpus);
    const batchFull = await benchBatchAdds(join(root, 'batch'), plan, corpus);
    const { sizes, coldOpen } = await benchSearch(join(root, 'search'), plan, corpus);
    return {
      dimension: DIMENSION,
      quick: options.quick,
      sqliteVersion: sqliteVersion(),
      dataDir: root,
      add: { singleFull, singleNormal, batchFull },
      search: { queries: plan.queries, warmUp: plan.searchWarmUp, limit: SEARCH_LIMIT, sizes },
      coldOpen,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

// ---- the measurements -------------------------------------------------------------------

async function open(dataDir: string, sync: 'full' | 'normal'): Promise<MemspaceEngine> {
  await mkdir(dataDir, { recursive: true });
  return openEngine(loadConfig({ dataDir, sync }, {}));
}

async function createSpace(ms: MemspaceEngine, name: string): Promise<void> {
  await ms.spaces.create({ name, embedder: 'none', dimension: DIMENSION });
}

async function benchSingleAdds(dataDir: string, sync: 'full' | 'normal', plan: Plan, corpus: Corpus): Promise<SingleAddFigures> {
  const ms = await open(dataDir, sync);
  try {
    await createSpace(ms, 'single');
    // Inputs are built before the clock starts: only the service call is timed.
    const inputs = corpus.memories(plan.singleWarmUp + plan.singleAdds);
    for (const input of inputs.slice(0, plan.singleWarmUp)) await ms.memories.add('single', input);
    const latencies: number[] = [];
    for (const input of inputs.slice(plan.singleWarmUp)) {
      const started = process.hrtime.bigint();
      await ms.memories.add('single', input);
      latencies.push(elapsedMs(started));
    }
    const figures = summarize(latencies);
    return { ...figures, perSec: latencies.length / (sum(latencies) / 1000) };
  } finally {
    await ms.close();
  }
}

async function benchBatchAdds(dataDir: string, plan: Plan, corpus: Corpus): Promise<EngineBenchResult['add']['batchFull']> {
  const ms = await open(dataDir, 'full');
  try {
    await createSpace(ms, 'batch');
    // One untimed batch warms up the JIT, the statements and the file.
    await ms.memories.addMany('batch', corpus.memories(plan.batchSize));
    const latencies: number[] = [];
    for (let added = 0; added < plan.batchTotal; added += plan.batchSize) {
      const batch = corpus.memories(Math.min(plan.batchSize, plan.batchTotal - added));
      const started = process.hrtime.bigint();
      await ms.memories.addMany('batch', batch);
      latencies.push(elapsedMs(started));
    }
    return { batchSize: plan.batchSize, total: plan.batchTotal, perSec: plan.batchTotal / (sum(latencies) / 1000), batch: summarize(latencies) };
  } finally {
    await ms.close();
  }
}

async function benchSearch(
  dataDir: string,
  plan: Plan,
  corpus: Corpus,
): Promise<{ sizes: SearchFigures[]; coldOpen: EngineBenchResult['coldOpen'] }> {
  let ms = await open(dataDir, 'full');
  const space = 'search';
  try {
    await createSpace(ms, space);
    const sizes: SearchFigures[] = [];
    let held = 0;
    for (const size of plan.searchSizes) {
      while (held < size) {
        const n = Math.min(5_000, size - held);
        await ms.memories.addMany(space, corpus.memories(n));
        held += n;
      }
      sizes.push(await measureModes(ms, space, size, plan, corpus));
    }

    // Cold open: the space's database, statements and vector index all start from nothing.
    const cold: number[] = [];
    const coldQueries = corpus.queries(plan.coldRepeats + 1);
    for (const query of coldQueries.slice(0, plan.coldRepeats)) {
      await ms.registry.closeSpace(space);
      const started = process.hrtime.bigint();
      await ms.search.run(space, { ...query, mode: 'hybrid', limit: SEARCH_LIMIT });
      cold.push(elapsedMs(started));
    }

    await ms.close();
    const started = process.hrtime.bigint();
    ms = await open(dataDir, 'full');
    await ms.search.run(space, { ...coldQueries[plan.coldRepeats]!, mode: 'hybrid', limit: SEARCH_LIMIT });
    const reopenMemspaceFirstSearchMs = elapsedMs(started);

    return {
      sizes,
      coldOpen: { firstSearch: summarize(cold), memories: held, reopenMemspaceFirstSearchMs },
    };
  } finally {
    await ms.close();
  }
}

async function measureModes(ms: MemspaceEngine, space: string, memories: number, plan: Plan, corpus: Corpus): Promise<SearchFigures> {
  const queries = corpus.queries(plan.searchWarmUp + plan.queries);
  const run = async (mode: 'hybrid' | 'vector' | 'keyword'): Promise<LatencyFigures> => {
    const request = (q: SearchQuery) => (mode === 'keyword' ? { query: q.query, mode, limit: SEARCH_LIMIT } : { ...q, mode, limit: SEARCH_LIMIT });
    for (const q of queries.slice(0, plan.searchWarmUp)) await ms.search.run(space, request(q));
    const latencies: number[] = [];
    for (const q of queries.slice(plan.searchWarmUp)) {
      const started = process.hrtime.bigint();
      const { results } = await ms.search.run(space, request(q));
      latencies.push(elapsedMs(started));
      if (results.length === 0) throw new Error(`${mode} search found nothing for "${q.query}"`);
    }
    return summarize(latencies);
  };
  return { memories, hybrid: await run('hybrid'), vector: await run('vector'), keyword: await run('keyword') };
}

// ---- statistics -------------------------------------------------------------------------

function elapsedMs(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}


/** Percentiles, mean and maximum of a series of latencies in milliseconds. */
export function summarize(latencies: readonly number[]): LatencyFigures {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    meanMs: sorted.length === 0 ? Number.NaN : sum(sorted) / sorted.length,
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

function sqliteVersion(): string {
  const db = new Database(':memory:');
  try {
    return (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  } finally {
    db.close();
  }
}

// ---- synthetic data ---------------------------------------------------------------------

/** A memory as the service takes it. */
export interface MemoryInput {
  content: string;
  embedding: number[];
  metadata: { source: string; cluster: number; n: number };
  tags: string[];
}

/** A search as a client would send it: text plus a vector near one cluster. */
export interface SearchQuery {
  query: string;
  embedding: number[];
}

const PEOPLE = [
  'the user', 'Alice', 'Bob', 'Carmen', 'Dmitri', 'Emeka', 'Fatima', 'Gustav', 'Hiroshi', 'Ingrid', 'Jamal', 'Kirsten',
  'the manager', 'our CTO', 'the support team', 'a customer', 'the new intern', 'the landlord', 'my sister', 'the doctor',
  'the accountant', 'the designer', 'the vendor', 'the recruiter',
];
const VERBS = [
  'prefers', 'asked about', 'complained about', 'recommended', 'scheduled', 'cancelled', 'mentioned', 'forgot',
  'is worried about', 'wants to learn about', 'approved', 'rejected', 'reviewed', 'ordered', 'returned', 'booked',
  'postponed', 'praised', 'questioned', 'signed off on', 'shared notes on', 'is excited about', 'reported a problem with',
];
const ADJECTIVES = [
  'quarterly', 'urgent', 'new', 'old', 'expensive', 'cheap', 'weekly', 'annual', 'broken', 'shared', 'private', 'remote',
  'local', 'spicy', 'vegetarian', 'early', 'late', 'long', 'short', 'digital', 'printed', 'secure', 'slow', 'fast',
  'blue', 'quiet', 'crowded', 'seasonal', 'detailed', 'draft', 'final', 'monthly',
];
/** Each cluster talks about one topic; the vectors of its memories sit around one centre. */
const TOPICS: readonly (readonly string[])[] = [
  ['invoice', 'payment', 'refund', 'receipt', 'billing', 'discount'],
  ['flight', 'airport', 'luggage', 'boarding', 'layover', 'passport'],
  ['database', 'migration', 'index', 'schema', 'replica', 'backup'],
  ['recipe', 'pasta', 'garlic', 'oven', 'dessert', 'breakfast'],
  ['hiking', 'trail', 'mountain', 'tent', 'backpack', 'summit'],
  ['meeting', 'agenda', 'calendar', 'standup', 'retrospective', 'minutes'],
  ['headphones', 'laptop', 'keyboard', 'monitor', 'charger', 'battery'],
  ['doctor', 'appointment', 'prescription', 'allergy', 'vaccine', 'dentist'],
  ['apartment', 'lease', 'rent', 'deposit', 'heating', 'plumbing'],
  ['contract', 'lawyer', 'clause', 'signature', 'liability', 'invoice'],
  ['garden', 'tomatoes', 'compost', 'seeds', 'watering', 'roses'],
  ['guitar', 'concert', 'rehearsal', 'album', 'drums', 'playlist'],
  ['marathon', 'running', 'shoes', 'stretching', 'pace', 'injury'],
  ['kubernetes', 'cluster', 'deployment', 'container', 'ingress', 'helm'],
  ['tax', 'deduction', 'return', 'accountant', 'audit', 'pension'],
  ['wedding', 'venue', 'guests', 'catering', 'photographer', 'invitations'],
  ['puppy', 'vet', 'leash', 'training', 'kibble', 'walks'],
  ['mortgage', 'interest', 'bank', 'loan', 'savings', 'broker'],
  ['novel', 'chapter', 'author', 'library', 'poetry', 'bookmark'],
  ['car', 'tyres', 'mechanic', 'insurance', 'parking', 'fuel'],
  ['python', 'typescript', 'compiler', 'refactoring', 'tests', 'linter'],
  ['coffee', 'espresso', 'beans', 'grinder', 'latte', 'barista'],
  ['school', 'homework', 'teacher', 'exam', 'semester', 'tuition'],
  ['hotel', 'reservation', 'checkout', 'suite', 'concierge', 'breakfast'],
  ['budget', 'forecast', 'revenue', 'expenses', 'spreadsheet', 'margin'],
  ['security', 'password', 'phishing', 'firewall', 'certificate', 'breach'],
  ['yoga', 'meditation', 'breathing', 'posture', 'mat', 'retreat'],
  ['furniture', 'sofa', 'shelves', 'delivery', 'assembly', 'warranty'],
  ['podcast', 'episode', 'microphone', 'interview', 'editing', 'sponsor'],
  ['vacation', 'beach', 'island', 'snorkeling', 'sunscreen', 'ferry'],
  ['newsletter', 'subscribers', 'campaign', 'open', 'rate', 'unsubscribe'],
  ['printer', 'toner', 'paper', 'scanner', 'driver', 'jam'],
  ['kitchen', 'renovation', 'tiles', 'cabinets', 'plumber', 'countertop'],
  ['birthday', 'cake', 'present', 'party', 'candles', 'balloons'],
  ['hiring', 'interview', 'candidate', 'offer', 'onboarding', 'salary'],
  ['chess', 'opening', 'tournament', 'endgame', 'rating', 'puzzle'],
  ['photography', 'camera', 'lens', 'tripod', 'exposure', 'portrait'],
  ['climate', 'solar', 'panels', 'emissions', 'heat', 'pump'],
  ['analytics', 'dashboard', 'metrics', 'funnel', 'retention', 'cohort'],
  ['skiing', 'slopes', 'snow', 'lift', 'goggles', 'chalet'],
  ['translation', 'spanish', 'vocabulary', 'grammar', 'lessons', 'fluency'],
  ['volunteering', 'charity', 'donation', 'shelter', 'fundraiser', 'food'],
  ['shipping', 'parcel', 'tracking', 'customs', 'courier', 'warehouse'],
  ['sleep', 'insomnia', 'mattress', 'nap', 'alarm', 'routine'],
  ['gaming', 'console', 'multiplayer', 'controller', 'patch', 'server'],
  ['bicycle', 'commute', 'helmet', 'gears', 'puncture', 'lane'],
  ['painting', 'canvas', 'watercolor', 'gallery', 'brushes', 'exhibition'],
  ['phone', 'screen', 'upgrade', 'contract', 'signal', 'roaming'],
  ['nutrition', 'protein', 'vitamins', 'diet', 'calories', 'snacks'],
  ['API', 'endpoint', 'latency', 'rate', 'limit', 'webhook'],
];
const TIMES = [
  '', 'yesterday', 'last week', 'this morning', 'on Monday', 'before the holidays', 'after lunch', 'in March',
  'during the call', 'two days ago', 'next Friday', 'at the offsite',
];
const TAILS = [
  '', 'because the deadline moved', 'and said it was urgent', 'but nobody followed up', 'while travelling to Tokyo',
  'after the outage', 'and asked for a summary by email', 'since the price went up', 'to save time next quarter',
  'with a note about the budget', 'and wants a reminder', 'though the team disagreed',
];
const QUESTION_STARTS = ['what did', 'when did', 'why did', 'has', 'did', 'what does', 'remind me what'];

/** Seeded generator of memories and queries, so every run measures the same data. */
export class Corpus {
  private seed: number;
  private readonly centres: Float64Array[];
  private serial = 0;

  constructor(seed: number) {
    this.seed = seed;
    this.centres = Array.from({ length: CLUSTERS }, () => this.unitGaussian());
  }

  /** `count` memories spread over the clusters, each with text about its cluster's topic. */
  memories(count: number): MemoryInput[] {
    const out: MemoryInput[] = [];
    for (let i = 0; i < count; i++) {
      const cluster = Math.floor(this.random() * CLUSTERS);
      const topic = TOPICS[cluster]!;
      const n = this.serial++;
      const words = [
        capitalize(this.pick(PEOPLE)),
        this.pick(VERBS),
        'the',
        this.pick(ADJECTIVES),
        this.pick(topic),
        this.random() < 0.5 ? `and the ${this.pick(topic)}` : `for the ${this.pick(ADJECTIVES)} ${this.pick(topic)}`,
        this.pick(TIMES),
        this.random() < 0.5 ? this.pick(TAILS) : '',
        this.random() < 0.3 ? `(ref ${n})` : '',
      ];
      out.push({
        content: `${words.filter((w) => w !== '').join(' ')}.`,
        embedding: this.near(cluster),
        metadata: { source: 'bench', cluster, n },
        tags: [`topic-${cluster}`],
      });
    }
    return out;
  }

  /** `count` questions about a random cluster's topic, with a vector near that cluster. */
  queries(count: number): SearchQuery[] {
    const out: SearchQuery[] = [];
    for (let i = 0; i < count; i++) {
      const cluster = Math.floor(this.random() * CLUSTERS);
      const topic = TOPICS[cluster]!;
      const query =
        this.random() < 0.3
          ? `${this.pick(topic)} ${this.pick(topic)}`
          : `${this.pick(QUESTION_STARTS)} ${this.pick(PEOPLE)} say about the ${this.pick(ADJECTIVES)} ${this.pick(topic)}`;
      out.push({ query, embedding: this.near(cluster) });
    }
    return out;
  }

  /** A unit vector at a gaussian offset from a cluster's centre, as plain numbers (what JSON carries). */
  private near(cluster: number): number[] {
    const centre = this.centres[cluster]!;
    const scale = MEMORY_SPREAD / Math.sqrt(DIMENSION);
    const v = new Array<number>(DIMENSION);
    let norm = 0;
    for (let i = 0; i < DIMENSION; i++) {
      const x = centre[i]! + scale * this.gaussian();
      v[i] = x;
      norm += x * x;
    }
    norm = Math.sqrt(norm);
    for (let i = 0; i < DIMENSION; i++) v[i] = v[i]! / norm;
    return v;
  }

  private unitGaussian(): Float64Array {
    const v = new Float64Array(DIMENSION);
    let norm = 0;
    for (let i = 0; i < DIMENSION; i++) {
      v[i] = this.gaussian();
      norm += v[i]! * v[i]!;
    }
    norm = Math.sqrt(norm);
    for (let i = 0; i < DIMENSION; i++) v[i] = v[i]! / norm;
    return v;
  }

  /** Standard normal (Box-Muller). */
  private gaussian(): number {
    const u = 1 - this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  /** mulberry32 */
  private random(): number {
    this.seed = (this.seed + 0x6d2b79f5) | 0;
    let t = Math.imul(this.seed ^ (this.seed >>> 15), 1 | this.seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// Run directly (not imported by the bench runner): print the JSON and write it.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchEngine({ quick: process.argv.includes('--quick') });
  console.log(JSON.stringify(result, null, 2));
  await mkdir('bench/out', { recursive: true });
  await writeFile('bench/out/engine.json', `${JSON.stringify(result, null, 2)}\n`);
}
