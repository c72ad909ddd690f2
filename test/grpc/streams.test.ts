import { once } from 'node:events';
import { type Client, credentials, loadPackageDefinition, type Metadata, type ServiceClientConstructor, type ServiceError, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGrpcServer, type MemspaceGrpcServer, MAX_MESSAGE_BYTES } from '../../src/grpc/grpc-server.js';
import { STREAM_GROUP } from '../../src/grpc/memories-service.js';
import type { MemspaceEngine } from '../../src/memspace.js';
import { failure, grpcMetadata, type GrpcTestClients, grpcTestClients, type Json } from '../support/grpc.js';
import { allMemories, axisVector, tempMemspace } from '../support/temp-memspace.js';

/**
 * The streaming calls of the gRPC front end from a real client: Events.Watch (resume, new
 * events, its own space only, the end of a stream on revocation, deletion and shutdown),
 * Memories.AddStream (group commits, failures that say what is stored, cancellation), and the
 * standard services beside them (health, reflection), message limits and undecodable messages.
 */

const DIM = 4;
const v = (axis: number): number[] => axisVector(DIM, axis);

let ms: MemspaceEngine & { cleanup(): Promise<void> };
let server: MemspaceGrpcServer;
let address: string;
let c: GrpcTestClients;
let root: string;

beforeAll(async () => {
  ms = await tempMemspace();
  root = (await ms.keys.ensureRootKey())!;
  for (const name of ['red', 'blue']) await ms.spaces.create({ name, embedder: 'none', dimension: DIM });
  // Polling every hour: whatever ends or feeds a Watch in these tests does it by itself, not by a poll.
  server = buildGrpcServer({ memspace: ms, eventPollMs: 3_600_000 });
  address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
  c = grpcTestClients(address);
});

afterAll(async () => {
  c?.close();
  await server?.close();
  await ms?.cleanup();
});

/** Reads `count` messages from an open stream. */
async function take(stream: NodeJS.EventEmitter, count: number): Promise<Json[]> {
  const got: Json[] = [];
  if (count === 0) return got;
  return new Promise((resolve, reject) => {
    const onData = (m: Json): void => {
      got.push(m);
      if (got.length === count) {
        stream.off('data', onData);
        resolve(got);
      }
    };
    stream.on('data', onData);
    stream.once('error', reject);
  });
}

/** How an open stream ends: 'end' with OK, or its error. */
function ending(stream: NodeJS.EventEmitter): Promise<{ code: status; reason?: string | undefined }> {
  return new Promise((resolve) => {
    stream.on('data', () => undefined);
    stream.once('error', (e: ServiceError) => resolve({ code: e.code, reason: e.metadata.get('grpc-status-details-bin').length > 0 ? 'details' : undefined }));
    stream.once('end', () => resolve({ code: status.OK }));
  });
}

