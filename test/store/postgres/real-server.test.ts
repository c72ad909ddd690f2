import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { openEngine, type MemspaceEngine } from '../../../src/memspace.js';
import { hnswIndexName } from '../../../src/store/postgres/vector-index.js';
import { adminPool, startPostgres, type PostgresServer } from '../../support/postgres-server.js';

/**
 * Storage choices that only a real PostgreSQL shows (PGlite hides their cost): vectors kept in
 * their rows, and the HNSW index of a dimension started before a space crosses the threshold.
 */

const DIM = 512;
const THRESHOLD = 400;
let server: PostgresServer;
let ms: MemspaceEngine;
let admin: pg.Pool;

beforeAll(async () => {
  server = await startPostgres();
  ms = await openEngine(loadConfig({ backend: 'postgres', pgUrl: server.url, pgPoolSize: 4, annThreshold: THRESHOLD }, {}));
  admin = adminPool(server.url);
}, 60_000);

afterAll(async () => {
  await ms?.close();
  await admin?.end();
  await server?.stop();
});

let seed = 11;
const random = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
const vector = (): number[] => Array.from({ length: DIM }, random);

async function fill(space: string, count: number): Promise<void> {
  await ms.memories.addMany(
    space,
    Array.from({ length: count }, (_, i) => ({ content: `memory ${i}`, embedding: vector() })),
  );
}

describe('PostgreSQL storage of vectors and their index', () => {
  it('keeps 512-d vectors in their rows, so an exact scan reads no TOAST', async () => {
    await ms.spaces.create({ name: 'inline', embedder: 'none', dimension: DIM });
    await fill('inline', THRESHOLD / 2 - 50); // below where an index would start: this test scans
    const storage = await admin.query<{ storage: string }>(`SELECT attstorage AS storage FROM pg_attribute WHERE attrelid = 'memories'::regclass AND attname = 'embedding'`);
    expect(storage.rows[0]!.storage).toBe('m'); // MAIN
    const toast = await admin.query<{ bytes: string }>(`SELECT pg_relation_size(reltoastrelid) AS bytes FROM pg_class WHERE oid = 'memories'::regclass`);
    expect(Number(toast.rows[0]!.bytes)).toBe(0);
    const hits = await ms.search.run('inline', { embedding: vector(), mode: 'vector', limit: 5 });
    expect(hits.results).toHaveLength(5);
  });

  it("starts the dimension's HNSW index at half the threshold, and searches through it once the space crosses", async () => {
    const index = async (): Promise<boolean | undefined> =>
      (await admin.query<{ valid: boolean }>('SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1', [hnswIndexName(DIM)])).rows[0]?.valid;
    await ms.spaces.create({ name: 'growing', embedder: 'none', dimension: DIM });
    await fill('growing', THRESHOLD / 2 - 10);
    await ms.search.run('growing', { embedding: vector(), mode: 'vector' });
    expect(await index()).toBeUndefined(); // below half: no build
    await fill('growing', 20);
    await ms.search.run('growing', { embedding: vector(), mode: 'vector' });
    await ms.search.settleIndex('growing');
    expect(await index()).toBe(true); // built while the space is still scanned exactly
    await fill('growing', THRESHOLD);
    const query = vector();
    const approximate = await ms.search.run('growing', { embedding: query, mode: 'vector', limit: 10 });
    const exact = await ms.search.run('growing', { embedding: query, mode: 'vector', limit: 10, exact: true });
    const found = new Set(exact.results.map((h) => h.memory.id));
    expect(approximate.results.filter((h) => found.has(h.memory.id)).length).toBeGreaterThanOrEqual(9);
  });
});
