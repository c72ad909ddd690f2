import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Memory } from '../../src/core/views.js';
import type { KnowledgeGraph } from '../../src/mcp/knowledge-graph.js';
import { runCli } from '../../src/cli/program.js';
import { cli } from '../support/run-cli.js';
import { fails, INITIALIZE, listenApp, ok, postMcp } from '../support/mcp.js';
import { tempDir, tempMemspace } from '../support/temp-memspace.js';

// `memspace mcp` as an MCP client starts it: a child process speaking JSON-RPC on stdin and
// stdout. The child runs the CLI's source through tsx (the same entry point as bin/memspace,
// without needing a build).

const ROOT = resolve(import.meta.dirname, '../..');
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
let dataDir: string;

beforeAll(async () => {
  dataDir = tempDir();
  const ms = await tempMemspace({ dataDir });
  await ms.spaces.create({ name: 'work' });
  await ms.spaces.create({ name: 'home', embedder: 'none', dimension: 3 });
  await ms.close();
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs `memspace mcp` in this process with `messages` on its stdin; returns the JSON lines it wrote. */
async function runInProcess(args: string[], env: NodeJS.ProcessEnv, messages: object[]): Promise<Record<string, unknown>[]> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let out = '';
  stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const stderr = { write: () => true };
  const done = runCli(['--data-dir', dataDir, 'mcp', ...args], { stdin, stdout, stderr, env });
  for (const m of messages) stdin.write(`${JSON.stringify(m)}\n`);
  // Ending the input ends the server once what was asked is answered.
  const answered = (): boolean => out.split('\n').filter((l) => l.trim() !== '').length >= messages.filter((m) => 'id' in m).length;
  let exited = false;
  void done.then(() => (exited = true));
  // Until answered, or the command gave up (then the exit code below says why).
  while (!answered() && !exited) await Promise.race([new Promise((r) => stdout.once('data', r)), done]);
  stdin.end();
  expect(await done).toBe(0);
  return out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Runs `memspace mcp` in this process with `input` on a byte stdin that then ends; what it printed and returned. */
async function runOnce(args: string[], input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const done = runCli(['--data-dir', dataDir, 'mcp', ...args], { stdin, stdout, stderr: { write: (s: string) => (err += s) }, env: {} });
  stdin.end(input);
  const code = await done;
  return { code, stdout: out, stderr: err };
}

async function connect(args: string[], env: Record<string, string> = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...CLI, '--data-dir', dataDir, 'mcp', ...args],
    cwd: ROOT,
    env: { MEMSPACE_EMBED_POOL_SIZE: '1', ...env },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'stdio-test', version: '1.0.0' });
  await client.connect(transport);
  await client.listTools();
  return client;
}