describe('gRPC Events.Watch', () => {
  it('replays the feed after `after`, then streams new events as they commit, of its own space only', async () => {
    const first = await ms.memories.add('red', { content: 'red 1', embedding: v(0) });
    const second = await ms.memories.add('red', { content: 'red 2', embedding: v(1) });
    const firstSeq = (await take(c.open(c.events, 'Watch', { space: 'red', after: 0 }, root), 1))[0]!['seq'] as number;
    // The root key reads both spaces; the stream of red still carries red only.
    const watch = c.open(c.events, 'Watch', { space: 'red', after: firstSeq }, root);
    const replay = await take(watch, 1);
    expect(replay.map((e) => e['id'])).toEqual([second.id]);
    const live = take(watch, 2);
    await ms.memories.add('blue', { content: 'blue', embedding: v(2) });
    const third = await ms.memories.add('red', { content: 'red 3', embedding: v(2) });
    await ms.memories.delete('red', first.id);
    const events = await live;
    expect(events.map((e) => [e['op'], e['id']])).toEqual([
      ['memory.created', third.id],
      ['memory.deleted', first.id],
    ]);
    expect(events.every((e) => typeof e['seq'] === 'number' && !Number.isNaN(Date.parse(e['at'] as string)))).toBe(true);
    watch.cancel();
  });

  it('takes the space from the metadata or the key’s default, and is NOT_FOUND for a space out of the key’s sight as for a missing one', async () => {
    const bluebird = await ms.keys.create({ name: 'blue only', grants: [{ space: 'blue', role: 'read' }], defaultSpace: 'blue' });
    const viaMetadata = c.open(c.events, 'Watch', { after: 0 }, root, { metadata: { 'x-memory-space': 'blue' } });
    expect((await take(viaMetadata, 1))[0]!['op']).toBe('memory.created');
    viaMetadata.cancel();
    for (const space of ['red', 'nowhere']) {
      const denied = await failure(c.streamed(c.events, 'Watch', { space }, bluebird.key));
      expect(denied, space).toMatchObject({ code: status.NOT_FOUND, reason: 'SPACE_NOT_FOUND' });
    }
    const own = c.open(c.events, 'Watch', {}, bluebird.key); // its default space
    expect((await take(own, 1))[0]!['op']).toBe('memory.created');
    own.cancel();
  });

  it('ends with UNAUTHENTICATED as soon as its key is revoked', async () => {
    const reader = await ms.keys.create({ name: 'red reader', grants: [{ space: 'red', role: 'read' }] });
    const watch = c.open(c.events, 'Watch', { space: 'red', latest: true }, reader.key);
    const ended = ending(watch);
    await ms.memories.add('red', { content: 'seen by nobody yet', embedding: v(3) }); // the stream is open and caught up
    await ms.keys.revoke(reader.id);
    expect(await ended).toMatchObject({ code: status.UNAUTHENTICATED });
  });

  it('ends with NOT_FOUND when its space is deleted', async () => {
    await ms.spaces.create({ name: 'doomed', embedder: 'none', dimension: DIM });
    const watch = c.open(c.events, 'Watch', { space: 'doomed' }, root);
    const ended = ending(watch);
    await ms.spaces.delete('doomed');
    expect(await ended).toMatchObject({ code: status.NOT_FOUND });
  });

  it('ends cleanly (OK) when the server shuts down, and the shutdown does not wait for the client', async () => {
    const other = buildGrpcServer({ memspace: ms, eventPollMs: 3_600_000 });
    const port = await other.listen('127.0.0.1', 0);
    const clients = grpcTestClients(`127.0.0.1:${port}`);
    try {
      const watch = clients.open(clients.events, 'Watch', { space: 'red' }, root);
      await take(watch, 1);
      const ended = ending(watch);
      await other.close(60_000); // would wait the full grace if the stream stayed open
      expect(await ended).toEqual({ code: status.OK });
    } finally {
      clients.close();
    }
  });

  it('answers a deadline with DEADLINE_EXCEEDED', async () => {
    const watch = c.open(c.events, 'Watch', { space: 'red', latest: true }, root, { deadline: Date.now() + 300 });
    expect(await ending(watch)).toMatchObject({ code: status.DEADLINE_EXCEEDED });
  });
});

describe('gRPC Events.Watch and the feed horizon', () => {
  const DAY = 86_400_000;
  let clock = Date.parse('2026-06-01T00:00:00Z');
  let feedMs: MemspaceEngine & { cleanup(): Promise<void> };
  let feedServer: MemspaceGrpcServer;
  let fc: GrpcTestClients;
  let key: string;

  beforeAll(async () => {
    feedMs = await tempMemspace({ now: () => clock, config: { feedRetentionDays: 7, feedMinEvents: 2 } });
    key = (await feedMs.keys.ensureRootKey())!;
    feedServer = buildGrpcServer({ memspace: feedMs, eventPollMs: 3_600_000 });
    fc = grpcTestClients(`127.0.0.1:${await feedServer.listen('127.0.0.1', 0)}`);
    await feedMs.spaces.create({ name: 'old', embedder: 'none', dimension: DIM });
    for (let i = 0; i < 5; i++) await feedMs.memories.add('old', { content: `old ${i}`, embedding: v(i) });
    clock += 8 * DAY;
    await feedMs.sweeper.sweepSpace('old'); // holds seqs 4 and 5
  });
  afterAll(async () => {
    fc?.close();
    await feedServer?.close();
    await feedMs?.cleanup();
  });

  it('fails at once with OUT_OF_RANGE, reason CURSOR_EXPIRED and the oldest event held, for a position compacted away', async () => {
    const expired = await failure(fc.streamed(fc.events, 'Watch', { space: 'old', after: 2 }, key));
    expect(expired).toMatchObject({ code: status.OUT_OF_RANGE, reason: 'CURSOR_EXPIRED', details: { after: '2', oldest: '4', latest: '5' } });
    const ahead = await failure(fc.streamed(fc.events, 'Watch', { space: 'old', after: 9 }, key));
    expect(ahead).toMatchObject({ code: status.OUT_OF_RANGE, reason: 'CURSOR_EXPIRED', details: { after: '9', oldest: '4', latest: '5' } });
    // After the last event compacted, and from nothing, the stream holds what the feed holds.
    for (const after of [3, 0]) {
      const watch = fc.open(fc.events, 'Watch', { space: 'old', after }, key);
      expect((await take(watch, 2)).map((e) => e['seq'])).toEqual([4, 5]);
      watch.cancel();
    }
  });

  it('starts at the head with latest, saying where in the x-memspace-after header, and sends only later changes', async () => {
    const watch = fc.open(fc.events, 'Watch', { space: 'old', latest: true }, key);
    const headers = await new Promise<Metadata>((resolve) => watch.once('metadata', resolve));
    expect(headers.get('x-memspace-after')).toEqual(['5']);
    const next = take(watch, 1);
    const added = await feedMs.memories.add('old', { content: 'new', embedding: v(1) });
    expect((await next).map((e) => [e['seq'], e['id']])).toEqual([[6, added.id]]);
    watch.cancel();
    const both = await failure(fc.streamed(fc.events, 'Watch', { space: 'old', after: 3, latest: true }, key));
    expect(both).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'VALIDATION_FAILED' });
  });
});

