/**
 * The SDK checks what it sends by the server's input limits, so a body the server would refuse
 * never leaves the process, and none is silently changed on the way (JSON.stringify writes a NaN
 * as null). Against a real server: what is refused sends nothing; what is sent is stored exactly.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemspaceClient, MemspaceError } from '../../src/client/index.js';
import { buildApp } from '../../src/server/app.js';
import { axisVector, tempMemspace } from '../support/temp-memspace.js';

const DIM = 4;
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let client: MemspaceClient;
/** Requests that reached fetch, so reached the wire. */
let sent = 0;

beforeAll(async () => {
  ms = await tempMemspace();
  const root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms });
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  const counting: typeof fetch = (input, init) => {
    sent += 1;
    return fetch(input, init);
  };
  client = new MemspaceClient({ baseUrl, apiKey: root, space: 'notes', fetch: counting });
  await client.spaces.create({ name: 'notes', embedder: 'none', dimension: DIM });
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

/** The error `call` rejects with, and how many requests it sent. */
async function refusal(call: () => Promise<unknown>): Promise<{ error: MemspaceError; sent: number }> {
  const before = sent;
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MemspaceError);
  return { error: error as MemspaceError, sent: sent - before };
}

function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < levels; i++) value = { deeper: value };
  return value;
}

describe('the SDK refuses before sending', () => {
  it('a NaN, which JSON.stringify would have sent as null', async () => {
    const { error, sent: n } = await refusal(() => client.memories.add({ content: 'x', embedding: [Number.NaN, 0, 0, 1] }));
    expect(n).toBe(0);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details?.['issues']).toEqual([{ path: 'embedding.0', message: 'not a finite number' }]);
  });

  it('a lone surrogate in content, a metadata value or a key', async () => {
    for (const input of [{ content: 'half \ud800' }, { content: 'ok', metadata: { note: '\udc00' } }, { content: 'ok', metadata: { ['k\ud800']: 1 } }]) {
      const { error, sent: n } = await refusal(() => client.memories.add({ ...input, embedding: axisVector(DIM, 0) }));
      expect(n).toBe(0);
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.message).toMatch(/lone surrogate/);
    }
  });

  it('a body nested deeper than any input may be (a filter of 2,000 levels), with the limit in details', async () => {
    let filter: Record<string, unknown> = { field: 'tags', op: 'contains', value: 'x' };
    for (let i = 1; i < 2_000; i++) filter = { and: [filter] };
    const { error, sent: n } = await refusal(() => client.memories.deleteByFilter(filter as never));
    expect(n).toBe(0);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toMatchObject({ limit: 64, unit: 'levels' });
  });

  it('a batch with one bad memory sends none of them', async () => {
    const good = { content: 'fine', embedding: axisVector(DIM, 1) };
    const { error, sent: n } = await refusal(() => client.memories.addBatch([good, { content: 'x', embedding: [0, Infinity, 0, 0] }]));
    expect(n).toBe(0);
    expect(error.details?.['issues']).toEqual([{ path: 'memories.1.embedding.1', message: 'not a finite number' }]);
    expect((await client.memories.list()).items.map((m) => m.content)).not.toContain('fine');
  });

  it('metadata deeper than 16 levels or with more than 256 keys in an object, in an add, a batch or an update', async () => {
    const wide = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, i]));
    const kept = await client.memories.add({ content: 'kept', embedding: axisVector(DIM, 3) });
    const cases: [() => Promise<unknown>, number, string][] = [
      [() => client.memories.add({ content: 'x', embedding: axisVector(DIM, 0), metadata: nested(17) }), 16, 'levels'],
      [() => client.memories.addBatch([{ content: 'x', embedding: axisVector(DIM, 0), metadata: wide }]), 256, 'keys'],
      [() => client.memories.update(kept.id, { metadata: nested(17) }), 16, 'levels'],
    ];
    for (const [call, limit, unit] of cases) {
      const { error, sent: n } = await refusal(call);
      expect(n).toBe(0);
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.details).toMatchObject({ limit, unit });
    }
    expect((await client.memories.get(kept.id)).metadata).toEqual({});
  });

  it('an import line holding a NaN fails the import with the line named', async () => {
    const lines = [
      { content: 'first line', embedding: axisVector(DIM, 0) },
      { content: 'second line', embedding: [0, Number.NaN, 0, 0] },
    ];
    const { error } = await refusal(() => client.import(lines));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details?.['issues']).toEqual([{ path: 'embedding.1', message: 'not a finite number' }]);
    expect(error.message).toMatch(/import line 2/);
    expect((await client.memories.list()).items.map((m) => m.content)).not.toContain('second line');
  });
});

describe('the SDK sends what is within the limits, and it is stored exactly', () => {
  it('surrogate pairs, emoji and the deepest metadata allowed', async () => {
    const content = 'pairs 😀 𝄞 and text';
    const metadata = nested(16);
    const before = sent;
    const memory = await client.memories.add({ content, embedding: axisVector(DIM, 2), metadata });
    expect(sent - before).toBe(1);
    const stored = await client.memories.get(memory.id);
    expect(stored.content).toBe(content);
    expect(stored.metadata).toEqual(metadata);
  });

});
