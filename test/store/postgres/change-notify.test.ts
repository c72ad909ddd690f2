import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { columnCondition } from '../../../src/core/filter.js';
import { PostgresBackend } from '../../../src/store/postgres/postgres-backend.js';
import { CHANGES_CHANNEL } from '../../../src/store/postgres/space-tx.js';
import { startPglite, type PgliteServer } from '../../support/pglite.js';
import { memoryRow, spaceRecord, writeCtx } from '../../support/space-records.js';

/**
 * What a write announces: a NOTIFY on the changes channel with its space id, at commit, and
 * only when it added change events; and the local ring of the backend's bell. (PGlite has one
 * session shared by every connection, so the notification comes back on the connection that
 * committed: the pool's clients are where this test hears it. Delivery to another session is
 * change-listener.test.ts, on a real PostgreSQL.)
 */

let server: PgliteServer;
let backend: PostgresBackend;
const notified: string[] = [];
const rung: string[] = [];

beforeAll(async () => {
  server = await startPglite();
  backend = await PostgresBackend.connect({ url: server.url, poolSize: 2 });
  const heard = new WeakSet<pg.PoolClient>();
  backend.connectionPool.on('acquire', (client) => {
    if (heard.has(client)) return;
    heard.add(client);
    client.on('notification', (n) => n.channel === CHANGES_CHANNEL && notified.push(String(n.payload)));
  });
  for (const name of ['Red', 'blue']) await backend.spaces.create(spaceRecord(name));
  for (const key of ['red', 'blue']) backend.changeBell.listen(key, () => rung.push(key));
}, 60_000);

afterAll(async () => {
  await backend?.close();
  await server?.stop();
});

/** Waits for the notifications a finished write may still have in flight (one round trip on a fresh query). */
async function settle(): Promise<void> {
  await backend.connectionPool.query('SELECT 1');
}

describe('postgres writes announce their changes', () => {
  it('a committed write notifies with its space id and rings the bell; a failed write and a read do neither', async () => {
    const red = await backend.spaces.open(spaceRecord('Red'));
    notified.length = 0;
    rung.length = 0;
    await red.insertMemories([memoryRow('a', 'first', 0)], writeCtx());
    await settle();
    expect(notified).toEqual(['red']);
    expect(rung).toEqual(['red']);

    await expect(red.insertMemories([memoryRow('a', 'again', 1)], writeCtx())).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await red.deleteMemories(columnCondition('id', 'eq', 'ghost'), writeCtx())).toBe(0); // no events: nothing to announce
    await red.getMemories(['a']);
    await red.changes(0, 10);
    await settle();
    expect(notified).toEqual(['red']);
    expect(rung).toEqual(['red']);

    const blue = await backend.spaces.open(spaceRecord('blue'));
    await blue.insertMemories([memoryRow('b', 'other', 2)], writeCtx());
    await settle();
    expect(notified).toEqual(['red', 'blue']);
    expect(rung).toEqual(['red', 'blue']);
  });
});
