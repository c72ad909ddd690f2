import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FEEDBACK_SETTINGS, halfLifeMs, halfLivesLeft, NARRATIVE_HALF_LIVES, type FeedbackWrite } from '../../../src/core/feedback.js';
import type { SpaceStore } from '../../../src/core/ports/space-store.js';
import type { SpaceRecord } from '../../../src/core/types.js';
import { PostgresBackend } from '../../../src/store/postgres/postgres-backend.js';
import { startPglite } from '../../support/pglite.js';
import { adminPool, startPostgres } from '../../support/postgres-server.js';
import { memoryRow, spaceRecord, unit, writeCtx } from '../../support/space-records.js';
import { statementsOf } from '../../support/statement-log.js';

/**
 * The feedback state on PostgreSQL beyond what the conformance specs see: its rows scoped and
 * numbered per space, read-modify-writes that concurrent calls cannot interleave, restore, the
 * arithmetic sweep, and a space's deletion; on PGlite, a real PostgreSQL 15 and Citus.
 */

const DAY = 86_400_000;

/** A feedback call of `deposits` (all documents unless named memories) and `vectors`. */
function call(id: string, deposits: FeedbackWrite['deposits'], vectors: Float32Array[] = []): FeedbackWrite {
  return { id, deposits, vectors, halfLifeDays: 1, narrativeRate: 0.5, audit: { action: 'feedback.record', ids: [], details: { targets: deposits.length } } };
}

const doc = (id: string, deposit: number): FeedbackWrite['deposits'][number] => ({ id, deposit, kind: 'document' });

interface Target {
  name: string;
  /** Concurrent transactions of one session: PGlite serves every connection from one, so they cannot wait on each other's locks. */
  concurrent: boolean;
  start(): Promise<{ url: string; stop: () => Promise<void> }>;
}

const TARGETS: Target[] = [
  { name: 'PGlite', concurrent: false, start: () => startPglite() },
  { name: 'postgres 15', concurrent: true, start: () => startPostgres() },
  { name: 'citus', concurrent: true, start: () => startPostgres({ citusWorkers: 2 }) },
];

