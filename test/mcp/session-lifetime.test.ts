import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { LOCAL_PRINCIPAL } from '../../src/engine/access-guard.js';
import { connectHttp, INITIALIZE, listenApp, postMcp, type ListeningApp } from '../support/mcp.js';
import { killServeProcesses, startServeProcess } from '../support/serve-process.js';
import { tempDir, tempMemspace } from '../support/temp-memspace.js';

type TempMemspace = Awaited<ReturnType<typeof tempMemspace>>;
type Posted = Awaited<ReturnType<typeof postMcp>>;

const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
const errorOf = (posted: Posted): { code: string; message: string; details?: Record<string, unknown> } =>
  (posted.body as { error: { code: string; message: string; details?: Record<string, unknown> } }).error;

/** Opens a session by hand (initialize, then the initialized notification) and returns its id. */
async function openSession(mcpUrl: string, key: string, space: string, headers: Record<string, string> = {}): Promise<string> {
  const init = await postMcp(mcpUrl, { ...bearer(key), 'x-memory-space': space, ...headers }, INITIALIZE);
  expect(init.status, JSON.stringify(init.body)).toBe(200);
  const sid = init.sessionId!;
  expect((await postMcp(mcpUrl, { ...bearer(key), 'mcp-session-id': sid, ...headers }, { method: 'notifications/initialized' })).status).toBe(202);
  return sid;
}

/** One tool call of session `sid`, by hand. */
function callTool(mcpUrl: string, key: string, sid: string, name: string, args: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Posted> {
  return postMcp(mcpUrl, { ...bearer(key), 'mcp-session-id': sid, ...headers }, { id: 2, method: 'tools/call', params: { name, arguments: args } });
}

/** The structured result of a tool call that must have succeeded. */
function resultOf<T = Record<string, unknown>>(posted: Posted): T {
  expect(posted.status, JSON.stringify(posted.body)).toBe(200);
  const result = (posted.body as { result: { isError?: boolean; structuredContent: T } }).result;
  expect(result.isError ?? false, JSON.stringify(result)).toBe(false);
  return result.structuredContent;
}

/** Opens the session's GET stream; `ended` settles when the server ends it. */
async function openStream(mcpUrl: string, key: string, sid: string): Promise<{ ended: Promise<string> }> {
  const response = await fetch(mcpUrl, { headers: { ...bearer(key), 'mcp-session-id': sid, accept: 'text/event-stream' } });
  expect(response.status).toBe(200);
  return { ended: response.text() };
}

function endSession(mcpUrl: string, key: string, sid: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(mcpUrl, { method: 'DELETE', headers: { ...bearer(key), 'mcp-session-id': sid, ...headers } });
}

async function writerKey(ms: TempMemspace, space: string): Promise<{ id: string; key: string }> {
  return ms.keys.create({ name: `writer of ${space}`, grants: [{ space, role: 'write' }] }, { principal: LOCAL_PRINCIPAL });
}

describe('MCP sessions end after MEMSPACE_MCP_IDLE_TIMEOUT_MS without a request', () => {
  const IDLE_MS = 1000;
  let ms: TempMemspace;
  let server: ListeningApp;
  // An embeddings endpoint that takes twice the idle timeout to embed a text containing "slow".
  let embeddings: Server;

  beforeAll(async () => {
    embeddings = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (raw += chunk));
      req.on('end', () => {
        const { input } = JSON.parse(raw) as { input: string[] };
        const answer = (): void => {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: input.map((_, index) => ({ index, embedding: [1, 0, 0, index + 1] })) }));
        };
        if (input.some((text) => text.includes('slow'))) setTimeout(answer, 2 * IDLE_MS);
        else answer();
      });
    });
    await new Promise<void>((resolve) => embeddings.listen(0, '127.0.0.1', resolve));
    const openaiBaseUrl = `http://127.0.0.1:${(embeddings.address() as AddressInfo).port}`;
    // One session per key, so the test also sees the idle one give its place back.
    ms = await tempMemspace({ config: { mcpIdleTimeoutMs: IDLE_MS, mcpSessionsPerKey: 1, openaiBaseUrl } });
    await ms.spaces.create({ name: 'work', embedder: 'none', dimension: 2 });
    await ms.spaces.create({ name: 'slow', embedder: 'openai:test', dimension: 4 });
    server = await listenApp(ms);
  });
  afterAll(async () => {
    await server.close();
    await ms.cleanup();
    await new Promise((resolve) => embeddings.close(resolve));
  });

  it('stay open while used, then end: stream closed, id answered 404, the key free to open another', async () => {
    const { key } = await writerKey(ms, 'work');
    const sid = await openSession(server.mcpUrl, key, 'work');
    const second = await postMcp(server.mcpUrl, { ...bearer(key), 'x-memory-space': 'work' }, INITIALIZE);
    expect([second.status, errorOf(second).code]).toEqual([429, 'QUOTA_EXCEEDED']);

    // Used every fifth of the timeout for three timeouts, the session stays.
    for (let i = 0; i < 15; i++) {
      await sleep(IDLE_MS / 5);
      resultOf(await callTool(server.mcpUrl, key, sid, 'add_memory', { content: `note ${i}`, embedding: [1, i] }));
    }

    // Left alone, it ends; an open GET stream is no use of it, and ending the session ends the stream.
    const lastRequest = Date.now();
    const stream = await openStream(server.mcpUrl, key, sid);
    await stream.ended;
    expect(Date.now() - lastRequest).toBeGreaterThanOrEqual(IDLE_MS - 20);
    const after = await callTool(server.mcpUrl, key, sid, 'list_memories');
    expect([after.status, errorOf(after).code]).toEqual([404, 'NOT_FOUND']);
    expect((await endSession(server.mcpUrl, key, sid)).status).toBe(404);

    // Its place is free again, and what it wrote is kept.
    const next = await openSession(server.mcpUrl, key, 'work');
    const listed = resultOf<{ items: { content: string }[] }>(await callTool(server.mcpUrl, key, next, 'list_memories', { limit: 100 }));
    expect(listed.items.map((m) => m.content).sort()).toEqual(Array.from({ length: 15 }, (_, i) => `note ${i}`).sort());
  });

  it('never end while a request is being answered, however long it takes', async () => {
    const { key } = await writerKey(ms, 'slow');
    const sid = await openSession(server.mcpUrl, key, 'slow');
    resultOf(await callTool(server.mcpUrl, key, sid, 'add_memory', { content: 'a quick note' }));
    // Embedding the query takes twice the idle timeout.
    const slow = resultOf<{ results: unknown[] }>(await callTool(server.mcpUrl, key, sid, 'search_memories', { query: 'slow query', mode: 'vector' }));
    expect(slow.results).toHaveLength(1);
    resultOf(await callTool(server.mcpUrl, key, sid, 'list_memories'));
    expect((await endSession(server.mcpUrl, key, sid)).status).toBe(200);
  });
});

