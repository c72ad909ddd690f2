import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { isMemspaceError } from '../../../src/core/errors.js';
import { openEngine, type MemspaceEngine } from '../../../src/memspace.js';
import type { PostgresBackend } from '../../../src/store/postgres/postgres-backend.js';
import { exactVectorQuery } from '../../../src/store/postgres/space-search.js';
import { insertMemoriesQuery } from '../../../src/store/postgres/space-rows.js';
import { inSpace } from '../../../src/store/postgres/space-tx.js';
import { adminPool, startPostgres, type PostgresServer } from '../../support/postgres-server.js';
import { axisVector } from '../../support/temp-memspace.js';

/**
 * memspace on a Citus cluster (a coordinator and two workers, a third added mid-test): the
 * schema distributed by memspace itself, every space's rows and queries on one worker,
 * row-level security enforced on the workers, a worker's outage confined to its spaces, and
 * spaces moved by the rebalancer while they are written to, with nothing lost.
 */

const DIM = 4;
let cluster: PostgresServer;
let ms: MemspaceEngine;
let admin: pg.Pool;

beforeAll(async () => {
  cluster = await startPostgres({ citusWorkers: 2 });
  ms = await openEngine(loadConfig({ backend: 'postgres', pgUrl: cluster.url, pgPoolSize: 4 }, {}));
  admin = adminPool(cluster.url);
}, 120_000);

afterAll(async () => {
  await ms?.close();
  await admin?.end();
  await cluster?.stop();
});

const backend = (): PostgresBackend => ms.backend as PostgresBackend;

/** The port of the worker holding `space`'s rows of `table`. */
async function workerOf(space: string, table = 'memories'): Promise<number> {
  const rows = await admin.query<{ port: number }>(
    `SELECT p.nodeport AS port FROM pg_dist_placement pl JOIN pg_dist_node p ON p.groupid = pl.groupid
     WHERE pl.shardid = get_shard_id_for_distribution_column($1::regclass, $2::text)`,
    [table, space],
  );
  expect(rows.rows).toHaveLength(1); // one placement: no replicas to keep in step
  return rows.rows[0]!.port;
}

async function fill(space: string, count: number, from = 0): Promise<string[]> {
  const added = await ms.memories.addMany(
    space,
    Array.from({ length: count }, (_, i) => ({ content: `${space} memory ${from + i}`, embedding: axisVector(DIM, from + i), tags: ['t'] })),
  );
  return added.map((m) => m.id);
}

/** SHA-256 of a space as an export gives it (memories, relations, history, audit, changes: everything but the header). */
async function digest(space: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const line of ms.transfer.exportSpace(space)) if (line.type !== 'space') hash.update(JSON.stringify(line));
  return hash.digest('hex');
}

/**
 * The query with its parameters written in as literals: Citus forwards the parameters of an
 * EXPLAIN to the worker untyped, where the planner cannot type them (the query itself runs).
 */
function inlined(query: { text: string; values: unknown[] }): string {
  return query.text.replace(/\$(\d+)/g, (_, n: string) => pg.escapeLiteral(literal(query.values[Number(n) - 1])));
}

/** A parameter as SQL text; a vector sent in pgvector's binary form (a Buffer) as its text form. */
function literal(value: unknown): string {
  if (!Buffer.isBuffer(value)) return String(value);
  const floats = Array.from({ length: value.readUInt16BE(0) }, (_, i) => value.readFloatBE(4 + 4 * i));
  return `[${floats.join(',')}]`;
}

/** Names of new spaces until one lives on each of two different workers. */
async function spacesOnTwoWorkers(prefix: string): Promise<[string, string]> {
  const byWorker = new Map<number, string>();
  for (let i = 0; byWorker.size < 2; i++) {
    const name = `${prefix}-${i}`;
    await ms.spaces.create({ name, embedder: 'none', dimension: DIM });
    byWorker.set(await workerOf(name), byWorker.get(await workerOf(name)) ?? name);
  }
  return [...byWorker.values()] as [string, string];
}

