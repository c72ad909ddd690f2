import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config.js';
import { openEngine, type MemspaceEngine } from '../../src/memspace.js';
import { buildApp } from '../../src/server/app.js';
import { sendRaw, type RawResponse } from './fuzz-http.js';
import type { JsonSchema } from './fuzz-json-schema.js';
import { startPglite } from './pglite.js';
import { startPostgres } from './postgres-server.js';
import { allMemories, axisVector, tempMemspace } from './temp-memspace.js';

/**
 * A marker planted only in the victims' data (contents, metadata, tags, relation, context,
 * space description and labels, the victim key's name): no answer to the fuzzing keys may
 * hold it. Nothing the fuzzer generates contains it.
 */
export const CANARY = 'cAnArY7f3e9b1d';

/** The dimension of the attacker's and the victim's spaces that take vectors from callers. */
export const FUZZ_DIMENSION = 8;

/** The backends a fuzz target runs on. */
export type FuzzBackend = 'embedded' | 'pglite' | 'postgres';

/** Names and ids of one side's things. */
export interface Refs {
  spaces: string[];
  memoryIds: string[];
  relationIds: string[];
  contextIds: string[];
  shareIds: string[];
  keyIds: string[];
  mcpSessions: string[];
}

/** What the fuzzer knows of the server: the attacker's keys, and the names and ids worth aiming at. */
export interface FuzzWorld {
  /** The attacker's secrets: write in `atk` and admin over `atk.*`, read in `atk` only, and a revoked one. */
  keys: { admin: string; reader: string; revoked: string };
  /** The attacker's own spaces and what is in them (`shared-id` is an id in the victim's space too). */
  own: Refs;
  /** The victim's, and names of nothing: the attacker must never reach them. */
  others: Refs;
  /** The tools of the MCP endpoint, with their argument schemas as `tools/list` describes them. */
  mcpTools: { name: string; inputSchema: JsonSchema }[];
}

/** A listening server with an attacker's and a victim's data planted. */
export interface FuzzTarget {
  port: number;
  /** The OpenAPI document the server serves. */
  document: Record<string, unknown>;
  world: FuzzWorld;
  /** Everything of the victims' an attacker could change, read through the engine: compare before and after. */
  victimState(): Promise<unknown>;
  /** What the victim's own key gets: its canaries over HTTP and a live MCP session (the positive case of every isolation check). */
  victimStillServed(): Promise<{ memories: RawResponse; mcp: RawResponse }>;
  close(): Promise<void>;
}

/** Starts memspace on `backend`, listening on 127.0.0.1 with authentication on, and plants both sides' data. */
export async function startFuzzTarget(backend: FuzzBackend): Promise<FuzzTarget> {
  const { ms, stop } = await openBackend(backend);
  const app = await buildApp({ memspace: ms, auth: true });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    const planted = await plant(ms, port);
    const document = JSON.parse((await sendRaw(port, { method: 'GET', target: '/openapi.json', headers: [] })).body.toString('utf8')) as Record<string, unknown>;
    return {
      port,
      document,
      world: planted.world,
      victimState: () => victimState(ms),
      async victimStillServed() {
        const memories = await sendRaw(port, { method: 'GET', target: '/v1/spaces/victim/memories', headers: [['Authorization', `Bearer ${planted.victimKey}`]] });
        const mcp = await mcpCall(port, planted.victimKey, planted.victimSession, { jsonrpc: '2.0', id: 99, method: 'tools/list' });
        return { memories, mcp };
      },
      async close() {
        await app.close();
        await stop();
      },
    };
  } catch (error) {
    await app.close();
    await stop();
    throw error;
  }
}

async function openBackend(backend: FuzzBackend): Promise<{ ms: MemspaceEngine; stop(): Promise<void> }> {
  const embeddings = await startEmbeddingsEndpoint();
  if (backend === 'embedded') {
    const ms = await tempMemspace({ config: { openaiBaseUrl: embeddings.url } });
    return {
      ms,
      async stop() {
        await ms.cleanup();
        await embeddings.stop();
      },
    };
  }
  const server = backend === 'pglite' ? await startPglite() : await startPostgres();
  const ms = await openEngine(loadConfig({ backend: 'postgres', pgUrl: server.url, pgPoolSize: 4, openaiBaseUrl: embeddings.url }, {}));
  return {
    ms,
    async stop() {
      await ms.close();
      await server.stop();
      await embeddings.stop();
    },
  };
}

