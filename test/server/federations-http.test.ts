import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemspaceClient } from '../../src/client/index.js';
import { buildApp } from '../../src/server/app.js';
import { tempMemspace } from '../support/temp-memspace.js';

type Json = Record<string, unknown>;
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let root: string;
/** Admin of fed-a only. */
let adminA: string;
/** Reads fed-b, administers nothing. */
let readerB: string;
/** Admin of its own space, in no federation. */
let outsider: string;
let federation: string;

async function call(key: string, method: string, url: string, payload?: unknown): Promise<{ status: number; body: Json }> {
  const r = await app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${key}` }, ...(payload !== undefined && { payload: payload as Json }) });
  return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json) };
}
const code = (r: { body: Json }): unknown => (r.body['error'] as Json | undefined)?.['code'];
const newKey = async (name: string, grants: Json[]): Promise<string> => (await call(root, 'POST', '/v1/keys', { name, grants })).body['key'] as string;

beforeAll(async () => {
  ms = await tempMemspace();
  root = (await ms.keys.ensureRootKey())!;
  app = await buildApp({ memspace: ms });
  for (const [name, isolation] of [['fed-a', 'federated'], ['fed-b', 'federated'], ['fed-c', 'federated'], ['strict-s', 'strict'], ['own', 'federated']] as const) {
    await call(root, 'POST', '/v1/spaces', { name, isolation, embedder: 'none', dimension: 2 });
    await call(root, 'POST', `/v1/spaces/${name}/memories`, { content: `${name} customers ask about refunds`, embedding: [1, 0], tags: ['billing'] });
  }
  adminA = await newKey('a', [{ space: 'fed-a', role: 'admin' }]);
  readerB = await newKey('b', [{ space: 'fed-b', role: 'read' }]);
  outsider = await newKey('out', [{ space: 'own', role: 'admin' }]);
  const created = await call(root, 'POST', '/v1/federations', { topic: 'support', mechanism: 'laplace', epsilonPerRelease: 0.5, minParticipants: 2 });
  expect(created.status).toBe(201);
  federation = created.body['id'] as string;
  for (const space of ['fed-b', 'fed-c']) expect((await call(root, 'POST', `/v1/federations/${federation}/participants`, { space, epsilonBudget: 5 })).status).toBe(201);
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

describe('federations over HTTP', () => {
  it('only operator keys create federations and ask for releases', async () => {
    const body = { topic: 'x', mechanism: 'laplace', epsilonPerRelease: 1, minParticipants: 2 };
    expect(code(await call(adminA, 'POST', '/v1/federations', body))).toBe('FORBIDDEN');
    const release = { kind: 'terms', params: {} };
    // A non-participant cannot even tell the federation exists; a participant admin is refused.
    expect(code(await call(outsider, 'POST', `/v1/federations/${federation}/releases`, release))).toBe('NOT_FOUND');
    expect((await call(adminA, 'POST', `/v1/federations/${federation}/participants`, { space: 'fed-a', epsilonBudget: 5 })).status).toBe(201);
    expect(code(await call(adminA, 'POST', `/v1/federations/${federation}/releases`, release))).toBe('FORBIDDEN');
    const done = await call(root, 'POST', `/v1/federations/${federation}/releases`, release);
    expect(done.status).toBe(201);
    expect(done.body).toMatchObject({ kind: 'terms', contributors: 3, epsilon: 0.5, state: 'done' });
  });

  it('a key cannot enroll a space it does not administer: SPACE_NOT_FOUND when invisible, FORBIDDEN when read-only, audited there', async () => {
    expect(code(await call(adminA, 'POST', `/v1/federations/${federation}/participants`, { space: 'own', epsilonBudget: 5 }))).toBe('SPACE_NOT_FOUND');
    expect(code(await call(readerB, 'POST', `/v1/federations/${federation}/participants`, { space: 'fed-b', epsilonBudget: 5 }))).toBe('FORBIDDEN');
    expect(code(await call(readerB, 'DELETE', `/v1/federations/${federation}/participants/fed-b`))).toBe('FORBIDDEN');
    expect(code(await call(adminA, 'DELETE', `/v1/federations/${federation}/participants/fed-c`))).toBe('SPACE_NOT_FOUND');
    await ms.guard.flushRefusals();
    const denied = (await call(root, 'GET', '/v1/spaces/fed-b/audit?action=request.denied')).body['items'] as Json[];
    expect(denied.length).toBeGreaterThan(0);
    expect((await call(root, 'GET', `/v1/spaces/fed-b/federations`)).body).toMatchObject({ items: [{ federation, status: 'active' }] });
  });

  it('a strict space is FORBIDDEN', async () => {
    const r = await call(root, 'POST', `/v1/federations/${federation}/participants`, { space: 'strict-s', epsilonBudget: 5 });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ error: { code: 'FORBIDDEN', details: { isolation: 'strict' } } });
  });

  it("a participant admin sees the count and its own account, never the other participants' names", async () => {
    const seen = await call(adminA, 'GET', `/v1/federations/${federation}`);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ id: federation, participants: 3, yours: [{ space: 'fed-a', epsilonBudget: 5 }] });
    expect(seen.body['participantList']).toBeUndefined();
    const text = JSON.stringify([seen.body, (await call(adminA, 'GET', '/v1/federations')).body, (await call(adminA, 'GET', `/v1/federations/${federation}/releases`)).body]);
    for (const other of ['fed-b', 'fed-c']) expect(text).not.toContain(other);
    const operator = await call(root, 'GET', `/v1/federations/${federation}`);
    expect((operator.body['participantList'] as Json[]).map((p) => p['name']).sort()).toEqual(['fed-a', 'fed-b', 'fed-c']);
    expect(code(await call(adminA, 'GET', '/v1/spaces/fed-b/federations'))).toBe('SPACE_NOT_FOUND');
  });

  it('a non-participant cannot see the federation at all', async () => {
    expect(code(await call(outsider, 'GET', `/v1/federations/${federation}`))).toBe('NOT_FOUND');
    expect(code(await call(outsider, 'GET', `/v1/federations/${federation}/releases`))).toBe('NOT_FOUND');
    expect((await call(outsider, 'GET', '/v1/federations')).body).toEqual({ items: [], nextCursor: null });
  });

  it('bad inputs are 400 VALIDATION_FAILED with the fields at fault', async () => {
    const bad: [string, string, unknown, string][] = [
      ['POST', '/v1/federations', { topic: 't', mechanism: 'laplace', epsilonPerRelease: -1, minParticipants: 2 }, 'epsilonPerRelease'],
      ['POST', '/v1/federations', { topic: 't', mechanism: 'laplace', epsilonPerRelease: 1, minParticipants: 1 }, 'minParticipants'],
      ['POST', '/v1/federations', { topic: 't', mechanism: 'gaussian', epsilonPerRelease: 1, minParticipants: 2 }, 'delta'],
      ['POST', '/v1/federations', { topic: 't', mechanism: 'gaussian', epsilonPerRelease: 2, delta: 1e-6, minParticipants: 2 }, 'epsilonPerRelease'],
      ['POST', '/v1/federations', { topic: 't', mechanism: 'exponential', epsilonPerRelease: 1, minParticipants: 2 }, 'mechanism'],
      ['POST', `/v1/federations/${federation}/participants`, { space: 'fed-a', epsilonBudget: 0 }, 'epsilonBudget'],
      ['POST', `/v1/federations/${federation}/participants`, { space: 'fed-a', epsilonBudget: 5, privacy: 'public' }, 'privacy'],
      ['POST', `/v1/federations/${federation}/releases`, { kind: 'mean', params: { key: 'score', lower: 5, upper: 1 } }, 'params.upper'],
      ['POST', `/v1/federations/${federation}/releases`, { kind: 'histogram', params: { field: 'metadata' } }, 'params.key'],
      ['POST', `/v1/federations/${federation}/releases`, { kind: 'histogram', params: { field: 'tags', filter: { bogus: { eq: 1 } } } }, 'params.filter'],
      ['POST', `/v1/federations/${federation}/releases`, { kind: 'median', params: {} }, 'kind'],
      ['GET', `/v1/federations/${federation}/releases?limit=0`, undefined, 'limit'],
    ];
    for (const [method, url, body, path] of bad) {
      const r = await call(root, method, url, body);
      expect(r.status, `${url} ${JSON.stringify(body)}`).toBe(400);
      expect(code(r)).toBe('VALIDATION_FAILED');
      const issues = ((r.body['error'] as Json)['details'] as Json)['issues'] as { path: string }[];
      expect(issues.map((i) => i.path), JSON.stringify(body)).toContain(path);
    }
    expect(code(await call(root, 'GET', '/v1/federations/nope'))).toBe('NOT_FOUND');
  });

  it('the routes are in the OpenAPI document', async () => {
    const paths = Object.keys((await call(root, 'GET', '/openapi.json')).body['paths'] as Json);
    expect(paths).toEqual(expect.arrayContaining(['/v1/federations', '/v1/federations/{federationId}/releases', '/v1/spaces/{space}/federations']));
  });

  it('the SDK speaks every route, with its answers checked', async () => {
    const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
    const operator = new MemspaceClient({ baseUrl, apiKey: root });
    const f = await operator.federations.create({ topic: 'sdk', mechanism: 'gaussian', epsilonPerRelease: 1, delta: 1e-6, minParticipants: 2 });
    for (const space of ['fed-b', 'fed-c']) await operator.federations.join(f.id, { space, epsilonBudget: 3, privacy: 'anonymized' });
    const release = await operator.federations.release(f.id, { kind: 'centroid', params: {} });
    expect(release).toMatchObject({ kind: 'centroid', contributors: 2, mechanism: 'gaussian', delta: 1e-6 });
    expect((await operator.federations.releases(f.id)).items.map((r) => r.id)).toEqual([release.id]);
    expect((await operator.federations.get(f.id)).participantList!.every((p) => p.anonymized && p.name.startsWith('anonymous-'))).toBe(true);
    expect((await operator.federations.ofSpace('fed-b')).items.find((p) => p.federation === f.id)).toMatchObject({ epsilonSpent: 1, epsilonRemaining: 2 });
    await operator.federations.leave(f.id, 'fed-b');
    expect((await operator.federations.list()).items.find((x) => x.id === f.id)).toMatchObject({ participants: 1, releases: 1 });
    await expect(new MemspaceClient({ baseUrl, apiKey: outsider }).federations.get(f.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
