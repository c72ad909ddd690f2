import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_PRINCIPAL } from '../../src/engine/access-guard.js';
import { cli, cliRaw, describeCliTarget, type CliResult, type CliTarget } from '../support/run-cli.js';
import { axisVector, tempDir } from '../support/temp-memspace.js';

/**
 * The command line against a server (`--url`): what only a server has (keys that see some
 * spaces, a server that is down, a missing key), the choice of target, `add SPACE -`,
 * `whoami` and `use`, and that a session prints the same on a data directory and on a server.
 */
const vec = (axis: number): string => JSON.stringify(axisVector(4, axis));

/**
 * Ids, keys and times vary between two runs: masked, what is left must be equal. So do two
 * figures of a process's own: a server keeps a space open (`active`) where a command line closes
 * it (`idle`), which widens a table's column, and counts reads into `accessCount` later than a command line that exits.
 */
function masked(text: string): string {
  return text
    .replace(/\b(idle|active)\b/g, '<state>')
    .replace(/ {2,}/g, '  ') // table columns are as wide as their widest cell
    .replace(/"accessCount": \d+/g, '"accessCount": <n>')
    .replace(/"lastAccessedAt": (null|"[^"]*")/g, '"lastAccessedAt": <time>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/"(took|ms|durationMs)": [\d.]+/g, '"$1": <n>');
}

describe('the same session on a data directory and against a server', () => {
  const outputs: Record<string, string[]> = {};
  describeCliTarget(['data-dir', 'url'], 'session', (t) => {
    it('prints the same, ids and times aside', async () => {
      const script: string[][] = [
        ['spaces', 'create', 'notes', '--embedder', 'none', '--dimension', '4', '--description', 'n'],
        ['add', 'notes', 'tea at nine', '--embedding', vec(0), '--id', 'a', '--tag', 't', '--meta', 'k=1'],
        ['add', 'notes', 'coffee at ten', '--embedding', vec(1), '--id', 'b'],
        ['get', 'notes', 'a'],
        ['list', 'notes'],
        ['--json', 'list', 'notes', '--tag', 't'],
        ['search', 'notes', 'tea', '--mode', 'keyword'],
        ['relate', 'notes', 'a', 'b', 'next'],
        ['relations', 'notes', 'a'],
        ['spaces', 'set', 'notes', '--retention-days', '9'],
        ['spaces', 'list'],
        ['consolidate', 'notes', '--dry-run'],
        ['sweep', '--space', 'notes'],
        ['delete', 'notes', 'b'],
        ['get', 'notes', 'b'],
        ['audit', 'verify', 'notes'],
        ['spaces', 'info', 'nowhere'],
        ['add', 'notes', 'x', '--embedding', '[1,2]'],
      ];
      const printed: string[] = [];
      for (const args of script) {
        const r = await t.run(args);
        printed.push(`$ ${args.join(' ')} -> ${r.code}\n${masked(r.stdout)}${masked(r.stderr)}`);
      }
      outputs[t.kind] = printed;
      if (t.kind === 'url') expect(outputs['url']).toEqual(outputs['data-dir']);
    });
  });
});

describe('memspace --url against a server', () => {
  let t: { url: string; root: string; engine: NonNullable<CliTarget['engine']> };
  const outer: { target?: CliTarget } = {};
  describeCliTarget(['url'], 'server', (target) => {
    beforeEach(async () => {
      outer.target = target;
      t = { url: target.url!, root: target.rootKey!, engine: target.engine! };
      for (const name of ['mine', 'theirs']) await t.engine.spaces.create({ name, embedder: 'none', dimension: 4 });
      await t.engine.memories.add('theirs', { id: 'secret', content: 'their secret plan', embedding: axisVector(4, 0) }, { actor: 'test' });
      await t.engine.memories.add('mine', { id: 'own', content: 'my own plan', embedding: axisVector(4, 0) }, { actor: 'test' });
    });
    const as = (key: string | undefined, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
      cliRaw(['--url', t.url, ...(key === undefined ? [] : ['--key', key]), ...args], '', env);
    const scopedKey = async (): Promise<string> =>
      (await t.engine.keys.create({ name: 'mine only', grants: [{ space: 'mine', role: 'admin' }] }, { principal: LOCAL_PRINCIPAL })).key;

    it('a key of one space reaches no other: SPACE_NOT_FOUND, exit 1, for every command', async () => {
      const key = await scopedKey();
      for (const args of [
        ['list', 'theirs'],
        ['get', 'theirs', 'secret'],
        ['search', 'theirs', 'plan', '--mode', 'keyword'],
        ['delete', 'theirs', 'secret'],
        ['delete', 'theirs', '--filter', '{"kind":"fact"}'],
        ['history', 'theirs', 'secret'],
        ['export', 'theirs'],
        ['events', 'theirs', '--limit', '1'],
        ['audit', 'theirs'],
        ['spaces', 'info', 'theirs'],
        ['spaces', 'delete', 'theirs'],
        ['sweep', '--space', 'theirs'],
        ['status', '--space', 'theirs'],
      ]) {
        const r = await as(key, args);
        expect([r.code, r.stdout], args.join(' ')).toEqual([1, '']);
        expect(r.stderr, args.join(' ')).toMatch(/^error: SPACE_NOT_FOUND: space "theirs" not found/);
        expect(r.stderr, args.join(' ')).not.toContain('secret plan');
      }
      // Its own space answers, and listings show it alone.
      expect((await as(key, ['get', 'mine', 'own'])).stdout).toContain('my own plan');
      expect(JSON.parse((await as(key, ['--json', 'spaces', 'list'])).stdout)).toMatchObject({ items: [{ name: 'mine' }] });
      const swept = JSON.parse((await as(key, ['--json', 'sweep'])).stdout) as { spaces: number; failed: unknown[] };
      expect(swept).toEqual({ spaces: 1, deleted: 0, failed: [] });
      expect((await t.engine.memories.get('theirs', 'secret')).content).toBe('their secret plan');
      // Its own change feed streams from the server.
      const events = await as(key, ['events', 'mine', '--limit', '1']);
      expect([events.code, events.stderr]).toEqual([0, '']);
      expect(events.stdout).toMatch(/^1 {2}\S+ {2}memory\.created {2}own\n$/);
    });

    it('tells a user without a key about --key and MEMSPACE_KEY, and names a refused key', async () => {
      const none = await as(undefined, ['spaces', 'list']);
      expect([none.code, none.stderr]).toEqual([1, `error: UNAUTHENTICATED: ${t.url} needs an API key: give --key KEY or set MEMSPACE_KEY\n`]);
      const forged = await as('msk_forged', ['list', 'mine']);
      expect([forged.code, forged.stderr]).toEqual([1, expect.stringMatching(new RegExp(`^error: UNAUTHENTICATED: ${t.url.replaceAll('.', '\\.')} refused the key of --key \\(`))]);
      const fromEnv = await as(undefined, ['list', 'mine'], { MEMSPACE_KEY: 'msk_forged' });
      expect(fromEnv.stderr).toMatch(/refused the key of MEMSPACE_KEY/);
      const json = await as(undefined, ['--json', 'list', 'mine']);
      expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'UNAUTHENTICATED', message: expect.stringContaining('--key') } });
    });

    it('takes the server and key from MEMSPACE_URL and MEMSPACE_KEY; --data-dir beats MEMSPACE_URL', async () => {
      const r = await cliRaw(['--json', 'get', 'mine', 'own'], '', { MEMSPACE_URL: t.url, MEMSPACE_KEY: t.root });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ id: 'own' });
      const local = tempDir('memspace-cli-local-');
      try {
        const onDir = await cli(local, ['get', 'mine', 'own'], '', { MEMSPACE_URL: t.url, MEMSPACE_KEY: t.root });
        expect(onDir.stderr).toMatch(/^error: SPACE_NOT_FOUND: /);
      } finally {
        rmSync(local, { recursive: true, force: true });
      }
    });

    it('whoami shows the key; use switches its default space on the server and in the settings file', async () => {
      const settings = join(outer.target!.dir, '..', `cli-${Date.now()}.json`);
      const env = { MEMSPACE_CONFIG: settings };
      const key = await scopedKey();
      const me = JSON.parse((await as(key, ['--json', 'whoami'], env)).stdout) as Record<string, unknown>;
      expect(me).toMatchObject({ name: 'mine only', grants: [{ space: 'mine', role: 'admin' }], defaultSpace: null, visibleSpaces: 1, currentSpace: null, on: t.url });
      const used = await as(key, ['use', 'mine'], env);
      expect([used.code, used.stdout], used.stderr).toEqual([0, `current space: mine (and the default space of the key on ${t.url})\n`]);
      expect(JSON.parse(readFileSync(settings, 'utf8'))).toEqual({ space: 'mine' });
      expect(JSON.parse((await as(key, ['--json', 'whoami'], env)).stdout)).toMatchObject({ defaultSpace: 'mine', currentSpace: 'mine' });
      expect((await as(key, ['get', '.', 'own'], env)).stdout).toContain('my own plan');
      // A space the key cannot see is refused as a missing one, and nothing changes.
      const hidden = await as(key, ['use', 'theirs'], env);
      expect([hidden.code, hidden.stderr]).toEqual([1, expect.stringMatching(/^error: SPACE_NOT_FOUND: space "theirs" not found/)]);
      expect(JSON.parse(readFileSync(settings, 'utf8'))).toEqual({ space: 'mine' });
      expect((await as(key, ['use', '--clear'], env)).code).toBe(0);
      expect(JSON.parse(readFileSync(settings, 'utf8'))).toEqual({});
      expect(JSON.parse((await as(key, ['--json', 'whoami'], env)).stdout)).toMatchObject({ defaultSpace: null, currentSpace: null });
      rmSync(settings, { force: true });
    });
  });
});

