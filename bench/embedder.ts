/**
 * Benchmark of the default local embedder (Universal Sentence Encoder lite on the WASM backend):
 * model load time, bulk throughput in calls of 64 texts, and single-sentence latency.
 * The raw LocalEmbedder is measured, without the cache, so every text really runs the model.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';

import { LocalEmbedder } from '../src/embed/index.js';
import { percentile } from '../src/eval/metrics.js';

/** Figures reported by {@link benchEmbedder}. */
export interface EmbedderBenchResult {
  /** Texts per second when embedding 2,000 distinct sentences in sequential calls of 64. */
  sentencesPerSecBatch64: number;
  /** Median latency of a call embedding one sentence, in milliseconds. */
  singleSentenceP50Ms: number;
  /** 99th-percentile latency of a call embedding one sentence, in milliseconds. */
  singleSentenceP99Ms: number;
  /** Worker threads in the pool (one per CPU). */
  poolSize: number;
  /** Time of the first embed() call, which starts the pool and loads the model, in milliseconds. */
  loadMs: number;
}

/** Options of {@link benchEmbedder}; the defaults are what the bench runner uses. */
export interface EmbedderBenchOptions {
  /**
   * Distinct sentences embedded for the throughput figure.
   * @default 2_000
   */
  throughputSentences?: number;
  /**
   * Sequential single-sentence calls timed for the latency figures.
   * @default 100
   */
  latencyCalls?: number;
}

/** Runs the benchmark on a fresh {@link LocalEmbedder} and closes it. */
export async function benchEmbedder(options: EmbedderBenchOptions = {}): Promise<EmbedderBenchResult> {
  const throughputSentences = options.throughputSentences ?? 2_000;
  const latencyCalls = options.latencyCalls ?? 100;
  // One pool of sentences, split so no text is embedded twice across the phases.
  const sentences = makeSentences(throughputSentences + latencyCalls + 1);
  const poolSize = availableParallelism();
  const embedder = new LocalEmbedder({ poolSize });
  try {
    let started = performance.now();
    await embedder.embed([sentences[0] ?? 'warm up']);
    const loadMs = performance.now() - started;
    // The first call needs only one worker; make sure every worker is loaded before timing throughput.
    await embedder.warmUp();

    const bulk = sentences.slice(1, 1 + throughputSentences);
    started = performance.now();
    for (let start = 0; start < bulk.length; start += 64) await embedder.embed(bulk.slice(start, start + 64));
    const sentencesPerSecBatch64 = bulk.length / ((performance.now() - started) / 1000);

    const latencies: number[] = [];
    for (const sentence of sentences.slice(1 + throughputSentences)) {
      started = performance.now();
      await embedder.embed([sentence]);
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);

    return {
      sentencesPerSecBatch64,
      singleSentenceP50Ms: percentile(latencies, 0.5),
      singleSentenceP99Ms: percentile(latencies, 0.99),
      poolSize,
      loadMs,
    };
  } finally {
    await embedder.close();
  }
}


/**
 * Varied, realistic memory-like sentences from templates and a seeded PRNG, so runs are
 * comparable and nothing is downloaded. Lengths range from a few words to two clauses.
 */
function makeSentences(count: number): string[] {
  let seed = 0x5eed;
  const random = (): number => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const people = ['The user', 'Alice', 'Bob from finance', 'The support team', 'Our CTO', 'My sister', 'The new intern', 'A customer in Berlin'];
  const verbs = ['prefers', 'asked about', 'complained about', 'recommended', 'scheduled', 'cancelled', 'is allergic to', 'wants to learn'];
  const objects = [
    'green tea in the morning',
    'the quarterly revenue report',
    'a weekly sync on Thursdays',
    'peanuts and shellfish',
    'the migration to PostgreSQL',
    'hiking trips in the Alps',
    'dark mode in every editor',
    'the invoice for order',
    'Rust and TypeScript',
    'a refund for the broken headphones',
  ];
  const tails = [
    '',
    'yesterday',
    'last week',
    'because the deadline moved',
    'and said it was urgent',
    'during the call with the vendor about pricing and delivery dates',
    'while travelling to Tokyo',
    'after the outage on the payment service',
  ];
  const sentences: string[] = [];
  for (let i = 0; i < count; i++) {
    const tail = pick(tails);
    // The running number keeps every sentence distinct.
    sentences.push(`${pick(people)} ${pick(verbs)} ${pick(objects)} #${i}${tail === '' ? '' : ` ${tail}`}.`);
  }
  return sentences;
}

function formatTable(result: EmbedderBenchResult): string {
  const rows: [string, string][] = [
    ['pool size (workers)', String(result.poolSize)],
    ['model load, first embed (ms)', result.loadMs.toFixed(0)],
    ['throughput, calls of 64 (sentences/s)', result.sentencesPerSecBatch64.toFixed(1)],
    ['single sentence p50 (ms)', result.singleSentenceP50Ms.toFixed(1)],
    ['single sentence p99 (ms)', result.singleSentenceP99Ms.toFixed(1)],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${name.padEnd(width)}  ${value.padStart(8)}`).join('\n');
}

// Run directly (not imported by the bench runner): print the table and write the JSON.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchEmbedder();
  console.log(formatTable(result));
  await mkdir('bench/out', { recursive: true });
  await writeFile('bench/out/embedder.json', `${JSON.stringify(result, null, 2)}\n`);
}
