import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MATCH_ALL, parseFilter } from '../../../src/core/filter.js';
import type { SpaceStore } from '../../../src/core/ports/space-store.js';
import type { MemoryRecord } from '../../../src/core/types.js';
import { PostgresBackend } from '../../../src/store/postgres/postgres-backend.js';
import { annVectorQuery, exactVectorQuery } from '../../../src/store/postgres/space-search.js';
import { inSpace } from '../../../src/store/postgres/space-tx.js';
import { hnswIndexName } from '../../../src/store/postgres/vector-index.js';
import { startPglite, type PgliteServer } from '../../support/pglite.js';
import { memoryRow, spaceRecord, writeCtx } from '../../support/space-records.js';

const DIM = 32;
const THRESHOLD = 200;
const ROWS = 2_000;
const QUERIES = 30;
const K = 10;
/** Rows of the same dimension in another space: the big space is a quarter of what the index holds. */
const DECOYS = 6_000;

let server: PgliteServer;
let backend: PostgresBackend;
let big: SpaceStore;
let small: SpaceStore;
const queries: Float32Array[] = [];

/** Deterministic pseudo-random numbers (mulberry32), so recall does not vary between runs. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A random unit vector (Gaussian coordinates, so directions are uniform). */
function randomUnit(next: () => number): Float32Array {
  const v = new Float32Array(DIM);
  let norm = 0;
  for (let i = 0; i < DIM; i++) {
    const g = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
    v[i] = g;
    norm += g * g;
  }
  for (let i = 0; i < DIM; i++) v[i]! /= Math.sqrt(norm);
  return v;
}

function row(id: string, embedding: Float32Array): MemoryRecord {
  return { ...memoryRow(id, `memory ${id}`, 0), metadata: { n: Number(id.slice(1)) % 2 }, embedding };
}

async function space(name: string, rows: MemoryRecord[]): Promise<SpaceStore> {
  const record = spaceRecord(name, { dimension: DIM });
  await backend.spaces.create(record);
  const store = await backend.spaces.open(record);
  for (let i = 0; i < rows.length; i += 500) await store.insertMemories(rows.slice(i, i + 500), writeCtx());
  return store;
}

beforeAll(async () => {
  server = await startPglite();
  backend = await PostgresBackend.connect({ url: server.url, poolSize: 4, annThreshold: THRESHOLD });
  const next = rng(42);
  for (let q = 0; q < QUERIES; q++) queries.push(randomUnit(next));
  big = await space('big', Array.from({ length: ROWS }, (_, i) => row(`b${i}`, randomUnit(next))));
  // Decoys of the same dimension in other spaces: the same index holds them, and each query's
  // own vector (similarity 1) sits there, so any leak would top the results.
  await space('decoys', [...Array.from({ length: DECOYS }, (_, i) => row(`d${i}`, randomUnit(next))), ...queries.map((v, q) => row(`q${q}`, v))]);
  small = await space('small', Array.from({ length: THRESHOLD - 1 }, (_, i) => row(`s${i}`, randomUnit(next))));
  await big.settleIndex(); // builds the index of dimension 32
}, 180_000);

afterAll(async () => {
  await backend?.close();
  await server?.stop();
});

