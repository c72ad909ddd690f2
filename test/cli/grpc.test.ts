import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { buildGrpcServer, type MemspaceGrpcServer } from '../../src/grpc/grpc-server.js';
import { cli, type CliResult } from '../support/run-cli.js';
import { axisVector, tempDir, tempMemspace } from '../support/temp-memspace.js';

/**
 * `memspace --grpc HOST:PORT --key K …` against a listening gRPC server: `spaces list`, `add`,
 * `search` and `events` print what they print on the server's data directory; a bad key and
 * an unreachable server are clear errors; every other command refuses --grpc rather than
 * working on a local data directory.
 */

const DIM = 4;
const vec = (axis: number): string => JSON.stringify(axisVector(DIM, axis));

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let server: MemspaceGrpcServer;
let address: string;
let root: string;
let scratch: string;

/** Output written so far, and a way to wait for a line matching a pattern. */
class Captured {
  text = '';
  private waiters: { pattern: RegExp; resolve: () => void }[] = [];

  write(s: string): void {
    this.text += s;
    this.waiters = this.waiters.filter((w) => (w.pattern.test(this.text) ? (w.resolve(), false) : true));
  }

  until(pattern: RegExp): Promise<void> {
    return pattern.test(this.text) ? Promise.resolve() : new Promise((resolve) => this.waiters.push({ pattern, resolve }));
  }
}

/** Runs the CLI in this process with `env`, capturing its output; `signal` stands for Ctrl-C. */
function run(args: string[], env: NodeJS.ProcessEnv = {}, signal?: AbortSignal): { done: Promise<CliResult>; stdout: Captured; stderr: Captured } {
  const stdout = new Captured();
  const stderr = new Captured();
  const done = runCli(args, { stdout, stderr, stdin: Readable.from(['']), env, ...(signal !== undefined && { signal }) }).then((code) => ({ code, stdout: stdout.text, stderr: stderr.text }));
  return { done, stdout, stderr };
}

/** A command over gRPC with the root key, run to its end. */
const remote = (args: string[]): Promise<CliResult> => run(['--grpc', address, '--key', root, ...args]).done;