describe('MCP session limits, origins and revocation', () => {
  let ms: TempMemspace;
  let server: ListeningApp;
  let root: string;

  beforeAll(async () => {
    ms = await tempMemspace({ config: { mcpSessionsPerKey: 3, mcpAllowedOrigins: 'https://app.example.com' } });
    root = (await ms.keys.ensureRootKey())!;
    await ms.spaces.create({ name: 'work', embedder: 'none', dimension: 2 });
    await ms.spaces.create({ name: 'other', embedder: 'none', dimension: 2 });
    server = await listenApp(ms);
  });
  afterAll(async () => {
    await server.close();
    await ms.cleanup();
  });

  it('a key holds at most mcpSessionsPerKey sessions: one more is 429 QUOTA_EXCEEDED, other keys and open sessions unaffected', async () => {
    const { key } = await writerKey(ms, 'work');
    const { key: otherKey } = await writerKey(ms, 'other');
    const open = [await openSession(server.mcpUrl, key, 'work'), await openSession(server.mcpUrl, key, 'work'), await openSession(server.mcpUrl, key, 'work')];
    const refused = await postMcp(server.mcpUrl, { ...bearer(key), 'x-memory-space': 'work' }, INITIALIZE);
    expect([refused.status, errorOf(refused).code]).toEqual([429, 'QUOTA_EXCEEDED']);
    expect(errorOf(refused).details).toEqual({ quota: 'mcpSessionsPerKey', limit: 3, unit: 'sessions' });
    expect(refused.sessionId).toBeNull();
    await expect(connectHttp(server.mcpUrl, key, 'work')).rejects.toThrow(/QUOTA_EXCEEDED/);

    // Another key opens its own; the open sessions carry on.
    const others = await openSession(server.mcpUrl, otherKey, 'other');
    resultOf(await callTool(server.mcpUrl, otherKey, others, 'add_memory', { content: 'other note', embedding: [0, 1] }));
    for (const sid of open) resultOf(await callTool(server.mcpUrl, key, sid, 'list_memories'));

    // Ending one gives its place back.
    expect((await endSession(server.mcpUrl, key, open[0]!)).status).toBe(200);
    const replacement = await openSession(server.mcpUrl, key, 'work');
    resultOf(await callTool(server.mcpUrl, key, replacement, 'list_memories'));
    for (const sid of [...open.slice(1), replacement]) expect((await endSession(server.mcpUrl, key, sid)).status).toBe(200);
    expect((await endSession(server.mcpUrl, otherKey, others)).status).toBe(200);
  });

  it('holds the limit under concurrent initializes', async () => {
    const { key } = await writerKey(ms, 'work');
    const answers = await Promise.all(Array.from({ length: 6 }, () => postMcp(server.mcpUrl, { ...bearer(key), 'x-memory-space': 'work' }, INITIALIZE)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 429, 429, 429]);
    for (const a of answers.filter((a) => a.status === 200)) expect((await endSession(server.mcpUrl, key, a.sessionId!)).status).toBe(200);
  });

  it('refuses web pages of foreign origins with 403 FORBIDDEN before their key is looked at', async () => {
    const sid = await openSession(server.mcpUrl, root, 'work');
    for (const origin of [
      'https://evil.example',
      'null',
      'http://app.example.com',
      'https://app.example.com:8443',
      'https://localhost.evil.example',
      'http://127.0.0.1.nip.io',
      'file:///home/user/page.html',
    ]) {
      for (const key of [root, 'msk_forged']) {
        const r = await postMcp(server.mcpUrl, { ...bearer(key), origin, 'x-memory-space': 'work' }, INITIALIZE);
        expect([r.status, errorOf(r).code], origin).toEqual([403, 'FORBIDDEN']);
        expect(r.sessionId).toBeNull();
      }
      const noKey = await postMcp(server.mcpUrl, { origin }, INITIALIZE);
      expect(noKey.status, origin).toBe(403);
      // Nor can such a page use, read or end an open session.
      expect((await callTool(server.mcpUrl, root, sid, 'list_memories', {}, { origin })).status, origin).toBe(403);
      expect((await fetch(server.mcpUrl, { headers: { ...bearer(root), 'mcp-session-id': sid, accept: 'text/event-stream', origin } })).status).toBe(403);
      expect((await endSession(server.mcpUrl, root, sid, { origin })).status).toBe(403);
    }
    expect(errorOf(await postMcp(server.mcpUrl, { ...bearer(root), origin: 'https://evil.example' }, INITIALIZE)).details).toEqual({ origin: 'https://evil.example' });
    // The session is untouched.
    resultOf(await callTool(server.mcpUrl, root, sid, 'list_memories'));
    expect((await endSession(server.mcpUrl, root, sid)).status).toBe(200);
  });

  it("accepts requests without Origin, from this machine's pages and from the configured origins", async () => {
    for (const origin of [undefined, 'http://localhost:3000', 'https://localhost', 'http://127.0.0.1:7420', 'http://127.1.2.3', 'http://[::1]:8080', 'https://app.example.com', 'https://APP.example.com:443']) {
      const headers: Record<string, string> = origin === undefined ? {} : { origin };
      const sid = await openSession(server.mcpUrl, root, 'work', headers);
      resultOf(await callTool(server.mcpUrl, root, sid, 'list_memories', {}, headers));
      expect((await endSession(server.mcpUrl, root, sid, headers)).status, origin).toBe(200);
    }
  });

  it("revoking a key ends its open sessions at once: streams closed, next request 401; another key's session carries on", async () => {
    const doomed = await writerKey(ms, 'work');
    const { key: otherKey } = await writerKey(ms, 'other');
    const sid = await openSession(server.mcpUrl, doomed.key, 'work');
    const written = resultOf<{ id: string }>(await callTool(server.mcpUrl, doomed.key, sid, 'add_memory', { content: 'before revocation', embedding: [1, 0] }));
    const stream = await openStream(server.mcpUrl, doomed.key, sid);
    const others = await openSession(server.mcpUrl, otherKey, 'other');

    const base = server.mcpUrl.replace(/\/mcp$/, '');
    expect((await fetch(`${base}/v1/keys/${doomed.id}`, { method: 'DELETE', headers: bearer(root) })).status).toBe(204);
    await stream.ended;
    const after = await callTool(server.mcpUrl, doomed.key, sid, 'get_memory', { id: written.id });
    expect([after.status, errorOf(after).code]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await endSession(server.mcpUrl, doomed.key, sid)).status).toBe(401);

    // The other key's session works; what the revoked key wrote stays, for those who may read it.
    resultOf(await callTool(server.mcpUrl, otherKey, others, 'list_memories'));
    expect((await ms.memories.get('work', written.id)).content).toBe('before revocation');
    expect((await endSession(server.mcpUrl, otherKey, others)).status).toBe(200);
  });

  it("a session's tools reach its own space only", async () => {
    await ms.spaces.create({ name: 'own', embedder: 'none', dimension: 2 });
    const { key } = await writerKey(ms, 'own');
    const secret = await ms.memories.add('other', { content: 'only for other', embedding: [0, 1] });
    const sid = await openSession(server.mcpUrl, key, 'own');
    const mine = resultOf<{ id: string }>(await callTool(server.mcpUrl, key, sid, 'add_memory', { content: 'mine', embedding: [0, 1] }));
    for (const [tool, args] of [
      ['get_memory', { id: secret.id }],
      ['update_memory', { id: secret.id, content: 'changed from own' }],
      ['delete_memory', { id: secret.id }],
    ] as const) {
      const failed = (await callTool(server.mcpUrl, key, sid, tool, args)).body as { result: { isError: boolean; content: { text: string }[] } };
      expect(failed.result.isError, tool).toBe(true);
      expect((JSON.parse(failed.result.content[0]!.text) as { error: { code: string } }).error.code, tool).toBe('NOT_FOUND');
    }
    const hits = resultOf<{ results: { memory: { id: string } }[] }>(await callTool(server.mcpUrl, key, sid, 'search_memories', { embedding: [0, 1], mode: 'vector' }));
    expect(hits.results.map((h) => h.memory.id)).toEqual([mine.id]);
    // Naming the other space on a request of the session switches nothing.
    const named = await callTool(server.mcpUrl, key, sid, 'list_memories', {}, { 'x-memory-space': 'other' });
    expect([named.status, errorOf(named).code]).toEqual([400, 'SPACE_CONFLICT']);
    expect((await ms.memories.get('other', secret.id)).content).toBe('only for other');
    expect((await endSession(server.mcpUrl, key, sid)).status).toBe(200);
  });
});