/** The plan of a query as the store runs it: in the space's transaction, with the HNSW settings. */
async function plan(spaceId: string, query: { text: string; values: unknown[] }): Promise<string> {
  return inSpace(backend.database, spaceId, async (db) => {
    const rows = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${query.text}`, query.values)).rows;
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  });
}

/** How many scans of the HNSW index the database has counted so far. */
async function hnswScans(): Promise<number> {
  const pool = backend.connectionPool;
  // Statistics are flushed at most once a second unless forced; the snapshot is per transaction.
  await pool.query('SELECT pg_stat_force_next_flush()');
  await pool.query('SELECT 1');
  const rows = (await pool.query<{ n: string }>('SELECT pg_stat_clear_snapshot(), idx_scan AS n FROM pg_stat_user_indexes WHERE indexrelname = $1', [hnswIndexName(DIM)])).rows;
  return Number(rows[0]?.n ?? 0);
}

describe('approximate vector search (per-dimension partial HNSW)', () => {
  it('builds one valid partial index for the dimension', async () => {
    const rows = (
      await backend.connectionPool.query<{ def: string; valid: boolean }>(
        `SELECT pg_get_indexdef(i.indexrelid) AS def, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1`,
        [hnswIndexName(DIM)],
      )
    ).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.valid).toBe(true);
    expect(rows[0]!.def).toMatch(/USING hnsw \(\(\(embedding\)::vector\(32\)\) vector_cosine_ops\) WITH \(m='?16'?, ef_construction='?64'?\) WHERE \(dimension = 32\)/);
    await big.settleIndex(); // a second call builds nothing
  });

  it('the approximate query walks the HNSW index; the exact one does not', async () => {
    const ann = await plan('big', annVectorQuery('big', queries[0]!, undefined, K, 0));
    expect(ann).toContain(`Index Scan using ${hnswIndexName(DIM)}`);
    const exact = await plan('big', exactVectorQuery('big', queries[0]!, undefined, K, 0));
    expect(exact).not.toContain('hnsw');
    // And the store runs them so: only the default search counts an index scan.
    const before = await hnswScans();
    await big.vectorSearch(queries[0]!, undefined, K, 0, { exact: true });
    await small.vectorSearch(queries[0]!, undefined, K, 0);
    expect(await hnswScans()).toBe(before);
    await big.vectorSearch(queries[0]!, undefined, K, 0);
    expect(await hnswScans()).toBe(before + 1);
  });

  it('recall@10 against the exact search is at least 0.9 over 30 queries, with exact scores, filtered or not', async () => {
    const odd = parseFilter({ 'metadata.n': 1 }); // half the space, an eighth of the index
    for (const filter of [undefined, odd]) {
      let found = 0;
      for (const q of queries) {
        const approx = await big.vectorSearch(q, filter, K, 0);
        const exact = await big.vectorSearch(q, filter, K, 0, { exact: true });
        expect(approx).toHaveLength(K);
        const truth = new Set(exact.map((r) => r.id));
        found += approx.filter((r) => truth.has(r.id)).length;
        // Re-ranked by exact distance: exact cosines, in descending order.
        const exactScores = await big.vectorScores(q, approx.map((r) => r.id));
        for (const r of approx) expect(r.score).toBeCloseTo(exactScores.get(r.id)!, 6);
        expect(approx.every((r, i) => i === 0 || r.score <= approx[i - 1]!.score)).toBe(true);
      }
      const recall = found / (QUERIES * K);
      console.info(`postgres HNSW recall@${K}, ${filter ? 'filtered' : 'unfiltered'}, ${QUERIES} queries, ${ROWS} of ${ROWS + DECOYS + QUERIES} rows of dim ${DIM}: ${recall.toFixed(3)}`);
      expect(recall).toBeGreaterThanOrEqual(0.9);
    }
  });

  it("never returns another space's rows, even decoys identical to the query", async () => {
    for (const q of queries) {
      const results = await big.vectorSearch(q, undefined, K, 0);
      expect(results.every((r) => r.id.startsWith('b'))).toBe(true);
      expect(results[0]!.score).toBeLessThan(0.999);
    }
  });

  it('keeps filters and expiry in SQL through the index', async () => {
    const odd = await big.vectorSearch(queries[1]!, parseFilter({ 'metadata.n': 1 }), K, 0);
    expect(odd).toHaveLength(K);
    expect(odd.every((r) => Number(r.id.slice(1)) % 2 === 1)).toBe(true);
    // Far more rows wanted than the filter leaves: the walk falls short and the exact scan answers.
    const none = await big.vectorSearch(queries[1]!, parseFilter({ 'metadata.n': 7 }), K, 0);
    expect(none).toEqual([]);
  });

  it('exact: true gives the exact top k, and small spaces scan exactly', async () => {
    const q = queries[2]!;
    const exact = await big.vectorSearch(q, undefined, K, 0, { exact: true });
    const scores = await big.vectorScores(q, (await big.listMemories({ filter: MATCH_ALL, limit: ROWS, cursor: undefined, order: 'asc' })).items.map((m) => m.id));
    const best = [...scores.values()].sort((a, b) => b - a).slice(0, K);
    exact.forEach((r, i) => expect(r.score).toBeCloseTo(best[i]!, 6));
    expect(await small.vectorSearch(q, undefined, K, 0)).toHaveLength(K);
  });

  it('the first search of a large space of a new dimension starts the build and answers exactly meanwhile', async () => {
    const dim = 8;
    const record = spaceRecord('eights', { dimension: dim });
    await backend.spaces.create(record);
    const store = await backend.spaces.open(record);
    const next = rng(7);
    const vec = (): Float32Array => randomUnit(next).slice(0, dim);
    await store.insertMemories(Array.from({ length: THRESHOLD }, (_, i) => row(`e${i}`, vec())), writeCtx());
    const exists = async (): Promise<boolean> =>
      (await backend.connectionPool.query('SELECT 1 FROM pg_class WHERE relname = $1', [hnswIndexName(dim)])).rows.length === 1;
    expect(await exists()).toBe(false);
    const q = vec();
    const first = await store.vectorSearch(q, undefined, K, 0);
    expect(first).toEqual(await store.vectorSearch(q, undefined, K, 0, { exact: true }));
    await store.settleIndex(); // joins the build the search started
    expect(await exists()).toBe(true);
  });
});
