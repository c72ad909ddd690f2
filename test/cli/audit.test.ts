import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axisVector, tempDir } from '../support/temp-memspace.js';
import { cli, cliProcess } from '../support/run-cli.js';

const vec = (axis: number): string => JSON.stringify(axisVector(8, axis));
let dir: string;

beforeAll(() => {
  dir = tempDir('memspace-cli-audit-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function ok(args: string[]): Promise<string> {
  const r = await cli(dir, args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** A space with four entries: three creates and a delete, all by the CLI. */
async function space(name: string): Promise<string[]> {
  await ok(['spaces', 'create', name, '--embedder', 'none', '--dimension', '8']);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await ok(['add', name, `memory ${i}`, '--embedding', vec(i)])).trim());
  await ok(['delete', name, ids[1]!]);
  return ids;
}

/** Alters one audit row in place, as someone with access to the disk could (the CLI holds nothing open between runs). */
function tamper(name: string, sql: string): void {
  const db = new Database(join(dir, 'spaces', name, 'space.db'));
  try {
    db.exec('DROP TRIGGER audit_no_update');
    db.exec(sql);
  } finally {
    db.close();
  }
}

describe('memspace audit', () => {
  it('lists entries as a table or JSON, filtered and paged', async () => {
    const ids = await space('work');
    const table = await ok(['audit', 'work']);
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SEQ\s+AT\s+ACTOR\s+ACTION\s+IDS$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).filter((_, i) => i !== 1))).toEqual([
      ['1', 'cli', 'memory.create', ids[0]],
      ['2', 'cli', 'memory.create', ids[1]],
      ['3', 'cli', 'memory.create', ids[2]],
      ['4', 'cli', 'memory.delete', ids[1]],
    ]);

    const deletes = JSON.parse(await ok(['--json', 'audit', 'work', '--action', 'memory.delete'])) as { items: { seq: number; ids: string[]; details: unknown }[]; nextCursor: null };
    expect(deletes).toEqual({ items: [expect.objectContaining({ seq: 4, ids: [ids[1]], details: { count: 1, relations: 0 } })], nextCursor: null });

    const first = await ok(['audit', 'work', '--limit', '3']);
    const cursor = /next page: --cursor (\S+)/.exec(first)?.[1];
    expect(cursor).toBeDefined();
    expect((await ok(['audit', 'work', '--limit', '3', '--cursor', cursor!])).split('\n')[1]).toMatch(/^4\s/);

    expect(await ok(['audit', 'work', '--since', '2999-01-01T00:00:00Z'])).toBe('SEQ  AT  ACTOR  ACTION  IDS\n');
    expect(await ok(['audit', 'work', '--actor', 'someone-else'])).toBe('SEQ  AT  ACTOR  ACTION  IDS\n');
    const newest = JSON.parse(await ok(['--json', 'audit', 'work', '--actor', 'cli', '--newest-first', '--limit', '2'])) as { items: { seq: number; actor: string }[] };
    expect(newest.items.map((e) => [e.seq, e.actor])).toEqual([
      [4, 'cli'],
      [3, 'cli'],
    ]);
  });

  it('verify exits 0 on an intact chain and 1 naming the first altered entry', async () => {
    await space('kept');
    await space('hit');
    expect(await cli(dir, ['audit', 'verify', 'kept'])).toEqual({ code: 0, stdout: 'audit chain of kept is intact: 4 entries\n', stderr: '' });
    expect(JSON.parse(await ok(['--json', 'audit', 'verify', 'kept']))).toEqual({ space: 'kept', ok: true, entries: 4 });

    tamper('hit', `UPDATE audit SET details = '{"count":0}' WHERE seq = 2`);
    const broken = await cli(dir, ['audit', 'verify', 'hit']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toBe('');
    expect(broken.stderr).toBe('error: INTERNAL: audit chain of hit is broken at entry 2: entry 2 was altered (its content does not match its hash)\n');
    const asJson = await cli(dir, ['--json', 'audit', 'verify', 'hit']);
    expect(JSON.parse(asJson.stderr)).toEqual({
      error: {
        code: 'INTERNAL',
        message: expect.stringContaining('entry 2'),
        details: { space: 'hit', firstBadSeq: 2, reason: 'entry 2 was altered (its content does not match its hash)', entries: 4 },
      },
    });
    // The other space is untouched, and the real entry point exits with the same codes.
    expect(cliProcess(dir, ['audit', 'verify', 'kept']).code).toBe(0);
    const real = cliProcess(dir, ['audit', 'verify', 'hit']);
    expect(real.code).toBe(1);
    expect(real.stderr).toMatch(/^error: INTERNAL: audit chain of hit is broken at entry 2: /);
  });

  it('exits 1 on bad input and 2 on usage errors', async () => {
    await space('third');
    const cases: [string[], number, RegExp][] = [
      [['audit', 'third', '--since', 'yesterday'], 1, /^error: VALIDATION_FAILED: invalid audit query: since/],
      [['audit', 'third', '--action', 'Not Valid'], 1, /^error: VALIDATION_FAILED: /],
      [['audit', 'third', '--limit', '0'], 1, /^error: VALIDATION_FAILED: /],
      [['audit', 'third', '--cursor', 'junk'], 1, /^error: VALIDATION_FAILED: invalid cursor/],
      [['audit', 'nope'], 1, /^error: SPACE_NOT_FOUND: /],
      [['audit', 'verify', 'nope'], 1, /^error: SPACE_NOT_FOUND: /],
      [['audit', 'verify', '../etc'], 1, /^error: INVALID_SPACE: /],
      [['audit', 'verify'], 2, /missing required argument/],
      [['audit'], 2, /missing required argument/],
      [['audit', 'third', '--limit', 'many'], 2, /not an integer/],
    ];
    for (const [args, code, stderr] of cases) {
      const r = await cli(dir, args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toMatch(stderr);
    }
  });
});
