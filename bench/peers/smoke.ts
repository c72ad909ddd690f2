/**
 * Smoke comparison of every peer on the same clustered 512-d vectors:
 *
 *   node --import tsx bench/peers/smoke.ts [N] [--queries 100] [--peers a,b] [--json out.json]
 *
 * N defaults to 10,000. Each peer runs in its own child process (the same script with
 * `--only <peer>`), so that RSS growth, JIT state and garbage left by one peer do not touch the
 * next; each child regenerates the same seeded data and exact truth, which takes under a second
 * at 10k. Prints one table; with --json also writes the rows.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { clusteredVectors, exactTopK, queryVectors, row } from '../vectors.js';
import { FlatScanPeer } from './flat-scan.js';
import { LanceDbPeer } from './lancedb.js';
import { LangGraphPeer } from './langgraph.js';
import { type PeerSearchFigures, runPeerSearchBench } from './measure.js';
import { createMem0Peer } from './mem0.js';
import { type PeerSystem, type VectorItem, contentFor } from './peer.js';
import { RawHnswlibPeer } from './raw-hnswlib.js';
import { RawUsearchPeer } from './raw-usearch.js';

const DIM = 512;
const K = 10;
const DATA_SEED = 1;
const QUERY_SEED = 2;

/** Every peer the smoke test knows, by key; `default` ones run unless --peers says otherwise. */
const PEERS: Record<string, { default: boolean; create: () => Promise<PeerSystem> }> = {
  flat: { default: true, create: async () => new FlatScanPeer(DIM) },
  usearch: { default: true, create: async () => new RawUsearchPeer({ dim: DIM }) },
  hnswlib: { default: true, create: async () => new RawHnswlibPeer({ dim: DIM }) },
  lancedb: { default: true, create: async () => new LanceDbPeer({ dim: DIM }) },
  'lancedb-hnsw': { default: true, create: async () => new LanceDbPeer({ dim: DIM, index: 'ivf_hnsw_sq' }) },
  'lancedb-ivfpq': { default: true, create: async () => new LanceDbPeer({ dim: DIM, index: 'ivf_pq' }) },
  'lancedb-ivfpq-refine': { default: false, create: async () => new LanceDbPeer({ dim: DIM, index: 'ivf_pq', refineFactor: 10 }) },
  mem0: { default: true, create: () => createMem0Peer({ dim: DIM }) },
  'mem0-file': { default: false, create: () => createMem0Peer({ dim: DIM, storage: 'file' }) },
  langgraph: { default: true, create: async () => new LangGraphPeer(DIM) },
};

/** One row of the smoke table. */
export interface SmokeRow extends PeerSearchFigures {
  key: string;
  system: string;
  version: string;
  n: number;
}

/** Builds one peer over `n` items, measures it, closes it (run in a child process by {@link main}). */
export async function runSmokePeer(key: string, n: number, queryCount: number): Promise<SmokeRow> {
  const spec = PEERS[key];
  if (!spec) throw new Error(`unknown peer ${key}; known: ${Object.keys(PEERS).join(', ')}`);
  const data = clusteredVectors(n, DIM, DATA_SEED);
  const queryData = queryVectors(queryCount, DIM, QUERY_SEED);
  const truth = exactTopK(data, DIM, queryData, K);
  // Views, not copies: every peer copies what it keeps, and 1M copies would double the memory.
  const items: VectorItem[] = Array.from({ length: n }, (_, id) => ({ id, vector: data.subarray(id * DIM, (id + 1) * DIM), content: contentFor(id) }));
  const queries = Array.from({ length: queryCount }, (_, i) => row(queryData, DIM, i));
  const peer = await spec.create();
  try {
    const figures = await runPeerSearchBench(peer, items, queries, truth, K);
    return { key, system: peer.name, version: peer.version, n, ...figures };
  } finally {
    await peer.close();
  }
}

function table(rows: readonly SmokeRow[]): string {
  const header = ['system', 'version', 'ingest/s', 'build s', 'p50 ms', 'p99 ms', 'recall@10', 'RSS Δ MiB'];
  const body = rows.map((r) => [
    r.system,
    r.version,
    r.ingestPerSec.toFixed(0),
    (r.buildMs / 1000).toFixed(2),
    r.p50Ms.toFixed(3),
    r.p99Ms.toFixed(3),
    r.recallAt10.toFixed(3),
    r.rssMiB.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i < 2 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...body.map(line)].join('\n');
}

const RESULT_MARKER = 'SMOKE_RESULT ';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { only: { type: 'string' }, peers: { type: 'string' }, queries: { type: 'string' }, json: { type: 'string' } },
  });
  const n = Number(positionals[0] ?? 10_000);
  const queryCount = Number(values.queries ?? 100);
  if (values.only) {
    const result = await runSmokePeer(values.only, n, queryCount);
    process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
    return;
  }
  const keys = values.peers ? values.peers.split(',') : Object.keys(PEERS).filter((key) => PEERS[key]!.default);
  const rows: SmokeRow[] = [];
  // The machine may be shared: the load average before and after says how much to trust the figures.
  const loadBefore = loadavg()[0]!;
  for (const key of keys) {
    process.stderr.write(`smoke: ${key} at n=${n}...\n`);
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), String(n), '--only', key, '--queries', String(queryCount)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    });
    const line = child.stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
    if (child.status !== 0 || !line) {
      process.stderr.write(`smoke: ${key} failed (exit ${child.status})\n${child.stdout}\n`);
      continue;
    }
    rows.push(JSON.parse(line.slice(RESULT_MARKER.length)) as SmokeRow);
  }
  const loadAfter = loadavg()[0]!;
  console.log(
    `\nPeers on ${n} clustered 512-d unit vectors, ${queryCount} queries, k=${K}, one process per peer, Node ${process.version}\n` +
      `(1-min load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after, on ${availableParallelism()} cores)\n`,
  );
  console.log(table(rows));
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ n, queries: queryCount, k: K, node: process.version, loadBefore, loadAfter, rows }, null, 2)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