describe('choosing the target', () => {
  it('refuses two targets as a usage error, and commands with no API under --url', async () => {
    const dir = tempDir('memspace-cli-target-');
    try {
      for (const [argv, env] of [
        [['--url', 'http://127.0.0.1:9', '--data-dir', dir, 'spaces', 'list'], {}],
        [['--url', 'http://127.0.0.1:9', '--grpc', '127.0.0.1:9', 'spaces', 'list'], {}],
        [['spaces', 'list'], { MEMSPACE_URL: 'http://127.0.0.1:9', MEMSPACE_GRPC: '127.0.0.1:9' }],
      ] as const) {
        const r = await cliRaw([...argv], '', env);
        expect([r.code, r.stdout], argv.join(' ')).toEqual([2, '']);
        expect(r.stderr, argv.join(' ')).toMatch(/^error: .* (give one|unset one)/);
      }
      for (const args of [['serve'], ['migrate', '--from', dir, '--to', dir], ['keys', 'rotate-master'], ['eval', join(dir, 'x.json')], ['mcp']]) {
        const r = await cliRaw(['--url', 'http://127.0.0.1:9', ...args]);
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr, args.join(' ')).toMatch(new RegExp(`^error: VALIDATION_FAILED: "${args.slice(0, args[0] === 'keys' ? 2 : 1).join(' ')}" works on a data directory only`));
      }
      expect(existsSync(join(dir, 'x.json'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says in one line that a server cannot be reached', async () => {
    for (const args of [['spaces', 'list'], ['events', 'notes', '--limit', '1']]) {
      const r = await cliRaw(['--url', 'http://127.0.0.1:1', '--key', 'msk_x', ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/^error: BACKEND_UNAVAILABLE: cannot reach http:\/\/127\.0\.0\.1:1 \([^\n]*\)\n$/);
    }
  });
});

describeCliTarget(['data-dir', 'url'], 'memspace add SPACE -', (t) => {
  it('reads the content from stdin, one trailing newline dropped; empty stdin is VALIDATION_FAILED', async () => {
    expect((await t.run(['spaces', 'create', 'notes', '--embedder', 'none', '--dimension', '4'])).code).toBe(0);
    const text = 'line one\nline two — ünïcode\n';
    const r = await t.run(['--json', 'add', 'notes', '-', '--embedding', vec(0)], text);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { content: string }).content).toBe('line one\nline two — ünïcode');
    const empty = await t.run(['add', 'notes', '-', '--embedding', vec(0)], '');
    expect([empty.code, empty.stderr]).toEqual([1, expect.stringMatching(/^error: VALIDATION_FAILED: stdin is empty/)]);
    const newline = await t.run(['add', 'notes', '-', '--embedding', vec(0)], '\n');
    expect(newline.code).toBe(1);
  });
});

describe('memspace use and whoami on a data directory', () => {
  let dir: string;
  let settings: string;
  beforeEach(() => {
    dir = tempDir('memspace-cli-use-');
    settings = join(dir, 'conf', 'cli.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('whoami is the local operator; use stores the current space, which . stands for', async () => {
    const data = join(dir, 'data');
    const env = { MEMSPACE_CONFIG: settings };
    const run = (args: string[], stdin = ''): Promise<CliResult> => cli(data, args, stdin, env);
    expect((await run(['spaces', 'create', 'notes', '--embedder', 'none', '--dimension', '4'])).code).toBe(0);
    const me = JSON.parse((await run(['--json', 'whoami'])).stdout) as Record<string, unknown>;
    expect(me).toMatchObject({ id: 'local', grants: [{ prefix: '', role: 'admin' }], visibleSpaces: 2, currentSpace: null });
    expect((await run(['add', '.', 'x', '--embedding', vec(0)])).stderr).toMatch(/^error: VALIDATION_FAILED: "\." stands for the current space, and none is set: run memspace use SPACE/);
    expect((await run(['use', 'nowhere'])).stderr).toMatch(/^error: SPACE_NOT_FOUND: /);
    expect(existsSync(settings)).toBe(false);
    expect((await run(['use', 'notes'])).stdout).toBe('current space: notes\n');
    expect((await run(['use'])).stdout).toBe('current space: notes\n');
    const id = (await run(['add', '.', 'via the current space', '--embedding', vec(0)])).stdout.trim();
    expect(JSON.parse((await run(['--json', 'get', 'notes', id])).stdout)).toMatchObject({ content: 'via the current space' });
    expect((await run(['whoami'])).stdout).toMatch(/current space:\s+notes \(\. in a SPACE argument; /);
    // `.` is never a space name, and never reaches `spaces delete`'s <name>.
    expect((await run(['spaces', 'delete', '.'])).stderr).toMatch(/^error: INVALID_SPACE: /);
    expect((await run(['use', 'notes', '--clear'])).code).toBe(1);
    expect((await run(['use', '--clear'])).stdout).toBe('no current space\n');
    expect((await run(['use'])).stdout).toBe('no current space (memspace use SPACE sets one)\n');
  });

  it('refuses a settings file that is not its own, naming it', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(dir, 'conf'));
    writeFileSync(settings, 'not json');
    const r = await cli(join(dir, 'data'), ['use', 'default'], '', { MEMSPACE_CONFIG: settings });
    expect([r.code, r.stderr]).toEqual([1, `error: VALIDATION_FAILED: ${settings} is not JSON: fix or delete it\n`]);
  });
});
