import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { MemoryRecord, WriteContext } from '../../../src/core/types.js';
import { SqliteSpaceStore, type SqliteSpaceOptions } from '../../../src/store/sqlite/sqlite-space-store.js';

/** Dimension of the test vectors: small, and a multiple of 4 so the WebAssembly kernel runs. */
export const DIM = 8;

const dirs: string[] = [];
const stores: SqliteSpaceStore[] = [];

afterAll(async () => {
  for (const s of stores) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory, removed after the file's tests. */
export function tempDir(prefix = 'memspace-store-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** A store on a fresh database in its own directory (closed after the file's tests). */
export function newStore(options: SqliteSpaceOptions = {}, dir = tempDir()): { store: SqliteSpaceStore; dir: string; file: string } {
  const file = join(dir, 'space.db');
  const store = new SqliteSpaceStore(file, DIM, { create: true, ...options });
  stores.push(store);
  return { store, dir, file };
}

/** Opens a store on an existing database file (closed after the file's tests). */
export function openStore(file: string, options: SqliteSpaceOptions = {}): SqliteSpaceStore {
  const store = new SqliteSpaceStore(file, DIM, options);
  stores.push(store);
  return store;
}

/** A unit vector pointing mostly along `axis`. */
export function unit(axis: number, tilt = 0.05): Float32Array {
  const v = Float32Array.from({ length: DIM }, (_, i) => (i === axis % DIM ? 1 : tilt * Math.sin(i + axis)));
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

/** A memory with sensible defaults. */
export function memory(id: string, overrides: Partial<MemoryRecord> = {}): MemoryRecord {
  return {
    id,
    content: `content of ${id}`,
    metadata: { source: 'test' },
    tags: ['t'],
    userId: null,
    agentId: null,
    runId: null,
    kind: 'fact',
    importance: 0.5,
    createdAt: 1_000,
    updatedAt: 1_000,
    expiresAt: null,
    embedding: unit(id.length + id.charCodeAt(id.length - 1)),
    accessCount: 0,
    lastAccessedAt: null,
    supersededBy: null,
    ...overrides,
  };
}

/** A write context at time `now`. */
export function ctx(now = 10_000, actor: string | null = 'tester'): WriteContext {
  return { actor, now, requestId: null };
}

/** What a failed write must leave untouched. */
export async function footprint(
  store: SqliteSpaceStore,
): Promise<{ memories: number; relations: number; contexts: number; payloadBytes: number; lastSeq: number; audit: number; history: number }> {
  const stats = await store.stats();
  const audit = await store.auditEntries({ limit: 1_000_000 });
  let history = 0;
  for (let after = 0; ; ) {
    const page = await store.dump('history', after, 1000);
    history += page.chunk.history?.length ?? 0;
    if (page.next === null) break;
    after = page.next;
  }
  const { memories, relations, contexts, payloadBytes, lastSeq } = stats;
  return { memories, relations, contexts, payloadBytes, lastSeq, audit: audit.length, history };
}

/** Lets callbacks scheduled with setImmediate by the last write run (no timers, no sleeping). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
