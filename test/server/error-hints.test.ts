import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CONTENT_CHARS } from '../../src/core/schemas.js';
import { buildApp } from '../../src/server/app.js';
import { ENGINE_BACKENDS, type OpenedEngine } from '../support/engine-backends.js';
import { tempMemspace } from '../support/temp-memspace.js';

/**
 * Errors that say what to do next, through HTTP: "did you mean" among the spaces the caller may
 * see (and never another), how to create or restore a space, and the limits a refusal broke.
 */

type Json = Record<string, unknown>;
type Reply = { status: number; body: Json };
const errorOf = (r: Reply): Json => (r.body['error'] as Json | undefined) ?? {};
const detailsOf = (r: Reply): Json => (errorOf(r)['details'] as Json | undefined) ?? {};


describe.each(ENGINE_BACKENDS)('did you mean, on $name', ({ open }) => {
  let opened: OpenedEngine;
  let app: FastifyInstance;
  let root: string;
  let scoped: string;

  async function call(key: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown): Promise<Reply> {
    const r = await app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload !== undefined && { payload: payload as Json }) });
    return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json) };
  }

  beforeAll(async () => {
    opened = await open();
    root = (await opened.ms.keys.ensureRootKey())!;
    app = await buildApp({ memspace: opened.ms });
    for (const name of ['work', 'workshop', 'personal', 'secret-plans', 'team.alpha']) {
      expect((await call(root, 'POST', '/v1/spaces', { name, embedder: 'none', dimension: 2 })).status).toBe(201);
    }
    const created = await call(root, 'POST', '/v1/keys', {
      name: 'scoped',
      grants: [{ space: 'personal', role: 'write' }, { prefix: 'team.', role: 'read' }],
    });
    scoped = created.body['key'] as string;
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await opened?.stop();
  });

  it('suggests the closest space to the root key, and says how to create the one asked for', async () => {
    const r = await call(root, 'GET', '/v1/spaces/wrok/memories');
    expect([r.status, errorOf(r)['code']]).toEqual([404, 'SPACE_NOT_FOUND']);
    expect(detailsOf(r)).toMatchObject({ space: 'wrok', suggestion: 'work' });
    expect(errorOf(r)['message']).toContain('Did you mean "work"?');
    expect(errorOf(r)['message']).toContain('memspace spaces create wrok');
    expect(errorOf(r)['message']).toContain('POST /v1/spaces');
    // Through routes that reach the space by other paths than a memory listing: the same answer.
    expect(detailsOf(await call(root, 'POST', '/v1/spaces/team.alpa/archive'))).toMatchObject({ suggestion: 'team.alpha' });
    expect(detailsOf(await call(root, 'GET', '/v1/spaces/persnal'))).toMatchObject({ suggestion: 'personal' });
    expect(detailsOf(await call(root, 'POST', '/v1/spaces/workshp/search', { query: 'x', embedding: [1, 0] }))).toMatchObject({ suggestion: 'workshop' });
  });

  it('suggests nothing when no visible name is close, and still says how to create the space', async () => {
    const r = await call(root, 'GET', '/v1/spaces/zzzzzz/memories');
    expect(r.status).toBe(404);
    expect(detailsOf(r)).not.toHaveProperty('suggestion');
    expect(errorOf(r)['message']).not.toContain('Did you mean');
    expect(detailsOf(r)['hint']).toContain('memspace spaces create zzzzzz');
  });

  it('suggests to a scoped key only the spaces its grants reach', async () => {
    expect(detailsOf(await call(scoped, 'GET', '/v1/spaces/persnal/memories'))).toMatchObject({ suggestion: 'personal' });
    expect(detailsOf(await call(scoped, 'GET', '/v1/spaces/team.alpa/memories'))).toMatchObject({ suggestion: 'team.alpha' });
    // `work` and `secret-plans` exist and are close, but outside the key's grants: never named.
    for (const asked of ['wrok', 'secret-plan', 'secret-planz', 'workshp']) {
      const r = await call(scoped, 'GET', `/v1/spaces/${asked}/memories`);
      expect([r.status, errorOf(r)['code']], asked).toEqual([404, 'SPACE_NOT_FOUND']);
      expect(detailsOf(r), asked).not.toHaveProperty('suggestion');
      expect(JSON.stringify(r.body), asked).not.toMatch(/"work"|workshop|secret-plans/);
    }
    // Its grants could not create a space (no admin grant): it is not told how, whatever the name.
    for (const asked of ['team.beta', 'nowhere']) {
      const r = await call(scoped, 'GET', `/v1/spaces/${asked}/memories`);
      expect(detailsOf(r), asked).not.toHaveProperty('hint');
      expect(errorOf(r)['message'], asked).toBe(`space "${asked}" not found.`);
    }
  });

  it('answers a hidden space that exists exactly as it answers once the space is gone', async () => {
    const hidden = await call(scoped, 'GET', '/v1/spaces/secret-plans/memories');
    expect(await call(root, 'DELETE', '/v1/spaces/secret-plans')).toMatchObject({ status: 204 });
    const missing = await call(scoped, 'GET', '/v1/spaces/secret-plans/memories');
    expect(hidden).toEqual(missing);
    expect(detailsOf(hidden)).not.toHaveProperty('suggestion');
  });

  it('gives the local principal (the CLI, the library) the same hint through the engine', async () => {
    await expect(opened.ms.memories.list('wrok', {})).rejects.toMatchObject({ code: 'SPACE_NOT_FOUND', details: { suggestion: 'work' } });
    await expect(opened.ms.lifecycle.restore('worskhop')).rejects.toMatchObject({ code: 'SPACE_NOT_FOUND', details: { suggestion: 'workshop' } });
  });
});

