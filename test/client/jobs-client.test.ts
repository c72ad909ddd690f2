import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemspaceClient, MemspaceError } from '../../src/client/index.js';
import { buildApp } from '../../src/server/app.js';
import { tempMemspace } from '../support/temp-memspace.js';

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let client: MemspaceClient;
let other: MemspaceClient;

beforeAll(async () => {
  ms = await tempMemspace();
  const root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms });
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  client = new MemspaceClient({ baseUrl, apiKey: root });
  const key = await client.keys.create({ name: 'elsewhere', grants: [{ prefix: 'sdk-', role: 'admin' }] });
  other = new MemspaceClient({ baseUrl, apiKey: key.key });
  await client.spaces.create({ name: 'sdk-mixed', embedder: 'none', dimension: 2 });
  await client.memories.add({ content: 'one', tags: ['ds:one'], embedding: [1, 0] }, { space: 'sdk-mixed' });
  await client.memories.add({ content: 'two', tags: ['ds:two'], embedding: [0, 1] }, { space: 'sdk-mixed' });
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

describe('client.spaces.split / merge and client.jobs', () => {
  it('plans, splits, waits for the job, merges back; another key never sees the job; a failed job throws its code', async () => {
    const plan = await client.spaces.split('sdk-mixed', { byTag: 'ds:*', dryRun: true });
    expect(plan.groups.map((g) => g.to)).toEqual(['ds-one', 'ds-two']);
    const job = await client.spaces.split('sdk-mixed', { byTag: 'ds:*', stripPrefix: true });
    expect(job).toMatchObject({ kind: 'split' });
    const done = await client.jobs.waitForJob(job.id, { pollMs: 10 });
    expect(done).toMatchObject({ state: 'succeeded', progress: { done: 2, total: 2 }, result: { groups: [{ to: 'one', copied: 1 }, { to: 'two', copied: 1 }] } });
    await expect(other.jobs.get(job.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const merge = await client.spaces.merge({ from: ['one', 'two'], into: 'sdk-mixed' });
    await client.jobs.waitForJob(merge.id, { pollMs: 10 });
    expect((await client.spaces.get('sdk-mixed')).stats.memories).toBe(2);

    await client.spaces.create({ name: 'sdk-tiny', embedder: 'none', dimension: 2, quotas: { maxMemories: 1 } });
    const failing = await client.spaces.merge({ from: ['sdk-mixed'], into: 'sdk-tiny' });
    const error = await client.jobs.waitForJob(failing.id, { pollMs: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MemspaceError);
    expect(error).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    await expect(client.spaces.split('sdk-mixed', { byTag: 'nostar' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
