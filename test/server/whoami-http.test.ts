import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { ENGINE_BACKENDS, type OpenedEngine } from '../support/engine-backends.js';

/**
 * `GET /v1/whoami` and `PATCH /v1/keys/{id}` (the current space of a key) through HTTP, on the
 * embedded backend and on a real PostgreSQL 15 (the catalogue write differs per backend). Every
 * refusal is checked for what it reveals: a space the caller cannot see must answer exactly as a
 * missing one.
 */

type Json = Record<string, unknown>;
const code = (r: { body: Json }): unknown => (r.body['error'] as Json | undefined)?.['code'];


const SPACES = ['team-a.main', 'team-a.ops', 'team-b.main', 'solo'];

describe.each(ENGINE_BACKENDS)('current space of a key on $name', ({ open }) => {
  let backend: OpenedEngine;
  let app: FastifyInstance;
  let root: string;
  const keys: Record<string, { id: string; key: string }> = {};

  async function call(key: string | undefined, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
    const r = await app.inject({
      method: method as 'GET',
      url,
      headers: { ...(key !== undefined && { authorization: `Bearer ${key}` }), ...headers },
      ...(payload !== undefined && { payload: payload as Json }),
    });
    return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json) };
  }

  async function makeKey(label: string, body: Json): Promise<void> {
    const r = await call(root, 'POST', '/v1/keys', { name: label, ...body });
    expect(r.status).toBe(201);
    keys[label] = { id: r.body['id'] as string, key: r.body['key'] as string };
  }

  /** The stored default of a key, as its administrator (root) lists it. */
  async function storedDefault(label: string): Promise<unknown> {
    const items = (await call(root, 'GET', '/v1/keys')).body['items'] as Json[];
    return items.find((k) => k['id'] === keys[label]!.id)?.['defaultSpace'];
  }

  beforeAll(async () => {
    backend = await open();
    root = (await backend.ms.keys.ensureRootKey())!;
    app = await buildApp({ memspace: backend.ms });
    for (const name of SPACES) expect((await call(root, 'POST', '/v1/spaces', { name, embedder: 'none', dimension: 2 })).status).toBe(201);
    await makeKey('team-a bot', { grants: [{ prefix: 'team-a.', role: 'write' }], defaultSpace: 'team-a.main' });
    await makeKey('solo reader', { grants: [{ space: 'solo', role: 'read' }] });
    await makeKey('team-a admin', { grants: [{ prefix: 'team-a.', role: 'admin' }] });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await backend?.stop();
  });

  it('whoami tells each key who it is and counts only the spaces it can see', async () => {
    const total = ((await call(root, 'GET', '/v1/spaces', undefined)).body['items'] as unknown[]).length;
    expect(total).toBe(SPACES.length + 1); // and `default`
    const rootMe = await call(root, 'GET', '/v1/whoami');
    expect(rootMe.status).toBe(200);
    expect(rootMe.body).toMatchObject({ name: 'root', grants: [{ prefix: '', role: 'admin' }], defaultSpace: null, visibleSpaces: total });
    expect(rootMe.body['id']).toMatch(/^key_/);
    // Invisible spaces (team-b.main, solo, default) exist and are not counted.
    const bot = await call(keys['team-a bot']!.key, 'GET', '/v1/whoami');
    expect(bot.body).toEqual({ id: keys['team-a bot']!.id, name: 'team-a bot', grants: [{ prefix: 'team-a.', role: 'write' }], defaultSpace: 'team-a.main', visibleSpaces: 2 });
    expect((await call(keys['solo reader']!.key, 'GET', '/v1/whoami')).body).toMatchObject({ defaultSpace: null, visibleSpaces: 1 });
    expect(code(await call(undefined, 'GET', '/v1/whoami'))).toBe('UNAUTHENTICATED');
  });

  it('a key switches its own current space within its grants, and its next request without a space lands there', async () => {
    const bot = keys['team-a bot']!;
    const r = await call(bot.key, 'PATCH', `/v1/keys/${bot.id}`, { defaultSpace: 'TEAM-A.ops' });
    expect(r.status).toBe(200);
    // Stored as the catalogue spells the space.
    expect(r.body).toMatchObject({ id: bot.id, name: 'team-a bot', defaultSpace: 'team-a.ops', revokedAt: null });
    expect(r.body['key']).toBeUndefined();
    expect((await call(bot.key, 'GET', '/v1/whoami')).body['defaultSpace']).toBe('team-a.ops');
    const added = await call(bot.key, 'POST', '/v1/memories', { content: 'lands in the current space', embedding: [1, 0] });
    expect(added.status).toBe(201);
    expect((await call(root, 'GET', `/v1/spaces/team-a.ops/memories/${added.body['id'] as string}`)).status).toBe(200);
    expect((await call(root, 'GET', `/v1/spaces/team-a.main/memories/${added.body['id'] as string}`)).status).toBe(404);
    expect(await storedDefault('team-a bot')).toBe('team-a.ops');
  });

  it('records the switch in the audit trails of the old and the new current space', async () => {
    const bot = keys['team-a bot']!;
    for (const space of ['team-a.main', 'team-a.ops']) {
      const trail = await call(root, 'GET', `/v1/spaces/${space}/audit?action=key.update`);
      expect(trail.status).toBe(200);
      const entries = trail.body['items'] as Json[];
      expect(entries, space).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        action: 'key.update',
        actor: bot.id,
        ids: [bot.id],
        details: { key: bot.id, name: 'team-a bot', defaultSpace: { from: 'team-a.main', to: 'team-a.ops' } },
      });
    }
    // The trail still verifies with the entry in it.
    expect((await call(root, 'GET', '/v1/spaces/team-a.ops/audit/verify')).body).toMatchObject({ ok: true });
    // Nothing was written where the key has no business.
    expect((await call(root, 'GET', '/v1/spaces/team-b.main/audit?action=key.update')).body['items']).toEqual([]);
  });

  it('refuses a space outside its grants exactly as a missing one, and keeps the current space', async () => {
    const bot = keys['team-a bot']!;
    const answers: string[] = [];
    // Pairs of an existing invisible space and a missing one, equally far from the spaces the key sees.
    for (const space of ['team-b.main', 'team-c.main', 'solo', 'polo', 'default', 'defaulz', 'team-a.typo']) {
      const r = await call(bot.key, 'PATCH', `/v1/keys/${bot.id}`, { defaultSpace: space });
      expect([r.status, code(r)], space).toEqual([404, 'SPACE_NOT_FOUND']);
      answers.push(JSON.stringify(r.body).replaceAll(space, 'NAME'));
    }
    // Each pair answers byte for byte alike, the name aside.
    expect(answers[0]).toBe(answers[1]);
    expect(answers[2]).toBe(answers[3]);
    expect(answers[4]).toBe(answers[5]);
    expect(await storedDefault('team-a bot')).toBe('team-a.ops');
  });

  it('refuses to change another key unless the caller administers it, telling nothing of the key', async () => {
    const bot = keys['team-a bot']!;
    const solo = keys['solo reader']!;
    const foreign = await call(solo.key, 'PATCH', `/v1/keys/${bot.id}`, { defaultSpace: 'solo' });
    const unknown = await call(solo.key, 'PATCH', '/v1/keys/key_0000000000000000000000000000', { defaultSpace: 'solo' });
    expect([foreign.status, code(foreign)]).toEqual([404, 'NOT_FOUND']);
    expect([unknown.status, code(unknown)]).toEqual([404, 'NOT_FOUND']);
    // A write key does not administer the keys under its prefix either.
    const peer = await call(bot.key, 'PATCH', `/v1/keys/${keys['team-a admin']!.id}`, { defaultSpace: 'team-a.main' });
    expect(code(peer)).toBe('NOT_FOUND');
    expect(await storedDefault('team-a bot')).toBe('team-a.ops');
    expect(await storedDefault('team-a admin')).toBe(null);
  });

  it('lets an administering key change another key, within what both can reach', async () => {
    const bot = keys['team-a bot']!;
    const admin = keys['team-a admin']!;
    const set = await call(admin.key, 'PATCH', `/v1/keys/${bot.id}`, { defaultSpace: 'team-a.main' });
    expect([set.status, set.body['defaultSpace']]).toEqual([200, 'team-a.main']);
    expect((await call(bot.key, 'GET', '/v1/whoami')).body['defaultSpace']).toBe('team-a.main');
    // The admin cannot see `solo`: as if it did not exist.
    expect(code(await call(admin.key, 'PATCH', `/v1/keys/${bot.id}`, { defaultSpace: 'solo' }))).toBe('SPACE_NOT_FOUND');
    // Root sees `solo`, but the bot's grants do not reach it: no use as its default.
    const outside = await call(root, 'PATCH', `/v1/keys/${bot.id}`, { defaultSpace: 'solo' });
    expect([outside.status, code(outside)]).toEqual([403, 'FORBIDDEN']);
    expect(code(await call(root, 'PATCH', `/v1/keys/${bot.id}`, { defaultSpace: 'team-a.nope' }))).toBe('SPACE_NOT_FOUND');
    // null goes back to `default`, which this key cannot see: requests without a space are refused as usual.
    const cleared = await call(root, 'PATCH', `/v1/keys/${bot.id}`, { defaultSpace: null });
    expect([cleared.status, cleared.body['defaultSpace']]).toEqual([200, null]);
    expect(code(await call(bot.key, 'GET', '/v1/memories'))).toBe('SPACE_NOT_FOUND');
    expect((await call(root, 'PATCH', `/v1/keys/${bot.id}`, { defaultSpace: 'team-a.main' })).status).toBe(200);
  });

  it('refuses bad bodies with VALIDATION_FAILED and changes nothing', async () => {
    const bot = keys['team-a bot']!;
    for (const body of [{}, { defaultSpace: 5 }, { defaultSpace: 'team-a.ops', name: 'renamed' }, { defaultSpace: '../etc' }, { defaultSpace: '_system' }, { defaultSpace: '' }, [1]]) {
      const r = await call(bot.key, 'PATCH', `/v1/keys/${bot.id}`, body);
      expect([r.status, code(r)], JSON.stringify(body)).toEqual([400, 'VALIDATION_FAILED']);
    }
    const notJson = await call(bot.key, 'PATCH', `/v1/keys/${bot.id}`, 'team-a.ops', { 'content-type': 'text/plain' });
    expect(notJson.status).toBe(400);
    expect(await storedDefault('team-a bot')).toBe('team-a.main');
  });

  it('treats a revoked key as unknown', async () => {
    await makeKey('short-lived', { grants: [{ prefix: 'team-a.', role: 'read' }] });
    const gone = keys['short-lived']!;
    expect((await call(root, 'DELETE', `/v1/keys/${gone.id}`)).status).toBe(204);
    const r = await call(root, 'PATCH', `/v1/keys/${gone.id}`, { defaultSpace: 'team-a.main' });
    expect([r.status, code(r)]).toEqual([404, 'NOT_FOUND']);
    expect(code(await call(gone.key, 'PATCH', `/v1/keys/${gone.id}`, { defaultSpace: 'team-a.main' }))).toBe('UNAUTHENTICATED');
    expect(code(await call(gone.key, 'GET', '/v1/whoami'))).toBe('UNAUTHENTICATED');
  });

  it('documents both routes in the OpenAPI description', async () => {
    const doc = (await call(undefined, 'GET', '/openapi.json')).body as { paths: Record<string, Json> };
    expect(Object.keys(doc.paths['/v1/whoami']!)).toEqual(['get']);
    expect(doc.paths['/v1/keys/{id}']!['patch']).toMatchObject({ requestBody: { required: true } });
  });
});
