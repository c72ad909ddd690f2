import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemspaceClient, MemspaceError } from '../../src/client/index.js';
import { buildApp } from '../../src/server/app.js';
import { tempMemspace } from '../support/temp-memspace.js';

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let client: MemspaceClient;
let baseUrl: string;

beforeAll(async () => {
  ms = await tempMemspace();
  const root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms });
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  client = new MemspaceClient({ baseUrl, apiKey: root });
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

const failureOf = async (p: Promise<unknown>): Promise<MemspaceError> => {
  try {
    await p;
  } catch (error) {
    if (error instanceof MemspaceError) return error;
    throw error;
  }
  throw new Error('expected a failure');
};

describe('client.projects', () => {
  it('creates, lists, gets with totals, updates and deletes (with cascade) projects', async () => {
    const made = await client.projects.create({ name: 'sdk', defaults: { embedder: 'none', dimension: 2 }, quotas: { maxMemories: 5 } });
    expect(made).toMatchObject({ name: 'sdk', quotas: { maxMemories: 5, maxBytes: null } });
    await client.spaces.create({ name: 'sdk.one', project: 'sdk' });
    await client.memories.add({ content: 'hello', embedding: [1, 0] }, { space: 'sdk.one' });
    expect((await client.projects.list()).items.map((p) => p.name)).toEqual(['sdk']);
    expect((await client.spaces.list({ project: 'sdk' })).items.map((s) => s.name)).toEqual(['sdk.one']);
    const info = await client.projects.get('SDK');
    expect(info.totals).toMatchObject({ memories: 1, spaces: { total: 1 } });
    expect(info.quotaUse.maxMemories).toEqual({ used: 1, limit: 5 });
    expect((await client.projects.update('sdk', { defaults: { isolation: 'shared' } })).defaults).toMatchObject({ isolation: 'shared' });
    expect((await client.spaces.get('sdk.one')).isolation).toBe('shared');
    expect((await failureOf(client.projects.delete('sdk'))).code).toBe('CONFLICT');
    await client.projects.delete('sdk', { cascade: true });
    expect((await failureOf(client.projects.get('sdk'))).code).toBe('NOT_FOUND');
    expect((await failureOf(client.projects.get('..'))).code).toBe('INVALID_SPACE'); // refused before it is sent
  });

  it('refuses an answer that is not a project', async () => {
    const fake = new MemspaceClient({ baseUrl, fetch: async () => new Response(JSON.stringify({ nope: true }), { status: 200, headers: { 'content-type': 'application/json' } }) });
    expect((await failureOf(fake.projects.get('x'))).code).toBe('INTERNAL');
  });
});
