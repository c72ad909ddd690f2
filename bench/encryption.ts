/**
 * Encryption at rest (`npm run bench:encryption`): the same figures for a plain space and an
 * encrypted one (SQLite3 Multiple Ciphers, ChaCha20-Poly1305 per page; AES-256-GCM vectors.bin),
 * in one memspace, in one run, measured turn about (plain, encrypted, plain, ...) so that other
 * load on the machine falls on both alike. Both spaces hold the same memories (512-d,
 * caller-given vectors) and search on the main thread (`workers` 1) with the HNSW index off
 * (`annThreshold` 0), exactly, so that what differs is the cipher, not where the index lives (an
 * encrypted space's index is in RAM and rebuilt after each open: docs/encryption.md).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config.js';
import { openEngine } from '../src/memspace.js';
import { Corpus, DIMENSION, type LatencyFigures, summarize } from './engine.js';

/** One figure for both spaces. */
export interface EncryptionPair {
  plain: LatencyFigures;
  encrypted: LatencyFigures;
}

/** Figures reported by {@link benchEncryption}. */
export interface EncryptionBenchResult {
  quick: boolean;
  memories: number;
  dimension: number;
  singleAdd: EncryptionPair;
  hybridSearch: EncryptionPair;
  vectorSearch: EncryptionPair;
  keywordSearch: EncryptionPair;
  /** Close the space, then open it and run one hybrid search (the database opened with its key, vectors.bin decrypted). */
  coldOpenSearch: EncryptionPair;
  /** Bulk load of the memories in batches of 1,000, memories per second. */
  ingestPerSec: { plain: number; encrypted: number };
  loadAverage: { start: number; end: number };
  date: string;
}

const SPACES = { plain: 'bench-plain', encrypted: 'bench-encrypted' } as const;
type Kind = keyof typeof SPACES;

