import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemspaceClient, MemspaceError } from '../../src/client/index.js';
import { buildApp } from '../../src/server/app.js';
import { tempMemspace } from '../support/temp-memspace.js';

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let client: MemspaceClient;

beforeAll(async () => {
  ms = await tempMemspace();
  const root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms });
  client = new MemspaceClient({ baseUrl: await app.listen({ host: '127.0.0.1', port: 0 }), apiKey: root, space: 'sdk-cons' });
  await client.spaces.create({ name: 'sdk-cons', embedder: 'none', dimension: 2 });
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

describe('client.consolidation', () => {
  it('runs a dry run, a pass and its undo; lists and searches superseded memories only when asked', async () => {
    const first = await client.memories.add({ content: 'Same fact twice', embedding: [1, 0] });
    const repeat = await client.memories.add({ content: 'same fact twice', embedding: [1, 0] });
    const old = await client.memories.add({ content: 'Lives in Utrecht', metadata: { key: 'home' }, embedding: [0, 1] });
    const now = await client.memories.add({ content: 'Moved to Berlin', metadata: { key: 'home' }, embedding: [0, 1] });

    const dry = await client.consolidation.run('sdk-cons', { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, merged: 1, superseded: 1 });
    expect(dry.groups?.map((g) => [g.kind, g.keep, g.ids])).toEqual([
      ['duplicate', first.id, [repeat.id]],
      ['superseded', now.id, [old.id]],
    ]);

    const run = await client.consolidation.run('sdk-cons', { minCosine: 0.9 });
    expect(run).toMatchObject({ dryRun: false, merged: 1, superseded: 1 });
    expect((await client.memories.get(old.id)).supersededBy).toBe(now.id);
    expect((await client.memories.list()).items).toHaveLength(2);
    expect((await client.memories.list({ includeSuperseded: true })).items).toHaveLength(3);
    expect((await client.search({ embedding: [0, 1], mode: 'vector', includeSuperseded: true })).map((h) => h.memory.id)).toContain(old.id);

    expect(await client.consolidation.undo('sdk-cons', run.runId)).toEqual({ runId: run.runId, restored: 1, unsuperseded: 1 });
    expect((await client.memories.list()).items).toHaveLength(4);
    const error = await client.consolidation.undo('sdk-cons', run.runId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MemspaceError);
    expect((error as MemspaceError).code).toBe('CONFLICT');
  });
});
