import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsolidationReport } from '../../src/core/views.js';
import { cli } from '../support/run-cli.js';
import { tempDir } from '../support/temp-memspace.js';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
let dir: string;
const ids: Record<string, string> = {};

async function ok(args: string[]): Promise<string> {
  const r = await cli(dir, args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  dir = tempDir('memspace-consolidate-');
  await ok(['spaces', 'create', 'notes', '--embedder', 'none', '--dimension', '2']);
  const add = async (name: string, text: string, embedding: string, ...more: string[]): Promise<void> => {
    ids[name] = (JSON.parse(await ok(['--json', 'add', 'notes', text, '--embedding', embedding, ...more])) as { id: string }).id;
  };
  await add('first', 'The standup is at 9:30', '[1,0]');
  await add('repeat', 'Note: the standup is at 9:30', '[1,0]');
  await add('old', 'Dana lives in Utrecht', '[0,1]', '--meta', 'key=home');
  await add('new', 'Dana moved to Berlin', '[0,1]', '--meta', 'key=home');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('memspace consolidate', () => {
  it('prints what a dry run would change, ids and reasons, and changes nothing', async () => {
    const out = await ok(['consolidate', 'notes', '--dry-run']);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('dry run on notes: examined 4, would merge 1, would supersede 1');
    expect(lines[1]).toMatch(/^KIND\s+MEMORY\s+INTO \/ BY\s+REASON$/);
    expect(lines[2]).toMatch(new RegExp(`^duplicate\\s+${ids['repeat']}\\s+${ids['first']}\\s+same statement \\(`));
    expect(lines[3]).toMatch(new RegExp(`^superseded\\s+${ids['old']}\\s+${ids['new']}\\s+newer memory of the same scope`));
    expect(out).not.toContain('standup');
    expect(await ok(['list', 'notes', '--json'])).toContain(ids['repeat']);
  });

  it('runs a pass, prints its counts and how to undo it, and undoes it', async () => {
    const out = await ok(['consolidate', 'notes', '--min-cosine', '0.9', '--min-overlap', '1']);
    const match = new RegExp(`^consolidated notes: examined 4, merged 1, superseded 1\\nrun (${UUID}); undo with: memspace consolidate undo notes \\1\\n$`).exec(out);
    expect(match, out).not.toBeNull();
    const runId = match![1]!;
    expect((await cli(dir, ['get', 'notes', ids['repeat']!])).stderr).toMatch(/^error: NOT_FOUND/);
    expect(await ok(['consolidate', 'undo', 'notes', runId])).toBe(`undid run ${runId} on notes: 1 memory restored, 1 supersession cleared\n`);
    expect(await ok(['get', 'notes', ids['repeat']!])).toContain('Note: the standup is at 9:30');
  });

  it('prints the report as JSON with --json', async () => {
    const report = JSON.parse(await ok(['--json', 'consolidate', 'notes', '--dry-run'])) as ConsolidationReport;
    expect(report).toMatchObject({ dryRun: true, examined: 4, merged: 1, superseded: 1, skipped: 0 });
    expect(report.groups?.map((g) => g.kind)).toEqual(['duplicate', 'superseded']);
    const undone = await cli(dir, ['--json', 'consolidate', 'undo', 'notes', 'no-such-run']);
    expect(undone.code).toBe(1);
    expect(JSON.parse(undone.stderr)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('refuses bad thresholds: a usage error for a non-number, VALIDATION_FAILED out of range', async () => {
    expect((await cli(dir, ['consolidate', 'notes', '--min-cosine', 'high'])).code).toBe(2);
    const low = await cli(dir, ['consolidate', 'notes', '--min-overlap', '0.2']);
    expect(low.code).toBe(1);
    expect(low.stderr).toMatch(/^error: VALIDATION_FAILED: .*minOverlap/);
  });
});