const v = (axis: number): number[] => axisVector(FUZZ_DIMENSION, axis);

/** Plants the victims' data (in `victim` and in `default`) and the attacker's, and opens an MCP session for each side. */
async function plant(ms: MemspaceEngine, port: number): Promise<{ world: FuzzWorld; victimKey: string; victimSession: string }> {
  await ms.spaces.create({ name: 'victim', description: `${CANARY} plans`, labels: { owner: CANARY }, isolation: 'shared', embedder: 'none', dimension: FUZZ_DIMENSION });
  for (const [id, axis] of [['vic-m1', 1], ['shared-id', 2]] as const) {
    await ms.memories.add('victim', { id, content: `${CANARY} secret plan ${id}`, metadata: { note: CANARY }, tags: ['plans', `tag-${CANARY}`], userId: 'vic-user', embedding: v(axis) });
  }
  const victimRelation = await ms.memories.relate('victim', { from: 'vic-m1', to: 'shared-id', type: 'leads-to', metadata: { why: CANARY } });
  await ms.memories.addContext('victim', { id: 'vic-ctx', content: `${CANARY} the whole secret plan`, summary: `${CANARY} summary`, embedding: v(3) });
  await ms.memories.add('default', { id: 'def-m1', content: `${CANARY} secret plan in the default space`, userId: 'vic-user' });
  const victimKey = await ms.keys.create({ name: `victim ${CANARY}`, grants: [{ space: 'victim', role: 'admin' }], defaultSpace: 'victim' });
  const victimShare = await ms.shares.create('victim', { to: victimKey.id });

  // An embedder and a small dimension: the attacker's requests may give vectors or leave them to the server.
  await ms.spaces.create({ name: 'atk', embedder: 'openai:stand-in', dimension: FUZZ_DIMENSION, isolation: 'shared' });
  await ms.spaces.create({ name: 'atk.text', isolation: 'shared' });
  for (const [id, axis] of [['atk-m1', 1], ['atk-m2', 4], ['shared-id', 2]] as const) {
    await ms.memories.add('atk', { id, content: `the attacker's secret plan ${id}`, tags: ['plans'], userId: 'atk-user', embedding: v(axis) });
  }
  await ms.memories.add('atk.text', { id: 'atk-t1', content: 'the attacker writes a secret plan in words' });
  const attackerRelation = await ms.memories.relate('atk', { from: 'atk-m1', to: 'shared-id', type: 'leads-to' });
  await ms.memories.addContext('atk', { id: 'atk-ctx', content: 'the attacker context', embedding: v(5) });
  const attackerShare = await ms.shares.create('atk.text', { to: 'atk' });
  // Admin over `atk.*` but only write in `atk`: the fuzzer may delete and archive the spaces it
  // creates, never the one most of its requests aim at.
  const admin = await ms.keys.create({ name: 'attacker', grants: [{ space: 'atk', role: 'write' }, { prefix: 'atk.', role: 'admin' }], defaultSpace: 'atk' });
  const reader = await ms.keys.create({ name: 'attacker reader', grants: [{ space: 'atk', role: 'read' }] });
  const revoked = await ms.keys.create({ name: 'attacker revoked', grants: [{ space: 'atk.text', role: 'admin' }] });
  await ms.keys.revoke(revoked.id);

  const victimSession = await openMcpSession(port, victimKey.key);
  const attackerSession = await openMcpSession(port, admin.key);
  const tools = await mcpCall(port, admin.key, attackerSession, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
  const listed = sseResult(tools) as { tools: { name: string; inputSchema: JsonSchema }[] };

  const world: FuzzWorld = {
    keys: { admin: admin.key, reader: reader.key, revoked: revoked.key },
    own: {
      spaces: ['atk', 'atk.text'],
      memoryIds: ['atk-m1', 'atk-m2', 'shared-id', 'atk-t1'],
      relationIds: [attackerRelation.id],
      contextIds: ['atk-ctx'],
      shareIds: [attackerShare.id],
      keyIds: [admin.id, reader.id, revoked.id],
      mcpSessions: [attackerSession],
    },
    others: {
      spaces: ['victim', 'VICTIM', 'default', 'ATK', 'missing'],
      memoryIds: ['vic-m1', 'def-m1', 'no-such-memory'],
      relationIds: [victimRelation.id],
      contextIds: ['vic-ctx'],
      shareIds: [victimShare.id],
      keyIds: [victimKey.id],
      mcpSessions: [victimSession],
    },
    mcpTools: listed.tools.map((t) => ({ name: t.name, inputSchema: t.inputSchema })),
  };
  return { world, victimKey: victimKey.key, victimSession };
}

/** Headers of an MCP request: the key, JSON, and the two answers Streamable HTTP lets a server choose from. */
function mcpHeaders(key: string, session?: string): [string, string][] {
  return [['Authorization', `Bearer ${key}`], ['Content-Type', 'application/json'], ['Accept', 'application/json, text/event-stream'], ...(session === undefined ? [] : [['Mcp-Session-Id', session] as [string, string]])];
}

function mcpCall(port: number, key: string, session: string, message: unknown): Promise<RawResponse> {
  return sendRaw(port, { method: 'POST', target: '/mcp', headers: mcpHeaders(key, session), body: Buffer.from(JSON.stringify(message)) });
}

async function openMcpSession(port: number, key: string): Promise<string> {
  const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } } };
  const r = await sendRaw(port, { method: 'POST', target: '/mcp', headers: mcpHeaders(key), body: Buffer.from(JSON.stringify(init)) });
  const session = r.headers['mcp-session-id'];
  if (r.status !== 200 || session === undefined) throw new Error(`MCP initialize failed: ${r.status} ${r.body.toString('utf8')}`);
  await sendRaw(port, { method: 'POST', target: '/mcp', headers: mcpHeaders(key, session), body: Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })) });
  return session;
}