/** Runs the benchmark in a temporary directory, removed afterwards. */
export async function benchEncryption(options: { quick?: boolean; progress?: (line: string) => void } = {}): Promise<EncryptionBenchResult> {
  const quick = options.quick === true;
  const n = quick ? 2_000 : 10_000;
  const rounds = quick ? 100 : 400;
  const loadStart = loadavg()[0] ?? Number.NaN;
  const dataDir = await mkdtemp(join(tmpdir(), 'memspace-bench-enc-'));
  const ms = await openEngine(loadConfig({ dataDir, masterKey: randomBytes(32).toString('hex'), workers: 1, annThreshold: 0, idleTimeoutMs: 0 }, {}));
  try {
    await ms.spaces.create({ name: SPACES.plain, embedder: 'none', dimension: DIMENSION });
    await ms.spaces.create({ name: SPACES.encrypted, embedder: 'none', dimension: DIMENSION, encryption: true });
    const corpus = new Corpus(7);
    const data = corpus.memories(n);
    const ingestMs = { plain: 0, encrypted: 0 };
    for (let at = 0; at < n; at += 1_000) {
      for (const kind of order(at / 1_000)) {
        const started = performance.now();
        await ms.memories.addMany(SPACES[kind], data.slice(at, at + 1_000));
        ingestMs[kind] += performance.now() - started;
      }
    }
    options.progress?.(`encryption: ${n} memories in each space; timing adds and searches turn about`);
    const adds = corpus.memories(rounds);
    const queries = corpus.queries(rounds + 20);
    const timed = async (label: string, count: number, call: (kind: Kind, i: number) => Promise<unknown>): Promise<EncryptionPair> => {
      const series: Record<Kind, number[]> = { plain: [], encrypted: [] };
      for (let i = 0; i < count + 10; i++) {
        for (const kind of order(i)) {
          const started = performance.now();
          await call(kind, i);
          if (i >= 10) series[kind].push(performance.now() - started); // the first 10 warm up
        }
      }
      options.progress?.(`encryption: ${label} done`);
      return { plain: summarize(series.plain), encrypted: summarize(series.encrypted) };
    };
    const singleAdd = await timed('single adds', rounds, (kind, i) => ms.memories.add(SPACES[kind], { ...adds[i % rounds]!, id: `${kind}-add-${i}` }));
    const hybridSearch = await timed('hybrid searches', rounds, (kind, i) => ms.search.run(SPACES[kind], { ...queries[i % queries.length]!, mode: 'hybrid', limit: 10 }));
    const vectorSearch = await timed('vector searches', rounds, (kind, i) => ms.search.run(SPACES[kind], { embedding: queries[i % queries.length]!.embedding, mode: 'vector', limit: 10 }));
    const keywordSearch = await timed('keyword searches', rounds, (kind, i) => ms.search.run(SPACES[kind], { query: queries[i % queries.length]!.query, mode: 'keyword', limit: 10 }));
    const coldOpenSearch = await timed('cold opens', quick ? 5 : 20, async (kind, i) => {
      await ms.registry.closeSpace(SPACES[kind]);
      return ms.search.run(SPACES[kind], { ...queries[i % queries.length]!, mode: 'hybrid', limit: 10 });
    });
    return {
      quick,
      memories: n,
      dimension: DIMENSION,
      singleAdd,
      hybridSearch,
      vectorSearch,
      keywordSearch,
      coldOpenSearch,
      ingestPerSec: { plain: (n / ingestMs.plain) * 1000, encrypted: (n / ingestMs.encrypted) * 1000 },
      loadAverage: { start: loadStart, end: loadavg()[0] ?? Number.NaN },
      date: new Date().toISOString(),
    };
  } finally {
    await ms.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Plain first on even turns, encrypted first on odd ones. */
function order(turn: number): Kind[] {
  return turn % 2 === 0 ? ['plain', 'encrypted'] : ['encrypted', 'plain'];
}

type Report = EncryptionBenchResult | { error: string } | undefined;

/** Rows of the summary table of RESULTS.md. */
export function encryptionRows(res: Report): { figure: string; value: number | undefined; unit: string; error?: string }[] {
  if (res === undefined) return [];
  if ('error' in res) return [{ figure: 'encryption benchmark', value: undefined, unit: '', error: res.error }];
  return [
    { figure: 'encrypted space: single durable add p50', value: res.singleAdd.encrypted.p50Ms, unit: 'ms' },
    { figure: `encrypted space: hybrid search p50 at ${res.memories.toLocaleString('en-US')} (exact)`, value: res.hybridSearch.encrypted.p50Ms, unit: 'ms' },
  ];
}

/** The section of RESULTS.md: each figure for the plain and the encrypted space, and their ratio. */
export function encryptionMarkdown(res: Report): string[] {
  if (res === undefined) return [];
  if ('error' in res) return ['## Encryption at rest', '', `Failed: ${res.error}`, ''];
  const f = (x: number): string => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: 2 }) : '-');
  const row = (label: string, plain: number, encrypted: number, unit: string): string => `| ${label} | ${f(plain)} ${unit} | ${f(encrypted)} ${unit} | ${f(encrypted / plain)} |`;
  const pair = (label: string, p: EncryptionPair): string[] => [row(`${label}: p50`, p.plain.p50Ms, p.encrypted.p50Ms, 'ms'), row(`${label}: p99`, p.plain.p99Ms, p.encrypted.p99Ms, 'ms')];
  return [
    '## Encryption at rest',
    '',
    `Measured by \`bench/encryption.ts\` (\`npm run bench:encryption\`) on ${res.date}: one memspace with a plain space and an encrypted one (SQLite3 Multiple Ciphers, ChaCha20-Poly1305 per page; vectors.bin in AES-256-GCM), each of ${res.memories.toLocaleString('en-US')} memories (${res.dimension}-d, caller-given vectors), timed turn about in the same run, searches on the main thread and exact for both, so that what differs is the cipher. Load average ${f(res.loadAverage.start)} at the start, ${f(res.loadAverage.end)} at the end.`,
    '',
    '| Figure | plain | encrypted | encrypted / plain |',
    '|---|--:|--:|--:|',
    ...pair('single durable add', res.singleAdd),
    ...pair('hybrid search', res.hybridSearch),
    ...pair('vector search', res.vectorSearch),
    ...pair('keyword search', res.keywordSearch),
    ...pair('close, open and first hybrid search', res.coldOpenSearch),
    row('ingest, batches of 1,000', res.ingestPerSec.plain, res.ingestPerSec.encrypted, 'memories/s'),
    '',
  ];
}
