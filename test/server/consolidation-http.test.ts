import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { tempMemspace } from '../support/temp-memspace.js';

type Json = Record<string, unknown>;
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let root: string;
const keys: Record<'reader' | 'writer' | 'otherAdmin', string> = { reader: '', writer: '', otherAdmin: '' };

async function call(key: string | undefined, method: string, url: string, payload?: unknown): Promise<{ status: number; body: Json }> {
  const r = await app.inject({ method: method as 'GET', url, headers: key === undefined ? {} : { authorization: `Bearer ${key}` }, ...(payload !== undefined && { payload: payload as Json }) });
  return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json) };
}
const code = (r: { body: Json }): unknown => (r.body['error'] as Json | undefined)?.['code'];
const ids = (r: { body: Json }, field = 'items'): string[] => (r.body[field] as Json[]).map((x) => ((x['memory'] as Json | undefined) ?? x)['id'] as string).sort();
const add = async (space: string, content: string, embedding: number[], metadata: Json = {}): Promise<Json> => {
  const r = await call(root, 'POST', `/v1/spaces/${space}/memories`, { content, embedding, metadata });
  expect(r.status).toBe(201);
  return r.body;
};

beforeAll(async () => {
  ms = await tempMemspace();
  root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms });
  for (const name of ['cons-a', 'cons-b']) expect((await call(root, 'POST', '/v1/spaces', { name, embedder: 'none', dimension: 4 })).status).toBe(201);
  const key = async (name: string, space: string, role: string): Promise<string> => (await call(root, 'POST', '/v1/keys', { name, grants: [{ space, role }] })).body['key'] as string;
  keys.reader = await key('reader', 'cons-a', 'read');
  keys.writer = await key('writer', 'cons-a', 'write');
  keys.otherAdmin = await key('other-admin', 'cons-b', 'admin');
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

