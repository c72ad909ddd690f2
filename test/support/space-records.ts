import Database from 'better-sqlite3';
import { columnCondition } from '../../src/core/filter.js';
import type { SpaceStore } from '../../src/core/ports/space-store.js';
import { DEFAULT_FEEDBACK_SETTINGS } from '../../src/core/feedback.js';
import { DEFAULT_CONSOLIDATION_SETTINGS } from '../../src/core/space-settings.js';
import type { ContextRecord, DumpChunk, MemoryRecord, SpaceRecord, WriteContext } from '../../src/core/types.js';

/** Dimension of the vectors of the spaces these helpers make. */
export const SMALL_DIM = 4;

/** A catalogue record for `backend.createSpace`: embedder `none`, {@link SMALL_DIM} dimensions. */
export function spaceRecord(name: string, over: Partial<SpaceRecord> = {}): SpaceRecord {
  return {
    name,
    project: null,
    inherited: [],
    description: '',
    isolation: 'strict',
    sensitivity: 'low',
    retentionDays: null,
    quotas: { maxMemories: null, maxBytes: null, maxRequestsPerSecond: null },
    consolidation: { ...DEFAULT_CONSOLIDATION_SETTINGS },
    feedback: DEFAULT_FEEDBACK_SETTINGS,
    labels: {},
    embedder: 'none',
    dimension: SMALL_DIM,
    encryption: false,
    createdAt: 1_000,
    updatedAt: 1_000,
    state: 'idle',
    ...over,
  };
}

/** A unit vector of {@link SMALL_DIM} numbers along `axis`. */
export function unit(axis: number): Float32Array {
  const v = new Float32Array(SMALL_DIM);
  v[axis % SMALL_DIM] = 1;
  return v;
}

/** A memory row as a store persists it. */
export function memoryRow(id: string, content: string, axis: number, at = 2_000): MemoryRecord {
  return {
    id,
    content,
    metadata: { n: axis },
    tags: ['t'],
    userId: null,
    agentId: null,
    runId: null,
    kind: 'fact',
    importance: 0.5,
    createdAt: at,
    updatedAt: at,
    expiresAt: null,
    embedding: unit(axis),
    accessCount: 0,
    lastAccessedAt: null,
    supersededBy: null,
  };
}

/** A context row as a store persists it (sizes are recomputed by the store). */
export function contextRow(id: string, content: string, at = 2_000): ContextRecord {
  return { id, content, summary: content.slice(0, 10), metadata: {}, embedding: unit(1), createdAt: at, originalBytes: 0, storedBytes: 0 };
}

/** A write context at `now`. */
export function writeCtx(now = 2_000): WriteContext {
  return { actor: 'test', now, requestId: null };
}

/** Fills a store with memories, an update, a delete, a relation, a context and an extra audit entry. */
export async function fillSpace(store: SpaceStore, memories = 5): Promise<void> {
  await store.insertMemories(
    Array.from({ length: memories }, (_, i) => memoryRow(`m${i}`, `memory number ${i} about apples`, i)),
    writeCtx(),
  );
  await store.updateMemory({ ...memoryRow('m1', 'memory one, now about pears', 1), updatedAt: 3_000 }, writeCtx(3_000));
  await store.deleteMemories(columnCondition('id', 'eq', `m${memories - 1}`), writeCtx(3_100));
  await store.insertRelation({ id: 'r1', from: 'm0', to: 'm1', type: 'about', weight: 1, metadata: {}, createdAt: 3_200 }, writeCtx(3_200));
  await store.insertContext(contextRow('c1', 'a long context window '.repeat(50)), writeCtx(3_300));
  await store.appendAudit({ action: 'request.denied', ids: [], details: { why: 'test' } }, writeCtx(3_400));
}

/** Every part of a store's dump, all pages. */
export async function fullDump(store: SpaceStore): Promise<Required<DumpChunk>> {
  const out: Required<DumpChunk> = { memories: [], history: [], relations: [], contexts: [], audit: [], pheromones: [], narrative: [] };
  for (const part of Object.keys(out) as (keyof DumpChunk)[]) {
    let after = 0;
    for (;;) {
      const page = await store.dump(part, after, 100);
      (out[part] as unknown[]).push(...((page.chunk[part] as unknown[] | undefined) ?? []));
      if (page.next === null) break;
      after = page.next;
    }
  }
  return out;
}

/** Every row of every table of a SQLite file, as sorted JSON lines per table (blobs as hex). */
export function tableRows(file: string): Record<string, string[]> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all() as string[];
    const out: Record<string, string[]> = {};
    for (const table of tables) {
      const rows = db.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[];
      out[table] = rows
        .map((row) => JSON.stringify(Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('hex') : v])))
        .sort();
    }
    return out;
  } finally {
    db.close();
  }
}