beforeAll(async () => {
  ms = await tempMemspace();
  root = (await ms.keys.ensureRootKey())!;
  for (const name of ['notes', 'other']) await ms.spaces.create({ name, embedder: 'none', dimension: DIM });
  server = buildGrpcServer({ memspace: ms });
  address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
  scratch = tempDir('memspace-cli-grpc-');
});
afterAll(async () => {
  await server?.close();
  await ms?.cleanup();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('memspace --grpc', () => {
  it('lists spaces as the data directory does, in tables and in JSON', async () => {
    const overGrpc = await remote(['spaces', 'list']);
    expect(overGrpc.code, overGrpc.stderr).toBe(0);
    expect(overGrpc.stdout.split('\n')[0]).toMatch(/^NAME\s+STATE\s+EMBEDDER\s+DIMS/);
    expect(overGrpc.stdout).toMatch(/\nnotes\s+\w+\s+none\s+4\s+strict/);
    const names = (text: string): string[] => (JSON.parse(text) as { items: { name: string }[] }).items.map((s) => s.name);
    const json = await remote(['--json', 'spaces', 'list', '--limit', '2']);
    const local = await cli(ms.dataDir, ['--json', 'spaces', 'list', '--limit', '2']);
    expect(names(json.stdout)).toEqual(names(local.stdout));
    expect(JSON.parse(json.stdout)).toMatchObject({ nextCursor: 'notes' });
    expect((await remote(['spaces', 'list', '--limit', '2'])).stdout).toContain('next page: --cursor notes\n');
  });

  it('adds and searches through the server, with the output of the local commands', async () => {
    const added = await remote(['add', 'notes', 'the deploy pipeline runs nightly', '--embedding', vec(1), '--tag', 'ops', '--meta', 'team=platform', '--user', 'ada', '--id', 'deploy']);
    expect([added.code, added.stdout, added.stderr]).toEqual([0, 'deploy\n', '']);
    expect(await ms.memories.get('notes', 'deploy')).toMatchObject({ content: 'the deploy pipeline runs nightly', tags: ['ops'], metadata: { team: 'platform' }, userId: 'ada' });
    const json = await remote(['--json', 'add', 'notes', 'lunch is at noon', '--embedding', vec(2), '--id', 'lunch']);
    expect(JSON.parse(json.stdout)).toEqual(await ms.memories.get('notes', 'lunch'));

    const args = ['search', 'notes', 'deploy pipeline', '--mode', 'keyword'];
    const found = await remote(args);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout.split('\n')[1]).toMatch(/^1\s+\d\.\d{3}\s+deploy\s+the deploy pipeline runs nightly$/);
    expect(found.stdout).toBe((await cli(ms.dataDir, args)).stdout);
    const scoped = JSON.parse((await remote(['--json', 'search', 'notes', 'noon', '--mode', 'keyword', '--user', 'ada'])).stdout) as { results: unknown[] };
    expect(scoped).toEqual({ results: [] });
    const hits = JSON.parse((await remote(['--json', 'search', 'notes', 'noon', '--mode', 'keyword'])).stdout) as { results: { memory: { id: string }; scores: object }[] };
    expect(hits.results.map((h) => h.memory.id)).toEqual(['lunch']);
  });

  it('tails the change feed: prints the events written after it started, stops on Ctrl-C', async () => {
    const stop = new AbortController();
    const tail = run(['--grpc', address, '--key', root, 'events', 'other'], {}, stop.signal);
    await ms.memories.add('other', { content: 'first', embedding: axisVector(DIM, 0), id: 'e1' });
    await tail.stdout.until(/ e1\n/);
    await ms.memories.delete('other', 'e1');
    await tail.stdout.until(/memory\.deleted {2}e1\n/);
    stop.abort();
    const { code, stdout, stderr } = await tail.done;
    expect([code, stderr]).toEqual([0, '']);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^1 {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}memory\.created {2}e1$/);
    expect(lines[1]).toMatch(/^2 {2}\S+ {2}memory\.deleted {2}e1$/);

    // Resumed after the first event, as JSON Lines.
    const again = new AbortController();
    const resumed = run(['--json', '--grpc', address, '--key', root, 'events', 'other', '--after', '1'], {}, again.signal);
    await resumed.stdout.until(/\n/);
    again.abort();
    const out = await resumed.done;
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as object)).toEqual([{ seq: 2, op: 'memory.deleted', id: 'e1', at: expect.any(String) }]);

    // --limit: waits for the next event, prints it and exits by itself.
    const next = run(['--grpc', address, '--key', root, 'events', 'other', '--after', '2', '--limit', '1']);
    await ms.memories.add('other', { content: 'second', embedding: axisVector(DIM, 1), id: 'e2' });
    const limited = await next.done;
    expect([limited.code, limited.stderr]).toEqual([0, '']);
    expect(limited.stdout).toMatch(/^3 {2}\S+ {2}memory\.created {2}e2\n$/);
  });

  it('takes the server and the key from MEMSPACE_GRPC and MEMSPACE_KEY', async () => {
    const r = await run(['--json', 'spaces', 'list'], { MEMSPACE_GRPC: address, MEMSPACE_KEY: root }).done;
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { items: { name: string }[] }).items.map((s) => s.name)).toContain('notes');
    expect((await run(['spaces', 'list', '--key', root], { MEMSPACE_GRPC: address }).done).code).toBe(0);
  });

  it('fails clearly with a bad key, no key, or no server: an error line and exit 1', async () => {
    const bad = await run(['--grpc', address, '--key', 'msk_forged', 'spaces', 'list']).done;
    expect([bad.code, bad.stdout]).toEqual([1, '']);
    expect(bad.stderr).toMatch(/^error: UNAUTHENTICATED: .+\n$/);
    const json = await run(['--json', '--grpc', address, '--key', 'msk_forged', 'add', 'notes', 'x', '--embedding', vec(0)]).done;
    expect([json.code, (JSON.parse(json.stderr) as { error: { code: string } }).error.code]).toEqual([1, 'UNAUTHENTICATED']);
    const none = await run(['--grpc', address, 'search', 'notes', 'x']).done;
    expect([none.code, none.stderr]).toEqual([1, 'error: UNAUTHENTICATED: send an API key: authorization: Bearer <key>\n']);
    const down = await run(['--grpc', '127.0.0.1:1', '--key', root, 'spaces', 'list']).done;
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^error: BACKEND_UNAVAILABLE: cannot reach memspace \(Spaces\/List at 127\.0\.0\.1:1\)/);
    const tail = await run(['--grpc', address, '--key', root, 'events', 'nowhere']).done;
    expect([tail.code, tail.stderr]).toEqual([1, 'error: SPACE_NOT_FOUND: space "nowhere" not found. To create it: memspace spaces create nowhere (or POST /v1/spaces {"name":"nowhere"})\n']);
  });

  it('refuses what the protocol cannot do rather than doing something else: --prefix, --expand', async () => {
    const prefix = await remote(['spaces', 'list', '--prefix', 'n']);
    expect([prefix.code, prefix.stderr]).toEqual([1, expect.stringMatching(/^error: VALIDATION_FAILED: prefix is not offered over gRPC/)]);
    const expand = await remote(['search', 'notes', 'deploy', '--expand']);
    expect([expand.code, expand.stderr]).toEqual([1, expect.stringMatching(/^error: VALIDATION_FAILED: expand is not offered over gRPC/)]);
  });

  it('refuses every other command, naming those that work over gRPC, and never touches a data directory', async () => {
    const dataDir = join(scratch, 'never-created');
    for (const args of [['keys', 'list'], ['spaces', 'create', 'x'], ['get', 'notes', 'deploy'], ['status'], ['list', 'notes']]) {
      const r = await run(['--data-dir', dataDir, '--grpc', address, '--key', root, ...args]).done;
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toBe(`error: VALIDATION_FAILED: "${args.slice(0, args[0] === 'spaces' || args[0] === 'keys' ? 2 : 1).join(' ')}" works on a data directory only; --grpc is for spaces list, add, search and events\n  --grpc: not supported by "${args.slice(0, args[0] === 'spaces' || args[0] === 'keys' ? 2 : 1).join(' ')}"\n`);
    }
    const fromEnv = await run(['--data-dir', dataDir, 'spaces', 'delete', 'notes'], { MEMSPACE_GRPC: address }).done;
    expect([fromEnv.code, fromEnv.stderr]).toEqual([1, expect.stringMatching(/^error: VALIDATION_FAILED: "spaces delete" works on a data directory only; MEMSPACE_GRPC is for spaces list/)]);
    expect(existsSync(dataDir)).toBe(false);
    expect((await ms.spaces.get('notes')).name).toBe('notes');
    // Help still works, and the options are listed.
    const help = await run(['--help']).done;
    expect(help.stdout).toMatch(/--grpc <host:port>/);
    expect(help.stdout).toMatch(/events \[options\] <space>/);
  });
});

