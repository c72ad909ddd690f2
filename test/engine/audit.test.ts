import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditHash } from '../../src/core/audit.js';
import type { AuditEntry } from '../../src/core/views.js';
import { axisVector, tempMemspace } from '../support/temp-memspace.js';

const DIM = 8;
const v = (axis: number): number[] => axisVector(DIM, axis);
const clock = Date.parse('2026-11-01T00:00:00Z');
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let n = 0;

beforeAll(async () => {
  ms = await tempMemspace({ now: () => clock });
});
afterAll(async () => ms.cleanup());

// The audit trail as every backend keeps it is in the conformance suite (test/conformance/specs/audit.ts);
// these tests tamper with the SQLite file itself.

/** A fresh space (lower-case name, so it is also its directory name). */
async function newSpace(prefix = 'a'): Promise<string> {
  const name = `${prefix}${++n}`;
  await ms.spaces.create({ name, embedder: 'none', dimension: DIM });
  return name;
}

/** Every audit entry of a space, paging through the whole trail. */
async function allEntries(space: string, query: Record<string, unknown> = {}): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await ms.spaces.audit(space, { ...query, limit: 1000, ...(cursor !== undefined && { cursor }) });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return out;
}

/** Closes the space and runs `fn` on its database file, as someone with access to the disk could. */
async function onDisk(space: string, fn: (db: Database.Database) => void): Promise<void> {
  await ms.registry.closeSpace(space);
  const db = new Database(join(ms.dataDir, 'spaces', space, 'space.db'));
  try {
    fn(db);
  } finally {
    db.close();
  }
}