describe('hints of other refusals', () => {
  let ms: Awaited<ReturnType<typeof tempMemspace>>;
  let app: FastifyInstance;

  async function call(method: 'GET' | 'POST', url: string, payload?: string | Json, headers: Record<string, string> = {}): Promise<Reply> {
    const r = await app.inject({ method, url, headers: { 'content-type': 'application/json', ...headers }, ...(payload !== undefined && { payload }) });
    return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json) };
  }

  beforeAll(async () => {
    ms = await tempMemspace();
    app = await buildApp({ memspace: ms, auth: false, bodyLimit: 300_000 });
    await ms.spaces.create({ name: 'cold', embedder: 'none', dimension: 2 });
  });
  afterAll(async () => {
    await app.close();
    await ms.cleanup();
  });

  it('SPACE_ARCHIVED says how to restore the space and names MEMSPACE_AUTO_RESTORE', async () => {
    expect((await call('POST', '/v1/spaces/cold/archive')).status).toBe(200);
    const r = await call('GET', '/v1/spaces/cold/memories');
    expect([r.status, errorOf(r)['code']]).toEqual([409, 'SPACE_ARCHIVED']);
    const message = errorOf(r)['message'] as string;
    for (const part of ['memspace spaces restore cold', 'POST /v1/spaces/cold/restore', 'MEMSPACE_AUTO_RESTORE']) expect(message).toContain(part);
    expect(detailsOf(r)).toMatchObject({ space: 'cold', setting: 'MEMSPACE_AUTO_RESTORE' });
    expect((await call('POST', '/v1/spaces/cold/restore')).status).toBe(200);
    expect((await call('GET', '/v1/spaces/cold/memories')).status).toBe(200);
  });

  it('413 for a body over the limit names the limit and the size in bytes', async () => {
    const body = JSON.stringify({ content: 'x'.repeat(300_100), embedding: [1, 0] });
    const r = await call('POST', '/v1/spaces/cold/memories', body);
    expect([r.status, errorOf(r)['code']]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(detailsOf(r)).toEqual({ limit: 300_000, actual: Buffer.byteLength(body), unit: 'bytes' });
    expect(errorOf(r)['message']).toContain('300000 bytes');
    expect(errorOf(r)['message']).toContain(`${Buffer.byteLength(body)} bytes`);
  });

  it('content over 200,000 characters names the limit and its length', async () => {
    const over = MAX_CONTENT_CHARS + 7;
    const r = await call('POST', '/v1/spaces/cold/memories', { content: 'y'.repeat(over), embedding: [1, 0] });
    expect([r.status, errorOf(r)['code']]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(detailsOf(r)).toMatchObject({ field: 'content', limit: 200_000, actual: over, unit: 'characters' });
    expect(errorOf(r)['message']).toContain(String(over));
    expect(errorOf(r)['message']).toContain('200000');
    // At the limit exactly, the memory is stored.
    expect((await call('POST', '/v1/spaces/cold/memories', { content: 'y'.repeat(MAX_CONTENT_CHARS), embedding: [1, 0] })).status).toBe(201);
  });

  it('an invalid or system space name stays INVALID_SPACE, with no suggestion', async () => {
    for (const url of ['/v1/spaces/a%20b/memories', '/v1/spaces/_system/memories']) {
      const r = await call('GET', url);
      expect([r.status, errorOf(r)['code']], url).toEqual([400, 'INVALID_SPACE']);
      expect(detailsOf(r), url).not.toHaveProperty('suggestion');
    }
  });
});