describe('memspace events on a data directory', () => {
  it('follows the change feed until Ctrl-C, from the start or after --after', async () => {
    const dir = join(scratch, 'local');
    expect((await cli(dir, ['spaces', 'create', 'feed', '--embedder', 'none', '--dimension', '3'])).code).toBe(0);
    expect((await cli(dir, ['add', 'feed', 'one', '--embedding', '[1,0,0]', '--id', 'one'])).code).toBe(0);
    const stop = new AbortController();
    const tail = run(['--data-dir', dir, 'events', 'feed'], {}, stop.signal);
    await tail.stdout.until(/memory\.created {2}one\n/);
    stop.abort();
    const r = await tail.done;
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^1 {2}\S+ {2}memory\.created {2}one\n$/);

    expect((await cli(dir, ['delete', 'feed', 'one'])).code).toBe(0);
    const again = new AbortController();
    const json = run(['--data-dir', dir, '--json', 'events', 'feed', '--after', '1'], {}, again.signal);
    await json.stdout.until(/\n/);
    again.abort();
    expect(JSON.parse((await json.done).stdout)).toEqual({ seq: 2, op: 'memory.deleted', id: 'one', at: expect.any(String) });

    const missing = await cli(dir, ['events', 'nowhere']);
    expect([missing.code, missing.stderr]).toEqual([1, 'error: SPACE_NOT_FOUND: space "nowhere" not found. To create it: memspace spaces create nowhere (or POST /v1/spaces {"name":"nowhere"})\n']);
    expect((await cli(dir, ['events', 'feed', '--after', '-1'])).code).toBe(1);
    expect((await cli(dir, ['events', 'feed', '--limit', '0'])).code).toBe(1);
    expect((await cli(dir, ['events', 'feed', '--limit', '2'])).stdout).toMatch(/^1 {2}\S+ {2}memory\.created {2}one\n2 {2}\S+ {2}memory\.deleted {2}one\n$/);
  });

  it('says when --after names events compacted away and how to start again; --after latest prints only new changes', async () => {
    const dir = join(scratch, 'compacted');
    let clock = Date.parse('2026-06-01T00:00:00Z');
    const writer = await tempMemspace({ dataDir: dir, now: () => clock, config: { feedRetentionDays: 1, feedMinEvents: 1 } });
    await writer.spaces.create({ name: 'feed', embedder: 'none', dimension: 3 });
    for (const id of ['a', 'b', 'c']) await writer.memories.add('feed', { id, content: id, embedding: [1, 0, 0] });
    clock += 2 * 86_400_000;
    await writer.sweeper.sweepSpace('feed'); // holds seq 3 only
    await writer.close();

    const expired = await cli(dir, ['events', 'feed', '--after', '1']);
    expect([expired.code, expired.stdout]).toEqual([1, '']);
    expect(expired.stderr).toBe('error: CURSOR_EXPIRED: the change feed no longer holds the events after 1: its oldest event is 3; start again with --after 2 (everything the feed still holds) or --after latest\n');
    expect((await cli(dir, ['events', 'feed', '--after', '2', '--limit', '1'])).stdout).toMatch(/^3 {2}\S+ {2}memory\.created {2}c\n$/);

    const tail = run(['--data-dir', dir, 'events', 'feed', '--after', 'latest', '--limit', '1']);
    // Written from another engine, which the tail hears of at its next poll: add until it prints.
    for (let n = 0; !/memory\.created/.test(tail.stdout.text) && tail.stderr.text === ''; n++) {
      expect((await cli(dir, ['add', 'feed', `later ${n}`, '--embedding', '[0,1,0]', '--id', `later-${n}`])).code).toBe(0);
    }
    const r = await tail.done;
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^\d+ {2}\S+ {2}memory\.created {2}later-\d+\n$/);
    expect(Number(r.stdout.split(' ')[0])).toBeGreaterThan(3);
    expect((await cli(dir, ['events', 'feed', '--after', 'soon'])).code).toBe(2);
  });
});
