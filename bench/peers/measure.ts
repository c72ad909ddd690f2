/**
 * Drives one {@link PeerSystem} through the same steps as every other: ingest in chunks, prepare,
 * a few untimed warm-up searches, then timed searches one at a time, scored against the exact
 * top k. One peer per process gives clean RSS figures (smoke.ts does that).
 */
import { recallAt } from '../vectors.js';
import type { PeerSystem, VectorItem } from './peer.js';

/** Figures returned by {@link runPeerSearchBench}. */
export interface PeerSearchFigures {
  /** Items per second over the ingest calls only. */
  ingestPerSec: number;
  /** Milliseconds from empty to searchable: every ingest call plus prepare(). */
  buildMs: number;
  /** Median single-search latency. */
  p50Ms: number;
  /** 99th percentile single-search latency. */
  p99Ms: number;
  /** Mean recall@k against the exact top k (named for the usual k = 10). */
  recallAt10: number;
  /** Growth of the process RSS from before the first ingest to after the last search, MiB. */
  rssMiB: number;
}

/** Options of {@link runPeerSearchBench}. */
export interface PeerSearchOptions {
  /** Items per ingest call. @default 1000 */
  chunk?: number;
  /** Untimed searches before measuring, repeating the first queries. @default 10 */
  warmup?: number;
  /** Tenant to search in (the truth must then be that tenant's). @default none */
  tenant?: string;
}

/** The p-th percentile (0-100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Milliseconds since `start` (a `process.hrtime.bigint()`). */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Resident set size in MiB. */
export function rssMiB(): number {
  return process.memoryUsage().rss / 1048576;
}

/**
 * Ingests `data`, prepares, runs every query once (k results each) and returns the figures.
 * The peer is not closed: the caller owns it.
 */
export async function runPeerSearchBench(
  peer: PeerSystem,
  data: readonly VectorItem[],
  queries: readonly Float32Array[],
  truth: readonly Int32Array[],
  k: number,
  options: PeerSearchOptions = {},
): Promise<PeerSearchFigures> {
  const chunk = options.chunk ?? 1000;
  const rssBefore = rssMiB();
  let ingestMs = 0;
  for (let i = 0; i < data.length; i += chunk) {
    const start = process.hrtime.bigint();
    await peer.ingest(data.slice(i, i + chunk));
    ingestMs += msSince(start);
  }
  const prepareStart = process.hrtime.bigint();
  await peer.prepare?.();
  const buildMs = ingestMs + msSince(prepareStart);

  for (let i = 0; i < (options.warmup ?? 10) && queries.length > 0; i++) await peer.search(queries[i % queries.length]!, k, options.tenant);
  const latencies: number[] = [];
  const results: number[][] = [];
  for (const query of queries) {
    const start = process.hrtime.bigint();
    results.push(await peer.search(query, k, options.tenant));
    latencies.push(msSince(start));
  }
  return {
    ingestPerSec: data.length / (ingestMs / 1000),
    buildMs,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    recallAt10: recallAt(k, truth, results),
    rssMiB: rssMiB() - rssBefore,
  };
}
