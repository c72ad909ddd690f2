import { copyFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_AFTER_MS, CHECKPOINT_WAL_BYTES } from '../../../src/store/sqlite/wal-checkpointer.js';
import { ctx, memory, newStore, nextTurn, openStore } from './store-fixtures.js';

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('WAL checkpoints in the store’s hands, and stats', () => {
  it('reports the oldest uncheckpointed write and checkpoints once it is a second old, after the write', async () => {
    const clock = manualClock();
    const created = newStore();
    await created.store.close(); // a clean close leaves no WAL behind
    const { file } = created;
    const store = openStore(file, { now: clock.now });
    expect((await store.stats()).uncheckpointedSince).toBeNull();
    // Writes that change nothing leave nothing to checkpoint.
    expect(await store.deleteContext('missing', ctx())).toBe(false);
    expect(await store.sweepExpired(clock.now(), null, 10, ctx())).toBe(0);
    expect((await store.stats()).uncheckpointedSince).toBeNull();

    await store.insertMemories([memory('a')], ctx());
    const t0 = clock.now();
    expect((await store.stats()).uncheckpointedSince).toBe(t0);
    await nextTurn(); // the scheduled check runs: not due yet
    expect((await store.stats()).uncheckpointedSince).toBe(t0);

    clock.advance(CHECKPOINT_AFTER_MS / 2);
    await store.insertMemories([memory('b')], ctx());
    await nextTurn();
    expect((await store.stats()).uncheckpointedSince).toBe(t0); // still the first write's time

    clock.advance(CHECKPOINT_AFTER_MS / 2);
    await store.insertMemories([memory('c')], ctx());
    // Acknowledged before any checkpoint: the check is scheduled, not run on the write's path.
    expect((await store.stats()).uncheckpointedSince).toBe(t0);
    await nextTurn();
    expect((await store.stats()).uncheckpointedSince).toBeNull();

    // The rows are in the database file itself now: a copy of that file alone holds them.
    const copy = join(file, '..', 'copy.db');
    copyFileSync(file, copy);
    const db = new Database(copy, { readonly: true });
    try {
      expect(db.prepare('SELECT id FROM memories ORDER BY id').pluck().all()).toEqual(['a', 'b', 'c']);
    } finally {
      db.close();
    }
  });

  it('checkpoints at once when the WAL passes its size limit, whatever the clock says', async () => {
    const clock = manualClock();
    const { store, file } = newStore({ now: clock.now, sync: 'normal' });
    const big = 'z'.repeat(64 * 1024);
    await store.insertMemories(
      Array.from({ length: Math.ceil((CHECKPOINT_WAL_BYTES * 1.5) / big.length) }, (_, i) => memory(`big${i}`, { content: `${i} ${big}` })),
      ctx(),
    );
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(CHECKPOINT_WAL_BYTES);
    // SQLite's own checkpoint (off here) would have run inside that commit and grown the file.
    expect(statSync(file).size).toBeLessThan(CHECKPOINT_WAL_BYTES / 4);
    expect((await store.stats()).uncheckpointedSince).toBe(clock.now());
    await nextTurn();
    expect((await store.stats()).uncheckpointedSince).toBeNull();
    expect(statSync(file).size).toBeGreaterThan(CHECKPOINT_WAL_BYTES);

    // The next write restarts the WAL and cuts it back to the limit, so its size means new frames again.
    await store.insertMemories([memory('small')], ctx());
    expect(statSync(`${file}-wal`).size).toBeLessThanOrEqual(CHECKPOINT_WAL_BYTES);
    await nextTurn();
    expect((await store.stats()).uncheckpointedSince).toBe(clock.now());
  });

  it('truncates the WAL on close, and counts every file of the space directory in bytes', async () => {
    const { store, file, dir } = newStore();
    await store.insertMemories([memory('a'), memory('b')], ctx());
    await store.insertContext({ id: 'c', content: 'context', summary: 's', metadata: {}, embedding: memory('x').embedding, createdAt: 1, originalBytes: 0, storedBytes: 0 }, ctx());
    await store.insertRelation({ id: 'r', from: 'a', to: 'b', type: 't', weight: 1, metadata: {}, createdAt: 1 }, ctx());
    writeFileSync(join(dir, 'vectors.test-derived'), new Uint8Array(12_345));
    const stats = await store.stats();
    const onDisk = ['', '-wal', '-shm'].reduce((sum, suffix) => sum + (existsSync(file + suffix) ? statSync(file + suffix).size : 0), 0);
    expect(stats).toMatchObject({ memories: 2, relations: 1, contexts: 1, walBytes: statSync(`${file}-wal`).size });
    expect(stats.bytes).toBe(onDisk + 12_345);
    expect(stats.walBytes).toBeGreaterThan(0);
    expect(stats.payloadBytes).toBeGreaterThan(0);

    await store.close();
    expect(existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0).toBe(0);
    const again = openStore(file);
    expect(await again.stats()).toMatchObject({ memories: 2, relations: 1, contexts: 1, payloadBytes: stats.payloadBytes, uncheckpointedSince: null });
  });

  it('treats frames left in the WAL by a process that stopped without closing as uncheckpointed', async () => {
    const clock = manualClock(42);
    const { file } = newStore();
    // Another connection writes and keeps its WAL: what a killed process leaves.
    const db = new Database(file);
    db.pragma('wal_autocheckpoint = 0');
    db.prepare(`UPDATE meta SET value = value WHERE key = 'uid'`).run();
    const store = openStore(file, { now: clock.now });
    expect((await store.stats()).uncheckpointedSince).toBe(42);
    await nextTurn();
    clock.advance(CHECKPOINT_AFTER_MS);
    await store.insertMemories([memory('a')], ctx());
    await nextTurn();
    expect((await store.stats()).uncheckpointedSince).toBeNull();
    db.close();
  });
});