describe('consolidation over HTTP', () => {
  it('dry-runs without changing anything, merges repeats, supersedes by metadata key, and undoes the run', async () => {
    const a = await add('cons-a', 'The deploy runs at 2am', [1, 0, 0, 0]);
    const b = await add('cons-a', 'the deploy runs at 2 a.m.', [1, 0, 0, 0]);
    const c = await add('cons-a', 'Postgres backups run hourly', [0, 1, 0, 0]);
    const d = await add('cons-a', 'Office is on floor 3', [0, 0, 1, 0], { key: 'office' });
    const e = await add('cons-a', 'Office is on floor 5', [0, 0, 1, 0.1], { key: 'office' });
    expect(a['supersededBy']).toBeNull();
    const all = [a, b, c, d, e].map((m) => m['id'] as string).sort();

    const dry = await call(root, 'POST', '/v1/spaces/cons-a/consolidate', { dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, examined: 5, merged: 1, superseded: 1 });
    expect(dry.body['groups']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'duplicate', keep: a['id'], ids: [b['id']] }),
        expect.objectContaining({ kind: 'superseded', keep: e['id'], ids: [d['id']] }),
      ]),
    );
    expect(ids(await call(root, 'GET', '/v1/spaces/cons-a/memories'))).toEqual(all);

    const run = await call(root, 'POST', '/v1/spaces/cons-a/consolidate', {});
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ dryRun: false, examined: 5, merged: 1, superseded: 1, skipped: 0 });
    expect(run.body['groups']).toBeUndefined();
    expect(code(await call(root, 'GET', `/v1/spaces/cons-a/memories/${b['id'] as string}`))).toBe('NOT_FOUND');
    expect((await call(root, 'GET', `/v1/spaces/cons-a/memories/${d['id'] as string}`)).body).toMatchObject({ supersededBy: e['id'] });
    // Superseded memories are left out of listings and searches unless asked for.
    const kept = [a, c, e].map((m) => m['id'] as string).sort();
    expect(ids(await call(root, 'GET', '/v1/spaces/cons-a/memories'))).toEqual(kept);
    expect(ids(await call(root, 'GET', '/v1/spaces/cons-a/memories?includeSuperseded=false'))).toEqual(kept);
    expect(ids(await call(root, 'GET', '/v1/spaces/cons-a/memories?includeSuperseded=true'))).toEqual([...kept, d['id'] as string].sort());
    expect(code(await call(root, 'GET', '/v1/spaces/cons-a/memories?includeSuperseded=yes'))).toBe('VALIDATION_FAILED');
    const search = (extra: Json): Promise<{ status: number; body: Json }> => call(root, 'POST', '/v1/spaces/cons-a/search', { embedding: [0, 0, 1, 0], mode: 'vector', limit: 10, ...extra });
    expect(ids(await search({}), 'results')).toEqual(kept);
    expect(ids(await search({ includeSuperseded: true }), 'results')).toEqual([...kept, d['id'] as string].sort());

    const undo = await call(root, 'POST', '/v1/spaces/cons-a/consolidate/undo', { runId: run.body['runId'] });
    expect(undo.status).toBe(200);
    expect(undo.body).toEqual({ runId: run.body['runId'], restored: 1, unsuperseded: 1 });
    expect(ids(await call(root, 'GET', '/v1/spaces/cons-a/memories'))).toEqual(all);
    expect((await call(root, 'GET', `/v1/spaces/cons-a/memories/${b['id'] as string}`)).body).toMatchObject({ content: b['content'], supersededBy: null });
    expect((await call(root, 'GET', `/v1/spaces/cons-a/memories/${d['id'] as string}`)).body).toMatchObject({ supersededBy: null });
    const again = await call(root, 'POST', '/v1/spaces/cons-a/consolidate/undo', { runId: run.body['runId'] });
    expect([again.status, code(again)]).toEqual([409, 'CONFLICT']);

    const audit = await call(root, 'GET', '/v1/spaces/cons-a/audit?action=consolidation.run');
    expect((audit.body['items'] as Json[]).map((x) => (x['details'] as Json)['runId'])).toEqual([run.body['runId']]);
  });

  it('needs admin of the space: read and write keys are FORBIDDEN, another space\'s admin gets SPACE_NOT_FOUND', async () => {
    for (const [key, status, expected] of [
      [keys.reader, 403, 'FORBIDDEN'],
      [keys.writer, 403, 'FORBIDDEN'],
      [keys.otherAdmin, 404, 'SPACE_NOT_FOUND'],
    ] as const) {
      const run = await call(key, 'POST', '/v1/spaces/cons-a/consolidate', { dryRun: true });
      expect([run.status, code(run)]).toEqual([status, expected]);
      const undo = await call(key, 'POST', '/v1/spaces/cons-a/consolidate/undo', { runId: 'whatever' });
      expect([undo.status, code(undo)]).toEqual([status, expected]);
    }
    expect((await call(keys.otherAdmin, 'POST', '/v1/spaces/cons-b/consolidate', {})).status).toBe(200);
  });

  it('refuses bad input with VALIDATION_FAILED and an unknown run with NOT_FOUND', async () => {
    for (const body of [{ minCosine: 1.5 }, { minOverlap: 0.2 }, { dryRun: 'yes' }, { thresholds: 1 }, []]) {
      const r = await call(root, 'POST', '/v1/spaces/cons-b/consolidate', body);
      expect([r.status, code(r)], JSON.stringify(body)).toEqual([400, 'VALIDATION_FAILED']);
    }
    for (const body of [{}, { runId: 5 }, { runId: 'x', extra: true }]) {
      const r = await call(root, 'POST', '/v1/spaces/cons-b/consolidate/undo', body);
      expect([r.status, code(r)], JSON.stringify(body)).toEqual([400, 'VALIDATION_FAILED']);
    }
    const unknown = await call(root, 'POST', '/v1/spaces/cons-b/consolidate/undo', { runId: '01900000-0000-7000-8000-000000000000' });
    expect([unknown.status, code(unknown)]).toEqual([404, 'NOT_FOUND']);
    expect(code(await call(root, 'POST', '/v1/spaces/nowhere/consolidate', {}))).toBe('SPACE_NOT_FOUND');
  });

  it('describes both routes in /openapi.json, as admin routes with their bodies', async () => {
    const doc = (await call(undefined, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, Json>> };
    const run = doc.paths['/v1/spaces/{space}/consolidate']?.['post'];
    const undo = doc.paths['/v1/spaces/{space}/consolidate/undo']?.['post'];
    expect(run).toMatchObject({ 'x-memspace-role': 'admin', tags: ['consolidation'] });
    expect(JSON.stringify(run?.['requestBody'])).toContain('minOverlap');
    expect(undo).toMatchObject({ 'x-memspace-role': 'admin' });
    expect(JSON.stringify(undo?.['requestBody'])).toContain('runId');
    expect(JSON.stringify(doc.paths['/v1/spaces/{space}/memories']?.['get'])).toContain('includeSuperseded');
  });
});