/** The `result` of a JSON-RPC answer sent as JSON or as one server-sent event. */
export function sseResult(response: RawResponse): unknown {
  const text = response.body.toString('utf8');
  const data = text.startsWith('{') ? text : text.split('\n').find((line) => line.startsWith('data: '))?.slice('data: '.length);
  if (data === undefined) throw new Error(`no JSON-RPC answer in ${JSON.stringify(text.slice(0, 200))}`);
  return (JSON.parse(data) as { result?: unknown }).result;
}

/** The victims' data, as stable as a record of it can be: nothing here may change while only the attacker calls. */
async function victimState(ms: MemspaceEngine): Promise<unknown> {
  const state: Record<string, unknown> = {};
  for (const space of ['victim', 'default']) {
    const { name, description, isolation, sensitivity, retentionDays, quotas, labels, embedder, dimension, createdAt, updatedAt } = await ms.spaces.get(space);
    const memories = [...(await allMemories(ms, space)).byId.values()].sort((a, b) => a.id.localeCompare(b.id));
    const relations = await Promise.all(memories.map((m) => ms.memories.relations(space, m.id)));
    state[space] = { record: { name, description, isolation, sensitivity, retentionDays, quotas, labels, embedder, dimension, createdAt, updatedAt }, memories, relations, shares: await ms.shares.list(space) };
  }
  state['context'] = await ms.memories.getContext('victim', 'vic-ctx');
  state['keys'] = (await ms.keys.list()).filter((k) => k.name.includes(CANARY));
  return state;
}

/**
 * The OpenAI-compatible embeddings endpoint of the fuzzed server's `openai:*` spaces (no such
 * service runs here): a real HTTP server on 127.0.0.1 speaking `POST /v1/embeddings`, whose
 * vectors hash each word into a slot, so a fuzzed space may name any model and still be served.
 * The local model (`local:use-lite`) is the real one.
 */
async function startEmbeddingsEndpoint(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      const body = JSON.parse(raw) as { input: string[]; dimensions?: number };
      const dimension = body.dimensions ?? FUZZ_DIMENSION;
      const data = body.input.map((text, index) => {
        const vector = new Array<number>(dimension).fill(0);
        for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) vector[createHash('sha256').update(word).digest().readUInt32BE(0) % dimension]! += 1;
        vector[0]! += 0.01; // never the zero vector
        return { object: 'embedding', index, embedding: vector };
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1`, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}
