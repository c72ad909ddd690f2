import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { tempMemspace } from '../support/temp-memspace.js';

type Json = Record<string, unknown>;
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let root: string;
const keys: Record<'reader' | 'writer' | 'sourceAdmin' | 'admin' | 'otherAdmin', string> = { reader: '', writer: '', sourceAdmin: '', admin: '', otherAdmin: '' };

async function call(key: string | undefined, method: string, url: string, payload?: unknown): Promise<{ status: number; body: Json }> {
  const r = await app.inject({ method: method as 'GET', url, headers: key === undefined ? {} : { authorization: `Bearer ${key}` }, ...(payload !== undefined && { payload: payload as Json }) });
  return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json) };
}
const code = (r: { body: Json }): unknown => (r.body['error'] as Json | undefined)?.['code'];
const count = async (space: string): Promise<number> => ((await call(root, 'GET', `/v1/spaces/${space}`)).body['stats'] as Json)['memories'] as number;

/** Polls a job until it is no longer running. */
async function finished(key: string, id: string): Promise<Json> {
  for (let i = 0; i < 1000; i++) {
    const r = await call(key, 'GET', `/v1/jobs/${id}`);
    expect(r.status).toBe(200);
    const job = r.body['job'] as Json;
    if (job['state'] !== 'running') return job;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the job did not finish');
}

beforeAll(async () => {
  ms = await tempMemspace();
  root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms });
  for (const name of ['mix', 'other']) expect((await call(root, 'POST', '/v1/spaces', { name, embedder: 'none', dimension: 4 })).status).toBe(201);
  const memories = [
    { content: 'a1', embedding: [1, 0, 0, 0], tags: ['ds:alpha'] },
    { content: 'a2', embedding: [0, 1, 0, 0], tags: ['ds:alpha'] },
    { content: 'b1', embedding: [0, 0, 1, 0], tags: ['ds:beta'] },
    { content: 'rest', embedding: [0, 0, 0, 1] },
  ];
  for (const m of memories) expect((await call(root, 'POST', '/v1/spaces/mix/memories', m)).status).toBe(201);
  expect((await call(root, 'POST', '/v1/spaces/other/memories', { content: 'other', embedding: [1, 0, 0, 0], tags: ['ds:alpha'] })).status).toBe(201);
  const key = async (name: string, grants: Json[]): Promise<string> => (await call(root, 'POST', '/v1/keys', { name, grants })).body['key'] as string;
  keys.reader = await key('reader', [{ space: 'mix', role: 'read' }]);
  keys.writer = await key('writer', [{ space: 'mix', role: 'write' }]);
  keys.sourceAdmin = await key('source-admin', [{ space: 'mix', role: 'admin' }]);
  keys.admin = await key('admin', [{ space: 'mix', role: 'admin' }, { space: 'alpha', role: 'admin' }, { space: 'beta', role: 'admin' }, { space: 'back', role: 'admin' }]);
  keys.otherAdmin = await key('other-admin', [{ space: 'other', role: 'admin' }]);
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

describe('split and merge over HTTP', () => {
  it('refuses bad input with VALIDATION_FAILED, read and write keys, and an admin of the source without grants on a target, before anything moves', async () => {
    for (const body of [{}, { byTag: 'ds:*', byMetadata: 'x' }, { byTag: 'ds' }, { byTag: 'a*b*' }, { byMetadata: 'x', stripPrefix: true }, { byTag: 'ds:*', dryRun: 'yes' }]) {
      const r = await call(root, 'POST', '/v1/spaces/mix/split', body);
      expect([r.status, code(r)]).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect(code(await call(root, 'POST', '/v1/spaces/merge', { from: 'mix', into: 'x' }))).toBe('VALIDATION_FAILED');
    expect(code(await call(keys.reader, 'POST', '/v1/spaces/mix/split', { byTag: 'ds:*' }))).toBe('FORBIDDEN');
    expect(code(await call(keys.writer, 'POST', '/v1/spaces/mix/split', { byTag: 'ds:*' }))).toBe('FORBIDDEN');
    expect(code(await call(keys.otherAdmin, 'POST', '/v1/spaces/mix/split', { byTag: 'ds:*' }))).toBe('SPACE_NOT_FOUND');
    const r = await call(keys.sourceAdmin, 'POST', '/v1/spaces/mix/split', { byTag: 'ds:*', stripPrefix: true });
    expect([r.status, code(r)]).toEqual([403, 'FORBIDDEN']);
    expect(await count('mix')).toBe(4);
    expect(code(await call(root, 'GET', '/v1/spaces/alpha'))).toBe('SPACE_NOT_FOUND');
    // A merge out of a space the key cannot see, into one it may create: refused as missing.
    expect(code(await call(keys.admin, 'POST', '/v1/spaces/merge', { from: ['other'], into: 'back' }))).toBe('SPACE_NOT_FOUND');
    expect(await count('other')).toBe(1);
  });

  it('answers a dry run with its plan (200), runs a split as a job (202), and shows the job to its starter and the root key only', async () => {
    const dry = await call(keys.admin, 'POST', '/v1/spaces/mix/split', { byTag: 'ds:*', stripPrefix: true, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ kind: 'split', dryRun: true, ungrouped: 1, groups: [{ to: 'alpha', memories: 2 }, { to: 'beta', memories: 1 }] });
    const started = await call(keys.admin, 'POST', '/v1/spaces/mix/split', { byTag: 'ds:*', stripPrefix: true });
    expect(started.status).toBe(202);
    const job = started.body['job'] as Json;
    expect(job).toMatchObject({ kind: 'split', state: 'running', finishedAt: null });
    const done = await finished(keys.admin, job['id'] as string);
    expect(done).toMatchObject({ state: 'succeeded', progress: { done: 3, total: 3 }, result: { kind: 'split', groups: [{ to: 'alpha', copied: 2, removed: 2 }, { to: 'beta', copied: 1 }] } });
    expect(await count('mix')).toBe(1);
    expect(await count('alpha')).toBe(2);
    expect(await count('other')).toBe(1);
    for (const key of [keys.otherAdmin, keys.sourceAdmin, keys.reader]) {
      const r = await call(key, 'GET', `/v1/jobs/${job['id'] as string}`);
      expect([r.status, code(r)]).toEqual([404, 'NOT_FOUND']);
    }
    expect((await call(root, 'GET', `/v1/jobs/${job['id'] as string}`)).status).toBe(200);
    expect(code(await call(keys.admin, 'GET', '/v1/jobs/nonexistent'))).toBe('NOT_FOUND');

    const merge = await call(keys.admin, 'POST', '/v1/spaces/merge', { from: ['alpha', 'beta'], into: 'back' });
    expect(merge.status).toBe(202);
    const merged = await finished(keys.admin, (merge.body['job'] as Json)['id'] as string);
    expect(merged).toMatchObject({ state: 'succeeded', kind: 'merge', result: { into: 'back' } });
    expect(await count('back')).toBe(3);
    expect(await count('alpha')).toBe(0);
  });

  it('reports a job that fails with its error code, and the source keeps what did not move', async () => {
    expect((await call(root, 'POST', '/v1/spaces', { name: 'small', embedder: 'none', dimension: 4, quotas: { maxMemories: 1 } })).status).toBe(201);
    expect((await call(root, 'POST', '/v1/spaces', { name: 'pair', embedder: 'none', dimension: 4 })).status).toBe(201);
    for (const content of ['p1', 'p2']) expect((await call(root, 'POST', '/v1/spaces/pair/memories', { content, embedding: [1, 0, 0, 0] })).status).toBe(201);
    const r = await call(root, 'POST', '/v1/spaces/merge', { from: ['pair'], into: 'small' });
    expect(r.status).toBe(202);
    const job = await finished(root, (r.body['job'] as Json)['id'] as string);
    expect(job).toMatchObject({ state: 'failed', error: { code: 'QUOTA_EXCEEDED' } });
    expect(job['finishedAt']).toEqual(expect.any(String));
    expect(await count('pair')).toBe(2);
    expect(await count('small')).toBe(0);
    const self = await call(root, 'POST', '/v1/spaces/merge', { from: ['mix'], into: 'mix' });
    expect([self.status, code(self)]).toEqual([400, 'VALIDATION_FAILED']);
    const openapi = (await call(root, 'GET', '/openapi.json')).body['paths'] as Json;
    expect(Object.keys(openapi)).toEqual(expect.arrayContaining(['/v1/spaces/{space}/split', '/v1/spaces/merge', '/v1/jobs/{id}']));
  });
});
