import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { axisVector, tempDir } from '../support/temp-memspace.js';
import { cliProcess, describeCliTarget, type CliTarget } from '../support/run-cli.js';
import { scoreByWords, startFakeReranker } from '../support/fake-reranker.js';

const vec = (axis: number): string => JSON.stringify(axisVector(8, axis));
/** A directory for the files a test writes and reads (exports), apart from any data directory. */
let files: string;

beforeEach(() => {
  files = tempDir('memspace-cli-files-');
});
afterEach(() => rmSync(files, { recursive: true, force: true }));

/** The JSON a command prints; fails the test if it fails. */
const jsonOf = (t: CliTarget) => async (args: string[]): Promise<unknown> => {
  const r = await t.run(['--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

/** Creates a space that takes caller-given vectors of 8 numbers. */
const vectorSpaceOf = (t: CliTarget) => async (name: string): Promise<void> => {
  const r = await t.run(['spaces', 'create', name, '--embedder', 'none', '--dimension', '8']);
  expect(r.code, r.stderr).toBe(0);
};

// Every case runs twice: on a data directory, and against a listening server with --url (the
// same output, the same exit codes).
describeCliTarget(['data-dir', 'url'], 'memspace CLI', (t) => {
  const json = jsonOf(t);
  const vectorSpace = vectorSpaceOf(t);
  it('creates, lists, shows and deletes spaces', async () => {
    const created = await t.run(['spaces', 'create', 'work', '--embedder', 'none', '--dimension', '8', '--description', 'day job', '--label', 'team=core', '--isolation', 'shared']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('created space work');
    const list = await t.run(['spaces', 'list']);
    expect(list.stdout.split('\n')[0]).toMatch(/^NAME\s+STATE\s+EMBEDDER\s+DIMS/);
    expect(list.stdout).toMatch(/\nwork\s+idle\s+none\s+8\s+shared/);
    expect(await json(['spaces', 'info', 'work'])).toMatchObject({ name: 'work', description: 'day job', labels: { team: 'core' }, stats: { memories: 0 } });
    expect((await t.run(['spaces', 'info', 'work'])).stdout).toMatch(/vector index:\s+HNSW from 10000 memories; exact scan until then/);
    await t.run(['spaces', 'create', 'scratch', '--embedder', 'none', '--dimension', '8']);
    expect((await t.run(['spaces', 'delete', 'scratch'])).code).toBe(0);
    expect((await t.run(['spaces', 'info', 'scratch'])).stderr).toMatch(/^error: SPACE_NOT_FOUND: space "scratch" not found/);
  });

  it('sets quotas and retention, archives and restores, and sweeps', async () => {
    await t.run(['spaces', 'create', 'ops', '--embedder', 'none', '--dimension', '8', '--max-memories', '1']);
    expect((await t.run(['add', 'ops', 'one', '--embedding', vec(1)])).code).toBe(0);
    const over = await t.run(['add', 'ops', 'two', '--embedding', vec(2)]);
    expect([over.code, over.stderr]).toEqual([1, expect.stringMatching(/^error: QUOTA_EXCEEDED: /)]);
    expect(await json(['spaces', 'set', 'ops', '--max-memories', '0', '--retention-days', '7'])).toMatchObject({ retentionDays: 7, quotas: { maxMemories: null } });
    expect((await t.run(['add', 'ops', 'two', '--embedding', vec(2)])).code).toBe(0);
    expect((await t.run(['spaces', 'set', 'ops', '--max-memories', 'many'])).code).toBe(2);

    expect((await t.run(['spaces', 'archive', 'ops'])).stdout).toMatch(/^archived space ops \(\d+ bytes\)/);
    const refused = await t.run(['list', 'ops']);
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringMatching(/^error: SPACE_ARCHIVED: space "ops" is archived/)]);
    expect((await t.run(['spaces', 'list'])).stdout).toMatch(/\nops\s+archived\s/);
    expect((await t.run(['spaces', 'restore', 'ops'])).stdout).toBe('restored space ops\n');
    expect(((await json(['list', 'ops'])) as { items: unknown[] }).items).toHaveLength(2);
    expect(await json(['sweep'])).toMatchObject({ deleted: 0, failed: [] });
    expect(await json(['sweep', '--space', 'ops'])).toMatchObject({ spaces: 1, deleted: 0 });
    expect((await t.run(['sweep', '--space', '../x'])).stderr).toMatch(/^error: INVALID_SPACE: /);
  });

  it('adds, gets, lists, searches, relates, shows history and deletes memories', async () => {
    await vectorSpace('work');
    const add = await t.run(['add', 'work', 'Alice prefers morning meetings', '--embedding', vec(1), '--tag', 'prefs', '--meta', 'team=platform', '--meta', 'level=3', '--user', 'alice']);
    expect(add.code, add.stderr).toBe(0);
    const id = add.stdout.trim();
    const got = (await json(['get', 'work', id])) as { metadata: unknown; tags: string[]; userId: string };
    expect(got).toMatchObject({ metadata: { team: 'platform', level: 3 }, tags: ['prefs'], userId: 'alice' });
    const other = (await t.run(['add', 'work', 'The deploy pipeline runs nightly', '--embedding', vec(2), '--kind', 'episode'])).stdout.trim();

    const listed = await t.run(['list', 'work', '--user', 'alice']);
    expect(listed.stdout).toContain('Alice prefers morning meetings');
    expect(listed.stdout).not.toContain('deploy');
    const filtered = (await json(['list', 'work', '--filter', '{"kind":{"eq":"episode"}}'])) as { items: { id: string }[] };
    expect(filtered.items.map((m) => m.id)).toEqual([other]);

    const found = await t.run(['search', 'work', 'deploy pipeline', '--mode', 'keyword']);
    expect(found.stdout.split('\n')[1]).toContain(other);

    const rel = await t.run(['relate', 'work', id, other, 'mentions', '--weight', '0.5']);
    expect(rel.code, rel.stderr).toBe(0);
    expect(((await json(['relations', 'work', id])) as { type: string }[]).map((r) => r.type)).toEqual(['mentions']);

    expect((await t.run(['delete', 'work', id])).stdout).toBe(`deleted ${id}\n`);
    expect(((await json(['history', 'work', id])) as { action: string }[]).map((h) => h.action)).toEqual(['create', 'delete']);
    expect(await json(['delete', 'work', '--filter', '{"kind":"episode"}'])).toEqual({ deleted: 1 });
  });

  it('search lifts run neighbours and dated memories unless --no-neighbors or --no-dates', async () => {
    await vectorSpace('chat');
    const add = async (...args: string[]): Promise<string> => (await t.run(['add', 'chat', ...args, '--embedding', vec(1)])).stdout.trim();
    const question = await add('Sam: which band played the deploy party?', '--run', 'party');
    const answer = await add('Kim: Matt Patterson did', '--run', 'party');
    const dated = await add('the deploy of the ledger', '--meta', 'date=2023-05-03');
    const search = async (...flags: string[]) =>
      ((await json(['search', 'chat', 'deploy in May 2023', '--mode', 'keyword', ...flags])) as { results: { memory: { id: string }; scores: Record<string, number> }[] }).results;

    const both = await search();
    expect(both.map((h) => h.memory.id)).toEqual([dated, question, answer]);
    expect(both[0]!.scores['date']).toBe(0.2);
    expect(both[2]!.scores['neighbor']).toBeGreaterThan(0);
    expect((await search('--no-neighbors')).map((h) => h.memory.id)).toEqual([dated, question]);
    const undated = await search('--no-dates', '--no-neighbors');
    expect(undated.map((h) => h.memory.id).sort()).toEqual([dated, question].sort());
    expect(undated.every((h) => h.scores['date'] === undefined)).toBe(true);
  });

  // The reranker is the configuration of the process that searches: the CLI's own on a data directory.
  if (t.kind === 'data-dir') it('search --rerank orders by the configured reranker (MEMSPACE_RERANK_*), and is refused without one', async () => {
    await vectorSpace('work');
    for (const text of ['deploy notes from monday', 'deploy pipeline runs nightly', 'deploy freeze over the holidays']) {
      expect((await t.run(['add', 'work', text, '--embedding', vec(1)])).code).toBe(0);
    }
    const reranker = await startFakeReranker(scoreByWords({ freeze: 0.8, pipeline: 0.6 }, 0.1));
    try {
      const env = { MEMSPACE_RERANK_BASE_URL: reranker.url, MEMSPACE_RERANK_MODEL: 'fake-reranker', MEMSPACE_RERANK_API_KEY: 'cli-key' };
      const r = await t.run(['--json', 'search', 'work', 'deploy', '--mode', 'keyword', '--limit', '2', '--rerank'], '', env);
      expect(r.code, r.stderr).toBe(0);
      const { results } = JSON.parse(r.stdout) as { results: { memory: { content: string }; score: number }[] };
      expect(results.map((h) => [h.memory.content, h.score])).toEqual([
        ['deploy freeze over the holidays', 0.8],
        ['deploy pipeline runs nightly', 0.6],
      ]);
      expect(reranker.requests).toMatchObject([{ query: 'deploy', model: 'fake-reranker', authorization: 'Bearer cli-key' }]);
      expect(reranker.requests[0]!.documents).toHaveLength(3);
      const refused = await t.run(['search', 'work', 'deploy', '--mode', 'keyword', '--rerank']);
      expect([refused.code, refused.stderr]).toEqual([1, expect.stringMatching(/^error: VALIDATION_FAILED: rerank needs a reranker/)]);
      expect(reranker.requests).toHaveLength(1);
      // A configuration that could only fail at search time fails at start instead.
      for (const [broken, message] of [
        [{ MEMSPACE_RERANK_BASE_URL: reranker.url }, /MEMSPACE_RERANK_MODEL/],
        [{ ...env, MEMSPACE_RERANK_TOP_N: '0' }, /rerankTopN/],
        [{ ...env, MEMSPACE_RERANK_BASE_URL: 'not a url' }, /rerankBaseUrl/],
      ] as const) {
        const r = await t.run(['search', 'work', 'deploy', '--mode', 'keyword'], '', broken);
        expect([r.code, r.stderr], JSON.stringify(broken)).toEqual([1, expect.stringMatching(message)]);
      }
      expect(reranker.requests).toHaveLength(1);
    } finally {
      await reranker.close();
    }
  });

  it('exits 1 with the error code on bad input and 2 on usage errors', async () => {
    await vectorSpace('work');
    const cases: [string[], number, RegExp][] = [
      [['get', 'work', 'nope'], 1, /^error: NOT_FOUND: /],
      [['add', '../etc', 'x'], 1, /^error: INVALID_SPACE: /],
      [['add', 'work', 'x', '--embedding', '[1,2]'], 1, /^error: DIMENSION_MISMATCH: /],
      [['add', 'work', 'x', '--embedding', 'not json'], 1, /^error: VALIDATION_FAILED: /],
      [['list', 'work', '--filter', '{"userId":{"like":"a"}}'], 1, /^error: VALIDATION_FAILED: .*unknown operator "like"/],
      [['spaces', 'create', 'Work'], 1, /^error: CONFLICT: /],
      [['delete', 'work'], 1, /^error: VALIDATION_FAILED: /],
      [['frobnicate'], 2, /unknown command/],
      [['search', 'work'], 2, /missing required argument/],
      [['list', 'work', '--limit', 'many'], 2, /not an integer/],
      [['search', 'work', 'q', '--mode', 'fuzzy'], 2, /invalid/],
    ];
    for (const [args, code, stderr] of cases) {
      const r = await t.run(args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toMatch(stderr);
    }
    const asJson = await t.run(['--json', 'get', 'work', 'nope']);
    expect(JSON.parse(asJson.stderr)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('exports with embeddings and imports idempotently into a new space', async () => {
    await t.run(['spaces', 'create', 'src', '--embedder', 'none', '--dimension', '8']);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await t.run(['add', 'src', `memory ${i}`, '--embedding', vec(i), '--tag', `t${i}`])).stdout.trim());
    await t.run(['relate', 'src', ids[0]!, ids[1]!, 'next']);
    const file = join(files, 'src.jsonl');
    const exported = await t.run(['export', 'src', file]);
    expect(exported.code, exported.stderr).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; embedding?: number[] });
    expect(lines.filter((l) => !['history', 'audit'].includes(l.type)).map((l) => l.type)).toEqual(['space', 'memory', 'memory', 'memory', 'memory', 'memory', 'relation']);
    expect(lines.filter((l) => l.type === 'history')).toHaveLength(5);
    expect(lines[1]!.embedding).toHaveLength(8);

    const first = (await json(['import', 'copy', file])) as { memories: { imported: number; skipped: number }; relations: { imported: number } };
    expect(first).toMatchObject({ mode: 'restore', memories: { imported: 5, skipped: 0 }, relations: { imported: 1, skipped: 0 }, history: { imported: 5 } });
    const again = await json(['import', 'copy', file]);
    expect(again).toMatchObject({ mode: 'merge', memories: { imported: 0, skipped: 5 }, relations: { imported: 0, skipped: 1 }, history: { imported: 0, skipped: 5 } });
    expect(await json(['spaces', 'info', 'copy'])).toMatchObject({ embedder: 'none', dimension: 8, stats: { memories: 5, relations: 1 } });

    const a = (await json(['get', 'src', ids[3]!])) as object;
    const b = (await json(['get', 'copy', ids[3]!])) as object;
    expect(b).toEqual(a);
    // A vector search in the copy finds the same nearest memory as in the source.
    const bySource = (await json(['list', 'copy', '--tag', 't3'])) as { items: { id: string }[] };
    expect(bySource.items.map((m) => m.id)).toEqual([ids[3]]);

    // Export to stdout, import from stdin.
    const piped = await t.run(['export', 'src']);
    const viaStdin = await t.run(['--json', 'import', 'piped', '-'], piped.stdout);
    expect(JSON.parse(viaStdin.stdout)).toMatchObject({ memories: { imported: 5 } });

    writeFileSync(join(files, 'bad.jsonl'), '{"type":"memory","id":"x"}\n');
    expect((await t.run(['import', 'copy', join(files, 'bad.jsonl')])).stderr).toMatch(/^error: VALIDATION_FAILED: invalid line 1/);
    expect((await t.run(['import', 'copy', join(files, 'missing.jsonl')])).stderr).toMatch(/^error: NOT_FOUND: /);
    const wrongDim = join(files, 'wrong.jsonl');
    writeFileSync(wrongDim, '{"type":"memory","id":"w","content":"w","embedding":[1,2,3]}\n');
    expect((await t.run(['import', 'copy', wrongDim])).stderr).toMatch(/^error: DIMENSION_MISMATCH: /);
  });

  it('keeps spaces apart: nothing of space A is reachable through space B', async () => {
    await vectorSpace('personal');
    await vectorSpace('invest');
    const secret = (await t.run(['add', 'personal', 'my diary entry about the secret garden', '--embedding', vec(5), '--id', 'same'])).stdout.trim();
    const mine = (await t.run(['add', 'invest', 'buy index funds monthly', '--embedding', vec(5), '--id', 'same'])).stdout.trim();
    expect(secret).toBe(mine); // the same id in two spaces is two memories
    const other = (await t.run(['add', 'personal', 'second diary entry', '--embedding', vec(6)])).stdout.trim();

    for (const args of [
      ['get', 'invest', other],
      ['history', 'invest', other],
      ['delete', 'invest', other],
      ['relations', 'invest', other],
      ['relate', 'invest', 'same', other, 'leak'],
    ]) {
      const r = await t.run(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/^error: NOT_FOUND: /);
    }
    // Keyword mode: the CLI cannot give a query vector, and these spaces have no embedder. The
    // query's words are in personal's memories and in one of invest's: only that one answers.
    const found = await t.run(['--json', 'search', 'invest', 'secret garden diary entry funds', '--mode', 'keyword']);
    expect(found.code, found.stderr).toBe(0);
    const hits = (JSON.parse(found.stdout) as { results: { memory: { id: string; content: string } }[] }).results;
    expect(hits.map((h) => [h.memory.id, h.memory.content])).toEqual([['same', 'buy index funds monthly']]);
    expect(((await json(['get', 'personal', 'same'])) as { content: string }).content).toContain('secret garden');
    expect((await json(['delete', 'invest', '--filter', '{"id":{"in":["same"]}}']))).toEqual({ deleted: 1 });
    expect(((await json(['get', 'personal', 'same'])) as { content: string }).content).toContain('secret garden');
    for (const name of ['../personal', 'personal/../invest', '%2e%2e', '..', 'Personal\u0000']) {
      const r = await t.run(['list', name]);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(/^error: INVALID_SPACE: /);
    }
    expect((await t.run(['spaces', 'create', 'PERSONAL'])).stderr).toMatch(/^error: CONFLICT: /);
  });
});

describe('memspace as a process, with the real local model', () => {
  // Eight processes, five of which load the model: the time limit is a bound a busy 2-core
  // machine still meets, not a measure of speed.
  it('runs the tour: a semantic search finds a memory by meaning, and exit codes reach the shell', () => {
    const home = tempDir('memspace-cli-proc-');
    try {
      expect(cliProcess(home, ['spaces', 'create', 'notes']).code).toBe(0);
      for (const text of ['Alice prefers morning meetings', 'Quarterly revenue grew by 8 percent', 'The cat sleeps on the windowsill']) {
        const r = cliProcess(home, ['add', 'notes', text]);
        expect(r.code, r.stderr).toBe(0);
      }
      const r = cliProcess(home, ['--json', 'search', 'notes', 'when does alice like to meet?', '--mode', 'vector', '--limit', '1']);
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { results: { memory: { content: string } }[] }).results[0]!.memory.content).toBe('Alice prefers morning meetings');
      const money = cliProcess(home, ['--json', 'search', 'notes', 'how much did sales increase', '--mode', 'vector', '--limit', '1']);
      expect((JSON.parse(money.stdout) as { results: { memory: { content: string } }[] }).results[0]!.memory.content).toContain('revenue');
      expect(cliProcess(home, ['get', 'notes', 'missing']).code).toBe(1);
      expect(cliProcess(home, ['nonsense']).code).toBe(2);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 300_000);
});

describeCliTarget(['data-dir', 'url'], 'memspace keys', (t) => {
  it('creates, lists and revokes keys without ever showing a stored secret', async () => {
    const created = await t.run(['--json', 'keys', 'create', 'bot', '--grant', 'acme.*:write', '--grant', 'personal:read', '--default-space', 'acme.main']);
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string; grants: unknown[]; defaultSpace: string };
    expect(key.key).toMatch(/^msk_/);
    expect(key.grants).toEqual([{ prefix: 'acme.', role: 'write' }, { space: 'personal', role: 'read' }]);
    const listed = await t.run(['keys', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`${key.id}\\s+bot\\s+acme\\.\\*:write personal:read\\s+acme\\.main`));
    expect(listed.stdout).not.toContain(key.key);
    expect((await t.run(['keys', 'revoke', key.id])).stdout).toBe(`revoked key ${key.id}\n`);
    expect((await t.run(['keys', 'revoke', key.id])).stderr).toMatch(/^error: NOT_FOUND: /);
    for (const grant of ['nocolon', '../x:read', 'acme.*:owner']) {
      const r = await t.run(['keys', 'create', 'bad', '--grant', grant]);
      expect(r.code, grant).not.toBe(0);
    }
  });
});