describe('memspace mcp (stdio)', () => {
  it('serves the --space space: memory tools, graph tools, and errors as tool errors', async () => {
    const client = await connect(['--space', 'work']);
    try {
      expect((await client.listTools()).tools).toHaveLength(21); // suggest_space too: the data directory's holder sees every space
      expect((await ok(client, 'list_spaces'))['current']).toBe('work');
      const m = await ok<Memory>(client, 'add_memory', { content: 'The deploy pipeline runs nightly at 2am', tags: ['infra'] });
      expect((await ok<Memory>(client, 'get_memory', { id: m.id })).tags).toEqual(['infra']);
      const { results } = await ok<{ results: { memory: Memory }[] }>(client, 'search_memories', { query: 'when do deployments happen?', limit: 1 });
      expect(results[0]!.memory.id).toBe(m.id);
      await ok(client, 'create_entities', { entities: [{ name: 'Alice', entityType: 'person', observations: ['likes to meet before 10am'] }] });
      expect((await ok<KnowledgeGraph>(client, 'read_graph')).entities.map((e) => e.name)).toEqual(['Alice']);
      expect((await fails(client, 'get_memory', { id: 'nope' })).code).toBe('NOT_FOUND');
      expect((await fails(client, 'add_memory', {})).code).toBe('VALIDATION_FAILED');
    } finally {
      await client.close();
    }
    // The writes landed in `work` and nowhere else.
    const ms = await tempMemspace({ dataDir });
    try {
      expect((await ms.memories.list('work')).items).toHaveLength(2);
      expect((await ms.memories.list('default')).items).toHaveLength(0);
    } finally {
      await ms.close();
    }
  });

  it('takes the space from MEMSPACE_SPACE, and --space over it', async () => {
    const current = async (args: string[], env: NodeJS.ProcessEnv): Promise<unknown> => {
      const lines = await runInProcess(args, env, [
        { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_spaces', arguments: {} } },
      ]);
      return (lines.find((l) => l['id'] === 2)?.['result'] as { structuredContent: Record<string, unknown> }).structuredContent['current'];
    };
    expect(await current([], { MEMSPACE_SPACE: 'home' })).toBe('home');
    expect(await current(['--space', 'work'], { MEMSPACE_SPACE: 'home' })).toBe('work');
    expect(await current([], {})).toBe('default');
  });

  it('creates a missing space on first use, saying so in one line of stderr, and serves it', async () => {
    const first = await runOnce(['--space', 'fresh'], `${JSON.stringify(INIT)}\n`);
    expect(first.code).toBe(0);
    const created = first.stderr.split('\n').filter((l) => l.includes('created'));
    expect(created).toEqual(['memspace mcp: created space "fresh"']);
    expect(JSON.parse(first.stdout.trim())).toMatchObject({ id: 1, result: { serverInfo: { name: 'memspace' } } });
    // The next start finds it: nothing more is created or said.
    const again = await runOnce(['--space', 'FRESH'], `${JSON.stringify(INIT)}\n`);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('created');
    const ms = await tempMemspace({ dataDir });
    try {
      const [record, work] = [await ms.spaces.get('fresh'), await ms.spaces.get('work')];
      // The defaults of new spaces, as `work` (created with a name only) has them.
      expect(record).toMatchObject({ name: 'fresh', embedder: work.embedder, dimension: work.dimension, isolation: work.isolation });
    } finally {
      await ms.close();
    }
  });

  it('refuses a missing space under --no-create, and an invalid one always: exit 1, the code on stderr, nothing on stdout', async () => {
    const missing = await cli(dataDir, ['mcp', '--space', 'nope', '--no-create']);
    expect([missing.code, missing.stdout]).toEqual([1, '']);
    expect(missing.stderr).toContain('SPACE_NOT_FOUND');
    expect(missing.stderr).toContain('--no-create was given');
    expect(missing.stderr).toContain('memspace spaces create nope');
    const invalid = await cli(dataDir, ['mcp', '--space', '../work']);
    expect([invalid.code, invalid.stdout]).toEqual([1, '']);
    expect(invalid.stderr).toContain('INVALID_SPACE');
    const ms = await tempMemspace({ dataDir });
    try {
      expect((await ms.spaces.list({ prefix: 'nope' })).items).toEqual([]);
    } finally {
      await ms.close();
    }
  });

  it('answers on stdout and exits 0 by itself when its input ends', async () => {
    const child = spawn(process.execPath, [...CLI, '--data-dir', dataDir, 'mcp', '--space', 'home'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('close', (code, signal) => done({ code, signal })));
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
    child.stdin.end(`${JSON.stringify(initialize)}\n`);
    expect(await closed).toEqual({ code: 0, signal: null });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ jsonrpc: '2.0', id: 1, result: { serverInfo: { name: 'memspace' } } });
  });

  it('answers every call written before its input ended, slow ones included, then exits 0', async () => {
    const child = spawn(process.execPath, [...CLI, '--data-dir', dataDir, 'mcp', '--space', 'work'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, MEMSPACE_EMBED_POOL_SIZE: '1' } });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const closed = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    const messages = [
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pipe', version: '1' } } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      // The first embedding loads the model: far slower than reading the end of the input.
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'add_memory', arguments: { content: 'written through a pipe' } } },
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'search_memories', arguments: { query: 'pipe' } } },
    ];
    child.stdin.end(messages.map((m) => `${JSON.stringify(m)}\n`).join(''));
    expect(await closed).toBe(0);
    const answers = stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: number; result: { isError?: boolean } });
    expect(answers.map((a) => a.id).sort()).toEqual([1, 2, 3]);
    expect(answers.filter((a) => a.result.isError === true)).toEqual([]);
  });
});

describe('first use over /mcp (HTTP)', () => {
  it('creates nothing: a missing space stays SPACE_NOT_FOUND, whatever the key may do', async () => {
    const ms = await tempMemspace();
    const server = await listenApp(ms);
    try {
      const root = (await ms.keys.ensureRootKey())!;
      const writer = (await ms.keys.create({ name: 'writer', grants: [{ prefix: 'team.', role: 'write' }] })).key;
      const admin = (await ms.keys.create({ name: 'admin', grants: [{ prefix: 'team.', role: 'admin' }] })).key;
      for (const key of [writer, admin, root]) {
        const r = await postMcp(server.mcpUrl, { authorization: `Bearer ${key}`, 'x-memory-space': 'team.new' }, INITIALIZE);
        expect([r.status, (r.body as { error: { code: string } }).error.code]).toEqual([404, 'SPACE_NOT_FOUND']);
        expect(r.sessionId).toBeNull();
      }
      expect((await ms.spaces.list({ prefix: 'team.' })).items).toEqual([]);
    } finally {
      await server.close();
      await ms.cleanup();
    }
  });
});
