import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemspaceClient, type WhoAmI } from '../../src/client/index.js';
import { buildApp } from '../../src/server/app.js';
import { failure } from '../support/rejects-with.js';
import { tempMemspace } from '../support/temp-memspace.js';

// client.whoami and client.keys.update (the current space of a key) against a listening server;
// the spaces embed nothing, so no model is loaded.

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let admin: MemspaceClient;
let bot: MemspaceClient;
let botId: string;

beforeAll(async () => {
  ms = await tempMemspace();
  const root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms });
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  admin = new MemspaceClient({ baseUrl, apiKey: root });
  for (const name of ['notes.work', 'notes.home', 'private']) await admin.spaces.create({ name, embedder: 'none', dimension: 2 });
  const created = await admin.keys.create({ name: 'notes bot', grants: [{ prefix: 'notes.', role: 'write' }], defaultSpace: 'notes.work' });
  botId = created.id;
  bot = new MemspaceClient({ baseUrl, apiKey: created.key });
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

describe('client.whoami and client.keys.update', () => {
  it('whoami names the key, its grants, its current space and how many spaces it sees', async () => {
    const me: WhoAmI = await bot.whoami();
    expect(me).toEqual({ id: botId, name: 'notes bot', grants: [{ prefix: 'notes.', role: 'write' }], defaultSpace: 'notes.work', visibleSpaces: 2 });
    expect((await admin.whoami()).visibleSpaces).toBe(4);
  });

  it('switches the current space: calls without a space land in the new one', async () => {
    const view = await bot.keys.update(botId, { defaultSpace: 'notes.home' });
    expect(view).toMatchObject({ id: botId, defaultSpace: 'notes.home', revokedAt: null });
    const m = await bot.memories.add({ content: 'milk', embedding: [1, 0] });
    expect((await admin.memories.get(m.id, { space: 'notes.home' })).content).toBe('milk');
    expect((await bot.whoami()).defaultSpace).toBe('notes.home');
  });

  it('throws the server codes: invisible as missing, foreign keys unknown, bad input refused', async () => {
    await failure(bot.keys.update(botId, { defaultSpace: 'private' }), 'SPACE_NOT_FOUND');
    await failure(bot.keys.update('key_nope', { defaultSpace: 'notes.work' }), 'NOT_FOUND');
    await failure(bot.keys.update(botId, { defaultSpace: 'bad/name' }), 'VALIDATION_FAILED');
    expect((await bot.whoami()).defaultSpace).toBe('notes.home');
    // An administrator goes back to `default` for it.
    expect((await admin.keys.update(botId, { defaultSpace: null })).defaultSpace).toBeNull();
  });
});
