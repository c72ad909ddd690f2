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
import { fails, ok } from '../support/mcp.js';
import { tempDir, tempMemspace } from '../support/temp-memspace.js';

// `memspace mcp` as an MCP client starts it: a child process speaking JSON-RPC on stdin and
// stdout. The child runs the CLI's source through tsx (the same entry point as bin/memspace,
// without needing a build).

const ROOT = resolve(import.meta.dirname, '../..');
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
      expect((await client.listTools()).tools).toHaveLength(20);
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

  it('refuses a missing or invalid space before serving: exit 1, the code on stderr, nothing on stdout', async () => {
    const missing = await cli(dataDir, ['mcp', '--space', 'nope']);
    expect([missing.code, missing.stdout]).toEqual([1, '']);
    expect(missing.stderr).toContain('SPACE_NOT_FOUND');
    const invalid = await cli(dataDir, ['mcp', '--space', '../work']);
    expect([invalid.code, invalid.stdout]).toEqual([1, '']);
    expect(invalid.stderr).toContain('INVALID_SPACE');
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