describe('gRPC Memories.AddStream', () => {
  const memory = (i: number, space = ''): Json => ({ space, id: `s${String(i).padStart(5, '0')}`, content: `streamed ${i}`, embedding: v(i), tags: ['stream'] });

  it('adds every memory of a long stream, in order, and answers with their ids once all are durable', async () => {
    await ms.spaces.create({ name: 'ingest', embedder: 'none', dimension: DIM });
    const { stream, done } = c.upload(c.memories, 'AddStream', root, { 'x-memory-space': 'ingest' });
    const count = STREAM_GROUP * 3 + 17;
    for (let i = 0; i < count; i++) if (!stream.write(memory(i))) await once(stream, 'drain');
    stream.end();
    const summary = await done;
    expect(summary['added']).toBe(count);
    expect(summary['ids']).toEqual(Array.from({ length: count }, (_, i) => memory(i)['id']));
    const { byId } = await allMemories(ms, 'ingest');
    expect(byId.size).toBe(count);
    expect(byId.get('s00042')).toMatchObject({ content: 'streamed 42', tags: ['stream'] });
  });

  it('fails on a bad memory with its code and how many of the first memories are stored; nothing after them is', async () => {
    await ms.spaces.create({ name: 'partial', embedder: 'none', dimension: DIM });
    const { stream, done } = c.upload(c.memories, 'AddStream', root);
    const bad = 1_234;
    for (let i = 0; i < 1_500; i++) {
      const m = i === bad ? { ...memory(i, 'partial'), embedding: [1, 0] } : memory(i, 'partial');
      if (!stream.write(m)) await once(stream, 'drain');
    }
    stream.end();
    const f = await failure(done);
    expect(f).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'DIMENSION_MISMATCH' });
    const committed = Number(f.details['committed']);
    expect(committed).toBeLessThanOrEqual(bad);
    const { byId } = await allMemories(ms, 'partial');
    expect([...byId.keys()].sort()).toEqual(Array.from({ length: committed }, (_, i) => memory(i)['id']));
  });

  it('refuses a message naming another space, an empty stream and a key that cannot write the space', async () => {
    const switching = c.upload(c.memories, 'AddStream', root);
    switching.stream.write(memory(0, 'red'));
    switching.stream.write(memory(1, 'blue'));
    switching.stream.end();
    expect(await failure(switching.done)).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'SPACE_CONFLICT' });
    expect((await allMemories(ms, 'blue')).byId.has(memory(1)['id'] as string)).toBe(false);

    const empty = c.upload(c.memories, 'AddStream', root, { 'x-memory-space': 'red' });
    empty.stream.end();
    expect(await failure(empty.done)).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'VALIDATION_FAILED' });

    const blueWriter = await ms.keys.create({ name: 'blue writer', grants: [{ space: 'blue', role: 'write' }] });
    const intruder = c.upload(c.memories, 'AddStream', blueWriter.key);
    intruder.stream.write({ ...memory(0, 'red'), id: 'planted' });
    intruder.stream.end();
    expect(await failure(intruder.done)).toMatchObject({ code: status.NOT_FOUND, reason: 'SPACE_NOT_FOUND' });
    expect((await allMemories(ms, 'red')).byId.has('planted')).toBe(false);
  });

  it('keeps, when the client cancels mid-stream, whole memories that are the stream’s first ones', async () => {
    await ms.spaces.create({ name: 'cut', embedder: 'none', dimension: DIM });
    const { stream, done } = c.upload(c.memories, 'AddStream', root, { 'x-memory-space': 'cut' });
    done.catch(() => undefined);
    let sent = 0;
    while ((await ms.spaces.get('cut')).stats.memories === 0) {
      for (let i = 0; i < 50; i++) stream.write(memory(sent++));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    stream.cancel();
    expect(await failure(done)).toMatchObject({ code: status.CANCELLED });
    await new Promise((resolve) => setTimeout(resolve, 200)); // a commit running at the cancel finishes
    const { byId } = await allMemories(ms, 'cut');
    expect(byId.size).toBeGreaterThan(0);
    expect([...byId.keys()].sort()).toEqual(Array.from({ length: byId.size }, (_, i) => memory(i)['id']));
    for (const [id, m] of byId) expect(m.content).toBe(`streamed ${Number(id.slice(1))}`);
  });
});