/** A space with five entries: three creates, an update and a delete. */
async function fiveEntries(): Promise<{ space: string; ids: string[] }> {
  const space = await newSpace('t');
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await ms.memories.add(space, { content: `memory ${i}`, embedding: v(i) }, { actor: 'k1' })).id);
  await ms.memories.update(space, ids[0]!, { importance: 0.9 }, { actor: 'k1' });
  await ms.memories.delete(space, ids[1]!, { actor: 'k1' });
  return { space, ids };
}
describe('audit trail: tamper evidence', () => {
  it('is append-only in SQL: UPDATE and DELETE abort while the triggers stand', async () => {
    const { space } = await fiveEntries();
    await onDisk(space, (db) => {
      expect(() => db.prepare(`UPDATE audit SET action = 'x' WHERE seq = 2`).run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit WHERE seq = 2').run()).toThrow(/append-only/);
    });
    expect(await ms.spaces.verifyAudit(space)).toEqual({ ok: true, entries: 5 });
  });

  it('names the altered entry when details or action change in the middle', async () => {
    const first = await fiveEntries();
    await onDisk(first.space, (db) => {
      db.exec('DROP TRIGGER audit_no_update');
      db.prepare(`UPDATE audit SET details = '{"fields":[]}' WHERE seq = 4`).run();
    });
    expect(await ms.spaces.verifyAudit(first.space)).toEqual({ ok: false, entries: 5, firstBadSeq: 4, reason: 'entry 4 was altered (its content does not match its hash)' });

    const second = await fiveEntries();
    await onDisk(second.space, (db) => {
      db.exec('DROP TRIGGER audit_no_update');
      db.prepare(`UPDATE audit SET action = 'memory.update' WHERE seq = 3`).run();
    });
    expect(await ms.spaces.verifyAudit(second.space)).toMatchObject({ ok: false, firstBadSeq: 3, reason: expect.stringMatching(/^entry 3 was altered/) });
    // Later writes extend the chain but cannot heal it.
    await ms.memories.add(second.space, { content: 'later', embedding: v(7) });
    expect(await ms.spaces.verifyAudit(second.space)).toMatchObject({ ok: false, entries: 6, firstBadSeq: 3 });
  });

  it('finds a deleted middle entry at the gap', async () => {
    const { space } = await fiveEntries();
    await onDisk(space, (db) => {
      db.exec('DROP TRIGGER audit_no_delete');
      db.prepare('DELETE FROM audit WHERE seq = 3').run();
    });
    expect(await ms.spaces.verifyAudit(space)).toEqual({ ok: false, entries: 4, firstBadSeq: 3, reason: 'entry 3 is missing (the next entry present is 4)' });
  });

  it('finds a broken link when an altered entry was given a fresh hash', async () => {
    const { space } = await fiveEntries();
    await onDisk(space, (db) => {
      db.exec('DROP TRIGGER audit_no_update');
      const row = db.prepare('SELECT * FROM audit WHERE seq = 2').get() as { seq: number; at: number; request_id: string | null; details: string; prev_hash: string };
      const forged = { seq: 2, at: row.at, actor: 'someone-else', action: 'memory.create', ids: ['forged'], requestId: row.request_id, details: JSON.parse(row.details) as { count: number } };
      db.prepare('UPDATE audit SET actor = ?, ids = ?, hash = ? WHERE seq = 2').run(forged.actor, JSON.stringify(forged.ids), auditHash(row.prev_hash, forged));
    });
    expect(await ms.spaces.verifyAudit(space)).toEqual({ ok: false, entries: 5, firstBadSeq: 3, reason: 'entry 3 does not link to entry 2 (prev_hash differs from its hash)' });
  });

  it('reports undecodable rows as altered and a chain that does not start from zeros', async () => {
    const broken = await fiveEntries();
    await onDisk(broken.space, (db) => {
      db.exec('DROP TRIGGER audit_no_update');
      db.prepare(`UPDATE audit SET ids = 'not json' WHERE seq = 5`).run();
    });
    expect(await ms.spaces.verifyAudit(broken.space)).toMatchObject({ ok: false, firstBadSeq: 5, reason: expect.stringMatching(/altered/) });

    const headless = await fiveEntries();
    await onDisk(headless.space, (db) => {
      db.exec('DROP TRIGGER audit_no_delete');
      db.prepare('DELETE FROM audit WHERE seq = 1').run();
    });
    expect(await ms.spaces.verifyAudit(headless.space)).toMatchObject({ ok: false, entries: 4, firstBadSeq: 1, reason: expect.stringMatching(/^entry 1 is missing/) });
  });

  it('gives a space made before the audit existed an empty, valid trail on its next open', async () => {
    const space = await newSpace('old');
    await ms.memories.add(space, { content: 'before', embedding: v(1) });
    await onDisk(space, (db) => {
      // Back to release 1: what migrations 2, 3 and 5 to 8 added goes (triggers and indexes go
      // with their tables), and the keyword index's insert trigger, which migration 4 dropped, comes back.
      db.exec(`DROP INDEX memories_superseded; ALTER TABLE memories DROP COLUMN superseded_by;
        DROP TABLE consolidation_runs; DROP TABLE consolidation_passes; DROP INDEX memories_updated;
        CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
          INSERT INTO memories_fts(rowid, content, tags) VALUES (new.seq, new.content, new.tags);
        END;
        DROP TABLE contexts; DROP TABLE usage;
        DROP TRIGGER memories_usage_insert; DROP TRIGGER memories_usage_delete; DROP TRIGGER memories_usage_update;
        DROP TRIGGER relations_usage_insert; DROP TRIGGER relations_usage_delete;
        DROP INDEX memories_created; DROP INDEX relations_seq; ALTER TABLE relations DROP COLUMN seq;
        DROP TABLE audit; DROP TABLE pheromones; DROP TABLE narrative;`);
      db.pragma('user_version = 1');
    });
    expect(await ms.spaces.verifyAudit(space)).toEqual({ ok: true, entries: 0 });
    await ms.memories.add(space, { content: 'after', embedding: v(2), id: 'after' });
    expect((await allEntries(space)).map((e) => [e.seq, e.ids])).toEqual([[1, ['after']]]);
    // Indexed for keywords once, by the write itself: the old trigger is gone.
    expect((await ms.search.run(space, { query: 'after', mode: 'keyword' })).results.map((h) => h.memory.id)).toEqual(['after']);
  });
});