describe('memspace on a Citus cluster', () => {
  it('distributes its schema itself: the catalogue on every node, per-space tables by space_id, co-located', async () => {
    const rows = await admin.query<{ name: string; method: string; colocation: number }>(
      `SELECT logicalrelid::regclass::text AS name, partmethod AS method, colocationid AS colocation FROM pg_dist_partition ORDER BY 1`,
    );
    const tables = Object.fromEntries(rows.rows.map((r) => [r.name, r]));
    for (const name of ['spaces', 'keys', 'shares', 'federations', 'federation_participants', 'federation_releases']) expect(tables[name]?.method).toBe('n'); // reference
    const perSpace = ['space_state', 'memories', 'history', 'relations', 'contexts', 'audit', 'changes'];
    for (const name of perSpace) expect(tables[name]?.method).toBe('h'); // hash-distributed
    expect(new Set(perSpace.map((name) => tables[name]!.colocation)).size).toBe(1);
  });

  it('keeps all rows of a space on one worker, and sends each of its queries to that worker alone', async () => {
    const [a, b] = await spacesOnTwoWorkers('placed');
    for (const space of [a, b]) {
      const [first, second] = await fill(space, 3);
      await ms.memories.relate(space, { from: first!, to: second!, type: 'knows' });
      await ms.memories.addContext(space, { content: 'a chat', summary: 'chat', embedding: axisVector(DIM, 1) });
      const home = await workerOf(space);
      for (const table of ['space_state', 'history', 'relations', 'contexts', 'audit', 'changes']) expect(await workerOf(space, table)).toBe(home);
      const search = exactVectorQuery(space, Float32Array.from(axisVector(DIM, 0)), undefined, 10, Date.now());
      const now = Date.now();
      const fields = { id: 'planned', content: 'planned', metadata: {}, tags: [], userId: null, agentId: null, runId: null, kind: 'fact', importance: 0.5 };
      const memory = { ...fields, createdAt: now, updatedAt: now, expiresAt: null, embedding: Float32Array.from(axisVector(DIM, 0)), accessCount: 0, lastAccessedAt: null, supersededBy: null };
      const insert = insertMemoriesQuery(space, [{ memory, payloadBytes: 0 }], 100);
      for (const query of [search, insert]) {
        const plan = await inSpace(backend().database, space, async (db) =>
          (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${inlined(query)}`)).rows.map((r) => r['QUERY PLAN']).join('\n'),
        );
        expect(plan).toContain('Task Count: 1');
        expect(plan).toContain(`port=${home}`);
      }
    }
  });

  it('enforces row-level security on the workers too: the server role sees only the space its transaction names', async () => {
    const [a, b] = await spacesOnTwoWorkers('guarded');
    await fill(a, 2);
    await fill(b, 2);
    for (const worker of cluster.workers) {
      const client = new pg.Client({ connectionString: worker.url.replace('postgres@', 'memspace_app@') });
      await client.connect();
      try {
        // A query that names no space, run on a worker as the role the server's transactions use:
        // the worker itself sends it to the shard of each space, wherever it lives.
        const seen = async (space?: string): Promise<string[]> => {
          await client.query(`BEGIN; SET LOCAL citus.propagate_set_commands = 'local'`);
          if (space !== undefined) await client.query(`SET LOCAL memspace.space = ${pg.escapeLiteral(space)}`);
          try {
            return (await client.query<{ s: string }>(`SELECT DISTINCT space_id AS s FROM memories WHERE space_id IN ($1, $2) ORDER BY 1`, [a, b])).rows.map((r) => r.s);
          } finally {
            await client.query('ROLLBACK');
          }
        };
        expect(await seen()).toEqual([]);
        expect(await seen(a)).toEqual([a]);
        expect(await seen(b)).toEqual([b]);
        await client.query(`SET memspace.space = ${pg.escapeLiteral(a)}`);
        await expect(client.query(`INSERT INTO space_state (space_id) VALUES ($1)`, [`${b}-x`])).rejects.toThrow(/row-level security/);
      } finally {
        await client.end();
      }
    }
  });

  it('answers BACKEND_UNAVAILABLE for the spaces of a stopped worker while the others serve, and shows nothing half-written after', async () => {
    const [down, up] = await spacesOnTwoWorkers('outage');
    await fill(down, 5);
    await fill(up, 5);
    const downPort = await workerOf(down);
    const node = cluster.workers.find((w) => w.port === downPort)!;
    // A batch in flight as the worker stops: it either commits whole or not at all.
    const batch = ms.memories.addMany(
      down,
      Array.from({ length: 200 }, (_, i) => ({ content: `${down} batch ${i}`, embedding: axisVector(DIM, i) })),
    );
    const outcome = batch.then(
      () => 'committed',
      (error: unknown) => (isMemspaceError(error) ? error.code : String(error)),
    );
    await node.stop();
    expect(['committed', 'BACKEND_UNAVAILABLE']).toContain(await outcome);
    await expect(ms.memories.add(down, { content: 'while down', embedding: axisVector(DIM, 0) })).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await expect(ms.search.run(down, { embedding: axisVector(DIM, 0), mode: 'vector' })).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    // The other worker's spaces keep serving, reads and writes.
    await fill(up, 1, 5);
    expect((await ms.search.run(up, { embedding: axisVector(DIM, 1), mode: 'vector', limit: 3 })).results).toHaveLength(3);
    await node.start();
    // A pooled session whose cached connection to the worker died fails once, as unavailable, then reconnects.
    const attempts: string[] = [];
    for (let i = 0; i < 8 && attempts.at(-1) !== 'ok'; i++) {
      attempts.push(await ms.spaces.create({ name: `${down}-after-${i}`, embedder: 'none', dimension: DIM }).then(() => 'ok', (error: unknown) => (isMemspaceError(error) ? error.code : String(error))));
    }
    expect(attempts.at(-1)).toBe('ok');
    expect(attempts.slice(0, -1).every((a) => a === 'BACKEND_UNAVAILABLE')).toBe(true);
    for (let i = 0; i < 4; i++) await ms.spaces.get(down); // every pooled session has reconnected
    const contents = (await ms.memories.list(down, { limit: 1000 })).items.map((m) => m.content);
    const batchRows = contents.filter((c) => c.includes(' batch '));
    expect(batchRows.length === 0 || batchRows.length === 200).toBe(true);
    expect(contents).not.toContain('while down');
    expect((await ms.spaces.get(down)).stats.memories).toBe(contents.length);
    await fill(down, 1, 5); // and it serves again
  });

  it('moves spaces to an added worker while they are written to, losing and changing nothing', async () => {
    const spaces = Array.from({ length: 8 }, (_, i) => `moving-${i}`);
    for (const space of spaces) {
      await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
      await fill(space, 20);
    }
    const quiet = spaces.slice(0, 4); // not written during the move: their exports must not change
    const busy = spaces.slice(4);
    const before = new Map<string, string>();
    for (const space of quiet) before.set(space, await digest(space));

    const third = await cluster.addNode();
    await admin.query(`SELECT citus_add_node('127.0.0.1', $1)`, [third.port]);
    let writing = true;
    const acknowledged = new Map<string, string[]>(busy.map((s) => [s, []]));
    const writer = (async () => {
      for (let n = 0; writing; n++) {
        const space = busy[n % busy.length]!;
        const [id] = await fill(space, 1, 100 + n);
        acknowledged.get(space)!.push(id!);
      }
    })();
    // Online moves (logical replication) cannot write into tables with row-level security, so
    // shards move with their writes held until each move ends (docs/postgres.md).
    await admin.query(`SELECT citus_rebalance_start(shard_transfer_mode => 'block_writes')`);
    await admin.query(`SELECT citus_rebalance_wait()`);
    writing = false;
    await writer;

    const placed = await Promise.all(spaces.map((s) => workerOf(s)));
    expect(placed).toContain(third.port); // some spaces moved to the new worker
    for (const space of quiet) expect(await digest(space)).toBe(before.get(space));
    for (const space of busy) {
      const ids = new Set((await ms.memories.list(space, { limit: 1000 })).items.map((m) => m.id));
      for (const id of acknowledged.get(space)!) expect(ids.has(id)).toBe(true);
      expect((await ms.spaces.get(space)).stats.memories).toBe(20 + acknowledged.get(space)!.length);
      expect(await ms.spaces.verifyAudit(space)).toMatchObject({ ok: true });
    }
    expect([...acknowledged.values()].flat().length).toBeGreaterThan(0);
  }, 180_000);
});
