import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { isMemspaceError } from '../../src/core/errors.js';
import { openEngine, type MemspaceEngine } from '../../src/memspace.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { axisVector, tempMemspace } from '../support/temp-memspace.js';

// Engine behaviour of projects on every backend is in test/conformance/specs/projects.ts; these
// tests look at what only one backend has: the embedded backend's in-process usage ledger (spaces
// closed, reopened, archived, recreated) and, on a real PostgreSQL 15, concurrent writers on two
// servers to two spaces of one project.

const DIM = 4;
const mem = (content: string, axis = 0) => ({ content, embedding: axisVector(DIM, axis) });

/** The code of the failure of `p`, or 'ok'. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (error) {
    if (isMemspaceError(error)) return error.code;
    throw error;
  }
}

describe('project quotas on the embedded backend', () => {
  it('counts spaces that are closed, or were never opened by this process, and forgets deleted ones', async () => {
    const first = await tempMemspace();
    await first.projects.create({ name: 'p', quotas: { maxMemories: 4 } });
    for (const name of ['a', 'b', 'c']) await first.spaces.create({ name, project: 'p', embedder: 'none', dimension: DIM });
    await first.memories.addMany('a', [mem('a1'), mem('a2')]);
    await first.memories.add('b', mem('b1'));
    await first.close();
    // A new process: a and b are closed and unknown to it until a write to c makes it read them.
    const ms = await tempMemspace({ dataDir: first.dataDir });
    try {
      expect(ms.registry.isOpen('a')).toBe(false);
      expect(await outcome(ms.memories.addMany('c', [mem('c1'), mem('c2')]))).toBe('QUOTA_EXCEEDED');
      await ms.memories.add('c', mem('c1'));
      expect(await outcome(ms.memories.add('c', mem('c2')))).toBe('QUOTA_EXCEEDED');
      // Closed again after a write: its figures are kept from its close.
      await ms.registry.closeSpace('c');
      expect(await outcome(ms.memories.add('b', mem('b2')))).toBe('QUOTA_EXCEEDED');
      // Archived spaces still count (their archive's manifest).
      await ms.lifecycle.archive('a');
      expect(await outcome(ms.memories.add('b', mem('b2')))).toBe('QUOTA_EXCEEDED');
      // A deleted space no longer counts, and a new space of its name starts empty.
      await ms.spaces.delete('a');
      await ms.spaces.create({ name: 'a', project: 'p', embedder: 'none', dimension: DIM });
      await ms.memories.add('b', mem('b2'));
      await ms.memories.add('a', mem('a-new'));
      expect(await outcome(ms.memories.add('a', mem('a-over')))).toBe('QUOTA_EXCEEDED');
      expect((await ms.projects.get('p')).totals).toMatchObject({ memories: 4, spaces: { total: 3 } });
    } finally {
      await ms.cleanup();
    }
  });

  it('lets many concurrent writers to two spaces fill the project exactly to its quota', async () => {
    const ms = await tempMemspace();
    try {
      await ms.projects.create({ name: 'race', quotas: { maxMemories: 25 } });
      for (const name of ['x', 'y']) await ms.spaces.create({ name, project: 'race', embedder: 'none', dimension: DIM });
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => outcome(ms.memories.add(i % 2 === 0 ? 'x' : 'y', mem(`m${i}`, i)))));
      expect(results.filter((r) => r === 'ok')).toHaveLength(25);
      expect(results.filter((r) => r === 'QUOTA_EXCEEDED')).toHaveLength(15);
      expect((await ms.projects.get('race')).totals.memories).toBe(25);
    } finally {
      await ms.cleanup();
    }
  });
});

describe('project quotas on PostgreSQL 15, two servers writing at once', () => {
  let pg: PostgresServer;
  let servers: MemspaceEngine[];

  beforeAll(async () => {
    pg = await startPostgres();
    servers = [];
    for (let i = 0; i < 2; i++) servers.push(await openEngine(loadConfig({ backend: 'postgres', pgUrl: pg.url, pgPoolSize: 6 }, {})));
  }, 120_000);
  afterAll(async () => {
    for (const s of servers ?? []) await s.close();
    await pg?.stop();
  });

  it('never lets concurrent batches into two spaces of one project cross its quotas together', async () => {
    const [one, two] = servers as [MemspaceEngine, MemspaceEngine];
    const batch = (tag: string) => [mem(`${tag}-a`, 0), mem(`${tag}-b`, 1), mem(`${tag}-c`, 2)];
    // Each round, two batches that each fit alone race through two servers into two spaces of a
    // project with room for one: exactly one lands, whole, the other writes nothing.
    for (let round = 0; round < 12; round++) {
      const project = `pg-race-${round}`;
      await one.projects.create({ name: project, quotas: { maxMemories: 4, maxBytes: null } });
      await one.spaces.create({ name: `${project}-x`, project, embedder: 'none', dimension: DIM });
      await one.spaces.create({ name: `${project}-y`, project, embedder: 'none', dimension: DIM });
      const results = await Promise.all([outcome(one.memories.addMany(`${project}-x`, batch('x'))), outcome(two.memories.addMany(`${project}-y`, batch('y')))]);
      expect(results.sort(), `round ${round}`).toEqual(['QUOTA_EXCEEDED', 'ok']);
      const x = (await one.spaces.get(`${project}-x`)).stats.memories;
      const y = (await two.spaces.get(`${project}-y`)).stats.memories;
      expect([x, y].sort()).toEqual([0, 3]);
      expect((await two.projects.get(project)).totals.memories).toBe(3);
    }
  });
});