describe.each(TARGETS)('postgres feedback state ($name)', (target) => {
  let stop: () => Promise<void>;
  let backend: PostgresBackend;
  let admin: pg.Pool;
  let spaces = 0;

  beforeAll(async () => {
    const server = await target.start();
    stop = server.stop;
    backend = await PostgresBackend.connect({ url: server.url, poolSize: 6 });
    admin = adminPool(server.url);
  }, 120_000);

  afterAll(async () => {
    await backend?.close();
    await admin?.end();
    await stop?.();
  });

  const record = (name: string): SpaceRecord => spaceRecord(name, { feedback: { ...DEFAULT_FEEDBACK_SETTINGS } });

  /** A fresh space holding memories m0 and m1. */
  async function newSpace(): Promise<{ name: string; store: SpaceStore }> {
    const name = `f${++spaces}`;
    await backend.spaces.create(record(name));
    const store = await backend.spaces.open(record(name));
    await store.insertMemories([memoryRow('m0', 'zero', 0), memoryRow('m1', 'one', 1)], writeCtx());
    return { name, store };
  }

  const rows = async (table: string, space: string): Promise<Record<string, unknown>[]> =>
    (await admin.query(`SELECT * FROM ${table} WHERE space_id = $1 ORDER BY seq`, [space])).rows;

  it('records deposits and the narrative with one event and entry, and writes nothing for a missing memory', async () => {
    const { name, store } = await newSpace();
    const out = await store.recordFeedback(call('c1', [{ id: 'm0', deposit: 1, kind: 'memory' }, doc('d1', 0.5), doc('d1', 0.5)], [unit(0), unit(1)]), writeCtx(5_000));
    expect(out.pheromones).toEqual([{ id: 'm0', level: 1, updatedAt: 5_000 }, { id: 'd1', level: 1, updatedAt: 5_000 }]);
    expect(await store.pheromones(['d1', 'm0', 'none'])).toEqual(expect.arrayContaining(out.pheromones));
    expect(await store.narrative()).toEqual(out.narrative);
    expect(out.narrative?.updates).toBe(2);
    expect(await store.feedbackStats()).toEqual({ reinforced: 2, narrativeUpdatedAt: 5_000 });
    expect((await store.changes(0, 100)).at(-1)).toMatchObject({ op: 'feedback.recorded', id: 'c1' });
    expect((await store.auditEntries({ limit: 100 })).at(-1)).toMatchObject({ action: 'feedback.record', details: { targets: 3 } });
    expect((await store.verifyAudit()).ok).toBe(true);

    await expect(store.recordFeedback(call('c2', [doc('d2', 1), { id: 'ghost', deposit: 1, kind: 'memory' }], [unit(2)]), writeCtx(6_000))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await store.feedbackStats()).toEqual({ reinforced: 2, narrativeUpdatedAt: 5_000 });
    // Seqs number the space's own pheromones, for the dump's order.
    expect((await rows('pheromones', name)).map((r) => [r.id, Number(r.seq), r.half_lives])).toEqual([['m0', 1, halfLivesLeft(1)], ['d1', 2, halfLivesLeft(1)]]);
  });

  // Registered only where it can run: a skipped test would count as neither a pass nor a failure.
  if (target.concurrent) it('loses no deposit of concurrent calls on one target', async () => {
    const { store } = await newSpace();
    const calls = Array.from({ length: 12 }, (_, i) => store.recordFeedback(call(`c${i}`, [doc('hot', 0.25), doc(`own${i}`, 1)], [unit(i)]), writeCtx(5_000)));
    await Promise.all(calls);
    const [hot] = await store.pheromones(['hot']);
    expect(hot?.level).toBeCloseTo(3, 9);
    expect(await store.feedbackStats()).toEqual({ reinforced: 13, narrativeUpdatedAt: 5_000 });
    expect((await store.narrative())?.updates).toBe(12);
  });

  it('dumps pheromones and narrative in seq order and restores them into another space exactly', async () => {
    const { store } = await newSpace();
    await store.recordFeedback(call('c1', [doc('a', 1), doc('b', -1)], [Float32Array.from([0.6, 0.8, 0, 0])]), writeCtx(5_000));
    await store.recordFeedback(call('c2', [doc('c', 0.3), doc('a', 0.123456789)]), writeCtx(5_000 + Math.round(DAY / 3)));
    const pheromones = await store.dump('pheromones', 0, 2);
    expect(pheromones.chunk.pheromones?.map((p) => p.id)).toEqual(['a', 'b']);
    const rest = await store.dump('pheromones', pheromones.next!, 10);
    expect(rest).toMatchObject({ next: null, chunk: { pheromones: [{ id: 'c' }] } });
    const narrative = await store.dump('narrative', 0, 10);
    expect(narrative.chunk.narrative).toEqual([await store.narrative()]);

    const copy = await newSpace();
    await copy.store.restore({ pheromones: [...pheromones.chunk.pheromones!, ...rest.chunk.pheromones!], narrative: narrative.chunk.narrative! }, 9_000);
    expect(await copy.store.pheromones(['a', 'b', 'c'])).toEqual(await store.pheromones(['a', 'b', 'c']));
    expect(await copy.store.narrative()).toEqual(await store.narrative());
  });

  it('sweeps pheromones once spent and the narrative once its pull is, with one entry; resets everything', async () => {
    const { name, store } = await newSpace();
    await store.recordFeedback(call('c1', [doc('weak', 0.02), doc('strong', 1)], [unit(0)]), writeCtx(0));
    expect(await store.sweepFeedback(DAY / 2, 1, 10, writeCtx(DAY / 2))).toBe(0);
    expect(await store.sweepFeedback(DAY + 1, 1, 10, writeCtx(DAY + 1))).toBe(1); // 0.02 halves to 0.01
    expect(await store.pheromones(['weak', 'strong'])).toMatchObject([{ id: 'strong' }]);
    expect(await store.narrative()).toBeDefined();
    const spent = Math.ceil(halfLifeMs(1) * NARRATIVE_HALF_LIVES);
    expect(await store.sweepFeedback(spent, 1, 10, writeCtx(spent))).toBe(1);
    expect(await store.feedbackStats()).toEqual({ reinforced: 0, narrativeUpdatedAt: null });
    const expiries = (await store.auditEntries({ limit: 100, action: 'feedback.expire' })).map((e) => e.details);
    expect(expiries).toEqual([{ pheromones: 1, narrative: false }, { pheromones: 1, narrative: true }]);

    await store.recordFeedback(call('c2', [doc('x', 1), doc('y', 1)], [unit(1)]), writeCtx(spent));
    expect(await store.resetFeedback(writeCtx(spent))).toEqual({ pheromones: 2, narrative: true });
    expect(await rows('pheromones', name)).toEqual([]);
    expect((await store.changes(0, 100)).at(-1)?.op).toBe('feedback.reset');
  });

  it('names the space in every statement on the feedback tables', async () => {
    const { store } = await newSpace();
    const statements = await statementsOf(backend.connectionPool, async () => {
      await store.recordFeedback(call('c1', [{ id: 'm0', deposit: 1, kind: 'memory' }, doc('d', 1)], [unit(0)]), writeCtx());
      await store.pheromones(['d']);
      await store.narrative();
      await store.feedbackStats();
      await store.dump('pheromones', 0, 10);
      await store.dump('narrative', 0, 10);
      await store.sweepFeedback(3_000, 1, 10, writeCtx(3_000));
      await store.resetFeedback(writeCtx(3_000));
    });
    const touching = statements.filter((sql) => /\b(pheromones|narrative)\b/.test(sql));
    expect(touching.length).toBeGreaterThan(10);
    for (const sql of touching) expect(sql, sql).toMatch(/space_id = \$1|\(space_id[^)]*\)\s*VALUES \(\$1[,)]/);
  });

  it('keeps each space to its own rows, and deleting a space deletes its feedback state', async () => {
    const a = await newSpace();
    const b = await newSpace();
    await a.store.recordFeedback(call('c1', [doc('same', 1)], [unit(0)]), writeCtx());
    await b.store.recordFeedback(call('c1', [doc('same', -1)], [unit(1)]), writeCtx());
    expect((await a.store.pheromones(['same']))[0]?.level).toBe(1);
    expect((await b.store.pheromones(['same']))[0]?.level).toBe(-1);
    expect(await backend.spaces.delete(a.name)).toBe(true);
    expect([...(await rows('pheromones', a.name)), ...(await rows('narrative', a.name))]).toEqual([]);
    expect(await rows('pheromones', b.name)).toHaveLength(1);
    expect(await rows('narrative', b.name)).toHaveLength(1);
    expect((await backend.spaces.get(b.name))?.feedback).toEqual(DEFAULT_FEEDBACK_SETTINGS);
  });
});
