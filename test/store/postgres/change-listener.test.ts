import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeBell } from '../../../src/core/change-bell.js';
import { ChangeListener } from '../../../src/store/postgres/change-listener.js';
import { CHANGES_CHANNEL } from '../../../src/store/postgres/space-tx.js';
import { startPostgres, type PostgresServer } from '../../support/postgres-server.js';

/**
 * The wake-up of change streams across servers, on a real PostgreSQL: notifications go from
 * one session to another only there (PGlite has a single session). A write notifies inside its
 * transaction, as `SpaceWrite.finish` does.
 */

let server: PostgresServer;
let writer: pg.Client;

beforeAll(async () => {
  server = await startPostgres();
  writer = new pg.Client({ connectionString: server.url });
  await writer.connect();
}, 60_000);

afterAll(async () => {
  await writer?.end();
  await server?.stop();
});

/** Rings of one space, in order, with a way to wait for the next. */
function record(bell: ChangeBell, key: string) {
  const rings: string[] = [];
  let waiting: (() => void) | undefined;
  bell.listen(key, () => {
    rings.push(key);
    waiting?.();
  });
  return {
    rings,
    next: (): Promise<void> => new Promise((resolve) => (waiting = resolve)),
  };
}

async function commitNotify(space: string, commit = true): Promise<void> {
  await writer.query('BEGIN');
  await writer.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, space]);
  await writer.query(commit ? 'COMMIT' : 'ROLLBACK');
}

describe('ChangeListener on a real PostgreSQL', () => {
  it("rings a space's bell when another session commits a notification for it, never for a rollback or another space", async () => {
    const bell = new ChangeBell();
    const listener = await ChangeListener.start({ url: server.url, bell });
    try {
      expect(listener.listening).toBe(true);
      const red = record(bell, 'red');
      const blue = record(bell, 'blue');
      await commitNotify('red', false); // rolled back: never delivered
      const blueRung = blue.next();
      await commitNotify('blue');
      await blueRung;
      // Notifications arrive in commit order, so red's rolled-back one would have come first.
      expect(red.rings).toEqual([]);
      const redRung = red.next();
      await commitNotify('red');
      await redRung;
      expect(red.rings).toEqual(['red']);
      expect(blue.rings).toEqual(['blue']);
    } finally {
      await listener.stop();
    }
  });

  it('reconnects after its connection is killed, wakes every reader to catch up, and hears later notifications', async () => {
    const bell = new ChangeBell();
    const listener = await ChangeListener.start({ url: server.url, bell, retryMs: 10 });
    try {
      const red = record(bell, 'red');
      const pid = await listener.backendPid();
      const caughtUp = red.next();
      await writer.query('SELECT pg_terminate_backend($1)', [pid]);
      while ((await writer.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount) await new Promise((r) => setImmediate(r));
      // Committed while the listener is down: only the catch-up ring covers it.
      await commitNotify('red');
      await caughtUp;
      expect(listener.connections).toBeGreaterThanOrEqual(2);
      expect(await listener.backendPid()).not.toBe(pid);
      const rung = red.next();
      const before = red.rings.length;
      await commitNotify('red');
      await rung;
      expect(red.rings.length).toBe(before + 1);
    } finally {
      await listener.stop();
    }
  });

  it('starts without failing when the database is unreachable, and stops retrying when stopped', async () => {
    const bell = new ChangeBell();
    const listener = await ChangeListener.start({ url: 'postgres://postgres@127.0.0.1:1/postgres', bell, retryMs: 10 });
    expect(listener.listening).toBe(false);
    await listener.stop();
    expect(listener.connections).toBe(0);
  });
});