describe('gRPC standard services, limits and undecodable messages', () => {
  function standardClient(protoFile: string, name: string): Client {
    const root = loadPackageDefinition(loadSync(protoFile, { keepCase: true, longs: Number, enums: String, defaults: true })) as unknown as Record<string, unknown>;
    const ctor = name.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], root) as ServiceClientConstructor;
    return new ctor(address, credentials.createInsecure());
  }

  it('answers grpc.health.v1.Health for the server and each memspace service', async () => {
    const health = standardClient('node_modules/grpc-health-check/proto/health/v1/health.proto', 'grpc.health.v1.Health');
    try {
      for (const service of ['', 'memspace.v1.Spaces', 'memspace.v1.Memories', 'memspace.v1.Feedback', 'memspace.v1.Events']) {
        expect(await c.rpc(health, 'Check', { service }, null), service).toEqual({ status: 'SERVING' });
      }
      expect(await failure(c.rpc(health, 'Check', { service: 'memspace.v9.Nothing' }, null))).toMatchObject({ code: status.NOT_FOUND });
    } finally {
      health.close();
    }
  });

  it('lists its services through server reflection, and describes them', async () => {
    const reflection = standardClient('node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto', 'grpc.reflection.v1.ServerReflection');
    try {
      const call = (reflection as unknown as { ServerReflectionInfo(): NodeJS.EventEmitter & { write(m: Json): void; end(): void } }).ServerReflectionInfo();
      const answers = take(call, 2);
      call.write({ list_services: '' });
      call.write({ file_containing_symbol: 'memspace.v1.Memories' });
      const [listed, file] = await answers;
      call.end();
      const names = ((listed!['list_services_response'] as Json)['service'] as Json[]).map((s) => s['name']);
      expect(names).toEqual(expect.arrayContaining(['memspace.v1.Spaces', 'memspace.v1.Memories', 'memspace.v1.Feedback', 'memspace.v1.Events']));
      expect(((file!['file_descriptor_response'] as Json)['file_descriptor_proto'] as Buffer[]).length).toBeGreaterThan(0);
    } finally {
      reflection.close();
    }
  });

  it(`refuses a message over ${MAX_MESSAGE_BYTES} bytes with RESOURCE_EXHAUSTED, and keeps serving`, async () => {
    const huge = 'x'.repeat(MAX_MESSAGE_BYTES + 1);
    expect(await failure(c.rpc(c.memories, 'Add', { space: 'red', content: huge, embedding: v(0) }, root))).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    expect((await c.rpc(c.spaces, 'Get', { space: 'red' }, root))['name']).toBe('red');
  });

  it('answers bytes that are not the method’s message with INVALID_ARGUMENT, never INTERNAL', async () => {
    const raw = new (class extends (Object.getPrototypeOf(c.memories) as { constructor: typeof Client }).constructor {})(address, credentials.createInsecure()) as Client;
    try {
      const garbage = Buffer.from([0x08]); // the key of a field, then nothing
      const answer = await failure(
        new Promise((resolve, reject) =>
          raw.makeUnaryRequest(
            '/memspace.v1.Memories/Get',
            (b: Buffer) => b,
            (b: Buffer) => b,
            garbage,
            grpcMetadata(root),
            (error, response) => (error ? reject(error) : resolve(response)),
          ),
        ),
      );
      expect(answer).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'VALIDATION_FAILED' });
    } finally {
      raw.close();
    }
  });
});
