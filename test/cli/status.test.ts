import { rmSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localSource, runStatus, statusTable } from '../../src/cli/status.js';
import type { SpaceHealth } from '../../src/core/views.js';
import { LOCAL_PRINCIPAL } from '../../src/engine/access-guard.js';
import { buildApp } from '../../src/server/app.js';
import { cli, cliRaw } from '../support/run-cli.js';
import { tempDir, tempMemspace } from '../support/temp-memspace.js';

const HEADER = /^NAME\s+STATE\s+OPEN\s+MEMORIES\s+BYTES\s+WAL\s+WAL LAG MS\s+INDEX LAG\s+LAST WRITE$/;
let dir: string;

beforeAll(async () => {
  dir = tempDir('memspace-status-');
  for (const name of ['alpha', 'beta']) {
    const created = await cli(dir, ['spaces', 'create', name, '--embedder', 'none', '--dimension', '2']);
    expect(created.code, created.stderr).toBe(0);
  }
  const added = await cli(dir, ['add', 'alpha', 'first memory', '--embedding', '[1,0]']);
  expect(added.code, added.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('memspace status, from a data directory', () => {
  it('prints a table of every space and the registry pressure', async () => {
    const r = await cli(dir, ['status']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(HEADER);
    expect(r.stdout).toMatch(/\nalpha\s+idle\s+no\s+1\s+\d+(\.\d)? (B|KiB|MiB)\s+\S+ (B|KiB|MiB)?\s*\d+\s+-\s+\d{4}-\d\d-\d\dT/);
    expect(r.stdout).toMatch(/\nbeta\s+idle\s+no\s+0\s/);
    expect(r.stdout).toMatch(/\ndefault\s+idle\s+no\s+0\s/);
    expect(lines.at(-1)).toBe('3 spaces; registry of this process: 0 open of 256 (0%)');
  });

  it('prints JSON: an array of space health, one object with --space', async () => {
    const all = await cli(dir, ['--json', 'status']);
    expect(all.code, all.stderr).toBe(0);
    const rows = JSON.parse(all.stdout) as SpaceHealth[];
    expect(rows.map((h) => h.name)).toEqual(['alpha', 'beta', 'default']);
    expect(rows[0]).toMatchObject({ name: 'alpha', state: 'idle', open: false, memories: 1, indexLag: null, registry: { open: 0, cap: 256 } });
    expect(typeof rows[0]!.lastWriteAt).toBe('string');

    const one = await cli(dir, ['status', '--space', 'beta', '--json']);
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ name: 'beta', memories: 0, lastWriteAt: null });
  });

  it('exits 1 with the code on stderr for an invalid or unknown space', async () => {
    const bad = await cli(dir, ['status', '--space', 'bad name!']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: INVALID_SPACE: /);
    expect(bad.stdout).toBe('');
    const missing = await cli(dir, ['status', '--space', 'nowhere']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: SPACE_NOT_FOUND: space "nowhere" not found\b/);
  });

  it('opens no space, however many it reports', async () => {
    const ms = await tempMemspace({ dataDir: dir });
    try {
      let out = '';
      await runStatus({ json: true }, { write: (s: string) => (out += s) }, () => localSource(ms));
      expect((JSON.parse(out) as SpaceHealth[]).length).toBe(3);
      expect(ms.registry.openCount).toBe(0);
    } finally {
      await ms.close();
    }
  });
});

describe('the status table', () => {
  it('shows unknown figures as dashes and names why a space is damaged', () => {
    const broken: SpaceHealth = {
      name: 'broken', state: 'damaged', open: false, memories: null, bytes: null, payloadBytes: null, walBytes: null, walLagMs: null,
      indexLag: null, lastWriteAt: null, registry: { open: 1, cap: 4 }, quotas: { maxMemories: null, maxBytes: null, maxRequestsPerSecond: null },
      retentionDays: null, consolidation: null, feedback: null, error: 'space.db is not a database',
    };
    const text = statusTable([broken], { of: 'this process', open: 1, cap: 4, damaged: 1 });
    expect(text).toMatch(/\nbroken\s+damaged\s+no\s+-\s+-\s+-\s+-\s+-\s+-\n/);
    expect(text.endsWith('1 space; registry of this process: 1 open of 4 (25%); 1 damaged\nbroken: space.db is not a database\n')).toBe(true);
  });
});

describe('memspace status --url, from a running server', () => {
  let served: Awaited<ReturnType<typeof tempMemspace>>;
  let app: FastifyInstance;
  let url: string;
  let root: string;
  let scoped: string;

  beforeAll(async () => {
    served = await tempMemspace();
    root = (await served.keys.ensureRootKey())!;
    scoped = (await served.keys.create({ name: 'alpha reader', grants: [{ space: 'alpha', role: 'read' }] }, { principal: LOCAL_PRINCIPAL })).key;
    for (const name of ['alpha', 'secret']) await served.spaces.create({ name, embedder: 'none', dimension: 2 });
    await served.memories.add('alpha', { content: 'served memory', embedding: [1, 0] }, { actor: 'test' });
    app = await buildApp({ memspace: served, metrics: { processMetrics: false } });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await served.cleanup();
  });

  it('shows the spaces a root key sees, with live figures of open spaces', async () => {
    const r = await cliRaw(['status', '--url', url, '--key', root]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(HEADER);
    expect(r.stdout).toMatch(/\nalpha\s+active\s+yes\s+1\s/);
    expect(r.stdout).toMatch(/\nsecret\s+idle\s+no\s+0\s/);
    expect(r.stdout).toMatch(new RegExp(`\\n3 spaces; registry of ${url.replaceAll('.', '\\.')}: [1-9]\\d* open of 256 \\(\\d+%\\)\\n$`));
  });

  it('shows a scoped key only its own spaces, and refuses the others as not found', async () => {
    const r = await cliRaw(['--json', 'status', '--url', url, '--key', scoped]);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as SpaceHealth[]).map((h) => h.name)).toEqual(['alpha']);
    const hidden = await cliRaw(['status', '--url', url, '--key', scoped, '--space', 'secret']);
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toMatch(/^error: SPACE_NOT_FOUND: space "secret" not found\b/);
  });

  it('refuses an invalid name before sending anything', async () => {
    const r = await cliRaw(['status', '--url', 'http://127.0.0.1:9', '--space', '..']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: INVALID_SPACE: /);
  });
});

describe('memspace status --space, consolidation figures', () => {
  let own: string;
  const ok = async (args: string[]): Promise<string> => {
    const r = await cli(own, args);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  beforeAll(async () => {
    own = tempDir('memspace-status-consolidation-');
    for (const name of ['notes', 'other']) await ok(['spaces', 'create', name, '--embedder', 'none', '--dimension', '2']);
    for (const space of ['notes', 'other']) {
      await ok(['add', space, 'The standup is at 9:30', '--embedding', '[1,0]']);
      await ok(['add', space, 'Note: the standup is at 9:30', '--embedding', '[1,0]']);
      await ok(['add', space, 'Dana lives in Utrecht', '--embedding', '[0,1]', '--meta', 'key=home']);
      await ok(['add', space, 'Dana moved to Berlin', '--embedding', '[0,1]', '--meta', 'key=home']);
    }
  });
  afterAll(() => rmSync(own, { recursive: true, force: true }));

  it('shows a space never consolidated: no run, every memory pending', async () => {
    const out = await ok(['status', '--space', 'notes']);
    const block = out.slice(out.indexOf('\n\n') + 2).split('\n');
    expect(block[0]).toMatch(/^CONSOLIDATION\s+LAST RUN\s+RUNS\s+MERGED\s+SUPERSEDED\s+DECAYED\s+RATE\/MIN\s+PENDING$/);
    expect(block[1]).toMatch(/^notes\s+-\s+0\s+0\s+0\s+0\s+0\s+4$/);
  });

  it('shows the last pass, its counts, the rate and what is pending, from the space files (it opens no space)', async () => {
    await ok(['consolidate', 'notes']);
    await new Promise((done) => setTimeout(done, 5)); // the add is after the pass's end by the wall clock too
    await ok(['add', 'notes', 'Standups are in room 4', '--embedding', '[1,1]']);
    const out = await ok(['status', '--space', 'notes']);
    expect(out.split('\n')[1]).toMatch(/^notes\s+idle\s+no\s/);
    expect(out).toMatch(/\nnotes\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\s+1\s+1\s+1\s+0\s+0\.033\s+1\n$/);

    const json = JSON.parse(await ok(['--json', 'status', '--space', 'notes'])) as SpaceHealth;
    expect(json.consolidation).toEqual({ lastRunAt: expect.stringMatching(/^\d{4}-/), runs: 1, merged: 1, superseded: 1, decayed: 0, ratePerMinute: 0.033, pending: 1 });
    // The other space's figures are its own.
    const other = JSON.parse(await ok(['--json', 'status', '--space', 'other'])) as SpaceHealth;
    expect(other.consolidation).toEqual({ lastRunAt: null, runs: 0, merged: 0, superseded: 0, decayed: 0, ratePerMinute: 0, pending: 4 });
  });

  it('prints no consolidation block without --space, and keeps it in every row of --json', async () => {
    const out = await ok(['status']);
    expect(out).not.toContain('CONSOLIDATION');
    const rows = JSON.parse(await ok(['--json', 'status'])) as SpaceHealth[];
    expect(rows.map((h) => [h.name, h.consolidation?.runs])).toEqual([['default', 0], ['notes', 1], ['other', 0]]);
  });
});
