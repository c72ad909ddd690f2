import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { columnCondition } from '../../../src/core/filter.js';
import { migrate, SPACE_MIGRATIONS } from '../../../src/store/sqlite/space-schema.js';
import { USAGE_SCAN_SQL, USAGE_SQL } from '../../../src/store/sqlite/space-usage.js';
import { ctx, DIM, memory, openStore, tempDir, unit } from './store-fixtures.js';

/** Payload bytes of a memory as migration 3 defines them, computed here independently. */
function memoryPayload(content: string, metadata: string, tags: string): number {
  return Buffer.byteLength(content, 'utf8') + metadata.length + tags.length + DIM * 4;
}

/** A database exactly as release 2 of the schema left it, with a few rows. */
function version2Database(): { file: string; payload: number } {
  const file = join(tempDir(), 'space.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  migrate(db, SPACE_MIGRATIONS.slice(0, 2));
  const insert = db.prepare(`INSERT INTO memories (id, content, metadata, tags, kind, importance, created_at, updated_at, embedding)
    VALUES (?, ?, ?, ?, 'fact', 0.5, ?, ?, ?)`);
  let payload = 0;
  const rows: [string, string, string, string][] = [
    ['a', 'plain ascii', '{"k":1}', '["x"]'],
    ['b', 'naïve café ☕', '{}', '[]'],
    ['c', 'third', '{"nested":{"n":2}}', '["y","z"]'],
  ];
  rows.forEach(([id, content, metadata, tags], i) => {
    const v = unit(i);
    insert.run(id, content, metadata, tags, 100 + i, 100 + i, Buffer.from(v.buffer));
    payload += memoryPayload(content, metadata, tags);
  });
  // Relations created out of id order, two at the same time: the backfill orders by (created_at, id).
  const rel = db.prepare(`INSERT INTO relations (id, from_id, to_id, type, weight, metadata, created_at) VALUES (?, ?, ?, 'r', 1, '{}', ?)`);
  rel.run('r-late', 'a', 'b', 300);
  rel.run('r-z', 'b', 'c', 200);
  rel.run('r-a', 'c', 'a', 200);
  expect(db.pragma('user_version', { simple: true })).toBe(2);
  db.close();
  return { file, payload };
}

describe('space schema, migration 3', () => {
  it('migrates a release-2 database in place: usage backfilled, relations numbered by (created_at, id), indexes present', async () => {
    const { file, payload } = version2Database();
    const store = openStore(file);
    const stats = await store.stats();
    expect(stats).toMatchObject({ memories: 3, relations: 3, contexts: 0, payloadBytes: payload });

    const dumped = await store.dump('relations', 0, 10);
    expect(dumped.chunk.relations!.map((r) => r.id)).toEqual(['r-a', 'r-z', 'r-late']);

    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SPACE_MIGRATIONS.length);
      const indexes = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index'`).pluck().all();
      expect(indexes).toEqual(expect.arrayContaining(['memories_created', 'relations_seq', 'memories_expires']));
    } finally {
      db.close();
    }
  });

  it('keeps the usage row equal to a recount through inserts, updates, deletes, relations and contexts', async () => {
    const { file } = version2Database();
    const store = openStore(file);
    const recount = (): unknown => {
      const db = new Database(file, { readonly: true });
      try {
        const kept = db.prepare(USAGE_SQL).get() as Record<string, number>;
        const scanned = db.prepare(USAGE_SCAN_SQL).get() as Record<string, number>;
        const contexts = db
          .prepare('SELECT count(*) AS n, coalesce(sum(stored_bytes + length(summary) + length(metadata) + length(embedding)), 0) AS bytes FROM contexts')
          .get() as { n: number; bytes: number };
        return { kept, counted: { ...scanned, contexts: contexts.n, payloadBytes: scanned['payloadBytes']! + contexts.bytes } };
      } finally {
        db.close();
      }
    };
    const same = (): void => {
      const { kept, counted } = recount() as { kept: unknown; counted: unknown };
      expect(kept).toEqual(counted);
    };

    await store.insertMemories([memory('m1', { content: 'ünïcödé '.repeat(20) }), memory('m2')], ctx());
    same();
    await store.updateMemory(memory('m1', { content: 'short', metadata: { much: 'more metadata than before' }, tags: ['a', 'b'] }), ctx());
    same();
    store.recordAccess(['m1', 'm2'], 20_000); // access counts change no size
    await store.insertRelation({ id: 'rel', from: 'm1', to: 'm2', type: 'links', weight: 1, metadata: {}, createdAt: 5 }, ctx());
    same();
    await store.insertContext(
      { id: 'ctx', content: 'a long context '.repeat(500), summary: 'sümmary', metadata: { a: 1 }, embedding: unit(3), createdAt: 7, originalBytes: 0, storedBytes: 0 },
      ctx(),
    );
    same();
    await store.deleteMemories(columnCondition('id', 'eq', 'm2'), ctx());
    same();
    await store.deleteContext('ctx', ctx());
    same();
    expect(await store.stats()).toMatchObject({ memories: 4, relations: 3, contexts: 0 });
  });
});
