import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { MIGRATION_LABEL, migrateSpaces } from '../../src/engine/space-migration.js';
import type { ExportLine } from '../../src/core/views.js';
import { openEngine, type MemspaceEngine } from '../../src/memspace.js';
import { cli } from '../support/run-cli.js';
import { startPglite } from '../support/pglite.js';
import { startPostgres } from '../support/postgres-server.js';
import { axisVector, tempDir } from '../support/temp-memspace.js';

const DIM = 4;
const v = (axis: number): number[] => axisVector(DIM, axis);
let pg: { url: string; stop(): Promise<void> };
const dirs: string[] = [];
const open: MemspaceEngine[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function sqlite(): Promise<MemspaceEngine> {
  const dataDir = tempDir('memspace-migrate-');
  dirs.push(dataDir);
  const ms = await openEngine(loadConfig({ dataDir }, {}));
  open.push(ms);
  return ms;
}

async function postgres(): Promise<MemspaceEngine> {
  const ms = await openEngine(loadConfig({ backend: 'postgres', pgUrl: pg.url, pgPoolSize: 4 }, {}));
  open.push(ms);
  return ms;
}

/** A space's export without its header, the audit trail cut at `auditEntries`. */
async function rows(ms: MemspaceEngine, space: string, auditEntries = Infinity): Promise<ExportLine[]> {
  const out: ExportLine[] = [];
  for await (const line of ms.transfer.exportSpace(space)) {
    if (line.type === 'space' || (line.type === 'audit' && line.seq > auditEntries)) continue;
    out.push(line.type === 'memory' ? { ...line, metadata: JSON.parse(JSON.stringify(line.metadata)) as typeof line.metadata } : line);
  }
  return out;
}

async function populate(ms: MemspaceEngine, name: string): Promise<void> {
  await ms.spaces.create({ name, embedder: 'none', dimension: DIM, retentionDays: 90, labels: { team: 'core' } });
  const [a, b, c] = await ms.memories.addMany(name, [
    { content: `${name}: Alice likes tea`, embedding: v(0), tags: ['prefs'], metadata: { topic: 'drinks', n: 1 } },
    { content: `${name}: Bob likes coffee`, embedding: v(1), userId: 'bob' },
    { content: `${name}: a passing thought`, embedding: v(2) },
  ]);
  await ms.memories.update(name, a!.id, { content: `${name}: Alice likes green tea`, embedding: v(0) });
  await ms.memories.relate(name, { from: a!.id, to: b!.id, type: 'knows' });
  await ms.memories.delete(name, c!.id);
  await ms.memories.addContext(name, { content: 'a long chat '.repeat(200), summary: 'chat', embedding: v(3) });
  // The feedback state travels too: reinforcements of a memory and of a reranked document, and the narrative.
  await ms.feedback.record(name, { results: [{ id: a!.id, signal: 'helpful' }, { id: 'doc-1', kind: 'document', signal: 'wrong' }] });
}

/** The PostgreSQL side of each migration: PGlite, and a Citus cluster (into which memspace distributes what it receives). */
const TARGETS = [
  { name: 'PGlite', start: startPglite },
  { name: 'a Citus coordinator with 2 workers', start: () => startPostgres({ citusWorkers: 2 }) },
];

describe.each(TARGETS)('migrating spaces between SQLite and PostgreSQL on $name', ({ start }) => {
  beforeAll(async () => {
    pg = await start();
  }, 60_000);
  afterAll(async () => {
    for (const ms of open.splice(0)) await ms.close();
    await pg.stop();
  });

  it('copies SQLite spaces to PostgreSQL exactly, then finds them verified on a second run', async () => {
    const source = await sqlite();
    await populate(source, 'mig-a');
    await populate(source, 'mig-b');
    const target = await postgres();
    const first = await migrateSpaces(source, target, { spaces: ['mig-a', 'mig-b'] });
    expect(first.map((r) => [r.space, r.outcome, r.memories])).toEqual([
      ['mig-a', 'migrated', 2],
      ['mig-b', 'migrated', 2],
    ]);
    const sourceAudit = (await source.spaces.audit('mig-a', { limit: 1000 })).items.length;
    expect(await rows(target, 'mig-a', sourceAudit)).toEqual(await rows(source, 'mig-a'));
    expect(await target.spaces.verifyAudit('mig-a')).toMatchObject({ ok: true });
    expect(await target.spaces.get('mig-a')).toMatchObject({ retentionDays: 90, labels: { team: 'core' } });
    const hits = await target.search.run('mig-b', { embedding: v(1), mode: 'vector', limit: 1 });
    expect(hits.results[0]!.memory.content).toBe('mig-b: Bob likes coffee');

    const again = await migrateSpaces(source, target, { spaces: ['mig-a', 'mig-b'] });
    expect(again.map((r) => r.outcome)).toEqual(['verified', 'verified']);
    expect(again.map((r) => r.checksum)).toEqual(first.map((r) => r.checksum));
  });

  it('comes back from PostgreSQL to a new data directory, rebuilding a space an interruption left half-copied', async () => {
    const source = await sqlite();
    await populate(source, 'mig-c');
    const middle = await postgres();
    await migrateSpaces(source, middle, { spaces: ['mig-c'] });
    const back = await sqlite();
    // What an interrupted run leaves: the space made, labelled, partly filled.
    await back.spaces.create({ name: 'mig-c', embedder: 'none', dimension: DIM, labels: { [MIGRATION_LABEL]: 'in-progress' } });
    await back.memories.add('mig-c', { content: 'half of a copy', embedding: v(0) });
    const [result] = await migrateSpaces(middle, back, { spaces: ['mig-c'] });
    expect(result).toMatchObject({ space: 'mig-c', outcome: 'migrated', memories: 2 });
    const sourceAudit = (await source.spaces.audit('mig-c', { limit: 1000 })).items.length;
    expect(await rows(back, 'mig-c', sourceAudit)).toEqual(await rows(source, 'mig-c'));
    expect((await back.spaces.get('mig-c')).labels).toEqual({ team: 'core' });
  });

  it('refuses to overwrite a target space holding other data, and leaves it as it was', async () => {
    const source = await sqlite();
    await populate(source, 'mig-d');
    const target = await sqlite();
    await target.spaces.create({ name: 'MIG-D', embedder: 'none', dimension: DIM });
    await target.memories.add('MIG-D', { content: 'somebody else', embedding: v(0) });
    await expect(migrateSpaces(source, target, { spaces: ['mig-d'] })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await target.memories.list('MIG-D')).items.map((m) => m.content)).toEqual(['somebody else']);
    await expect(migrateSpaces(source, target, { spaces: ['no-such-space'] })).rejects.toMatchObject({ code: 'SPACE_NOT_FOUND' });
  });

  it('runs from the command line, into a postgres:// URL', async () => {
    const dataDir = tempDir('memspace-migrate-cli-');
    dirs.push(dataDir);
    const source = await openEngine(loadConfig({ dataDir }, {}));
    await populate(source, 'mig-e');
    await source.close();
    const out = await cli(dataDir, ['--json', 'migrate', '--from', dataDir, '--to', pg.url, '--space', 'mig-e']);
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual([expect.objectContaining({ space: 'mig-e', outcome: 'migrated', memories: 2 })]);
    const bad = await cli(dataDir, ['migrate', '--from', dataDir]);
    expect(bad.code).toBe(2);
  });
});