describe('configuration of MCP sessions', () => {
  const thrown = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (error) {
      return error;
    }
    return undefined;
  };

  it('reads the environment, normalizes origins and refuses what is not one', () => {
    const config = loadConfig({}, { MEMSPACE_MCP_IDLE_TIMEOUT_MS: '5000', MEMSPACE_MCP_SESSIONS_PER_KEY: '4', MEMSPACE_MCP_ALLOWED_ORIGINS: 'https://App.example.com/, http://x.example:8080 ,*' });
    expect([config.mcpIdleTimeoutMs, config.mcpSessionsPerKey, config.mcpAllowedOrigins]).toEqual([5000, 4, ['https://app.example.com', 'http://x.example:8080', '*']]);
    const defaults = loadConfig({}, {});
    expect([defaults.mcpIdleTimeoutMs, defaults.mcpSessionsPerKey, defaults.mcpAllowedOrigins]).toEqual([1_800_000, 16, []]);
    for (const [name, value] of [
      ['MEMSPACE_MCP_ALLOWED_ORIGINS', 'app.example.com'],
      ['MEMSPACE_MCP_ALLOWED_ORIGINS', 'ftp://files.example'],
      ['MEMSPACE_MCP_IDLE_TIMEOUT_MS', '0'],
      ['MEMSPACE_MCP_SESSIONS_PER_KEY', '-1'],
    ] as const) {
      // The message names the setting at fault.
      expect(thrown(() => loadConfig({}, { [name]: value })), `${name}=${value}`).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^invalid configuration: mcp/) as unknown });
    }
  });
});

describe('memspace serve --mcp-* flags', () => {
  const dataDir = tempDir('memspace-mcp-flags-');
  afterAll(() => {
    killServeProcesses();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('set the session limit and the allowed origins of the server', async () => {
    const { url, rootKey, child, exited } = await startServeProcess(dataDir, [
      '--port', '0', '--grpc-port', '0', '--mcp-sessions-per-key', '1', '--mcp-allowed-origins', 'https://app.example.com', '--mcp-idle-timeout-ms', '600000',
    ]);
    const mcpUrl = `${url}/mcp`;
    const sid = await openSession(mcpUrl, rootKey!, 'default', { origin: 'https://app.example.com' });
    const second = await postMcp(mcpUrl, bearer(rootKey!), INITIALIZE);
    expect([second.status, errorOf(second).details]).toEqual([429, { quota: 'mcpSessionsPerKey', limit: 1, unit: 'sessions' }]);
    expect((await postMcp(mcpUrl, { ...bearer(rootKey!), origin: 'https://evil.example' }, INITIALIZE)).status).toBe(403);
    resultOf(await callTool(mcpUrl, rootKey!, sid, 'list_spaces'));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
