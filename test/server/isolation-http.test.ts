import { request } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { ENGINE_BACKENDS, postgresEngine, type OpenedEngine } from '../support/engine-backends.js';
import { axisVector } from '../support/temp-memspace.js';

/**
 * The cross-space attack cases through HTTP, on every backend a server runs on: the embedded
 * default, a real PostgreSQL 15, and a Citus coordinator with two workers (where the two spaces
 * may live on different workers). Each request names one space and aims at the other by every
 * route, header, query and body field; none may answer with, or change, the other space.
 */

const DIM = 8;
const v = (axis: number): number[] => axisVector(DIM, axis);

type Json = Record<string, unknown>;
const code = (body: Json): unknown => (body['error'] as Json | undefined)?.['code'];

/** A GET whose path goes on the wire exactly as written. */
function rawGet(base: string, path: string): Promise<{ status: number; body: Json }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Json }));
    });
    req.on('error', reject);
    req.end();
  });
}

const BACKENDS = [...ENGINE_BACKENDS, { name: 'a Citus coordinator with 2 workers', open: () => postgresEngine({ citusWorkers: 2 }) }];

describe.each(BACKENDS)('isolation through HTTP on $name', ({ open }) => {
  let backend: OpenedEngine;
  let app: FastifyInstance;
  let alphaId: string;
  let alphaRel: string;

  async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
    const r = await app.inject({ method, url, headers, ...(payload !== undefined && { payload: payload as Json }) });
    return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json) };
  }

  /** Adds a memory to `space`, which must be acknowledged; returns its id. */
  async function plant(space: string, memory: Json): Promise<string> {
    const r = await call('POST', `/v1/spaces/${space}/memories`, memory);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body['id'] as string;
  }

  beforeAll(async () => {
    backend = await open();
    app = await buildApp({ memspace: backend.ms, auth: false });
    for (const name of ['alpha', 'beta']) {
      const r = await app.inject({ method: 'POST', url: '/v1/spaces', payload: { name, embedder: 'none', dimension: DIM } });
      expect(r.statusCode).toBe(201);
    }
    alphaId = await plant('alpha', { content: 'alpha secret plan', embedding: v(5), id: 'shared-id' });
    const other = await plant('alpha', { content: 'alpha other', embedding: v(6) });
    alphaRel = (await call('POST', '/v1/spaces/alpha/relations', { from: alphaId, to: other, type: 'x' })).body['id'] as string;
    await plant('beta', { content: 'beta public note', embedding: v(5), id: 'shared-id' });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await backend?.stop();
  });

  it('refuses requests that name different spaces, including a forged body field', async () => {
    const conflicts: [string, string, unknown, Record<string, string>][] = [
      ['POST', '/v1/spaces/beta/memories', { content: 'x', embedding: v(1), space: 'alpha' }, {}],
      ['POST', '/v1/spaces/beta/search', { query: 'secret', space: 'alpha' }, {}],
      ['GET', '/v1/spaces/beta/memories/shared-id', undefined, { 'x-memory-space': 'alpha' }],
      ['GET', '/v1/spaces/beta/memories?space=alpha', undefined, {}],
      ['POST', '/v1/search', { query: 'secret', mode: 'keyword', space: 'alpha' }, { 'x-memory-space': 'beta' }],
      ['POST', '/v1/search?space=beta', { query: 'secret', mode: 'keyword', space: 'alpha' }, {}],
      ['GET', '/v1/memories/shared-id?space=alpha', undefined, { 'x-memory-space': 'beta' }],
    ];
    for (const [method, url, body, headers] of conflicts) {
      const r = await call(method as 'GET', url, body, headers);
      expect(r.status, `${method} ${url}`).toBe(400);
      expect(code(r.body), `${method} ${url}`).toBe('SPACE_CONFLICT');
    }
    // The same space in another case is no conflict.
    expect((await call('GET', '/v1/spaces/beta/memories/shared-id', undefined, { 'x-memory-space': 'BETA' })).body['content']).toBe('beta public note');
  });

  it('rejects encoded traversal and invalid names without falling back to another space', async () => {
    // Sent byte for byte over a socket: an in-process client would normalise the dots away.
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    for (const url of ['/v1/spaces/%2e%2e/memories', '/v1/spaces/..%2falpha/memories', '/v1/spaces/a%2fb/memories', '/v1/spaces/%252e%252e/memories', '/v1/spaces/alpha%00/memories', '/v1/spaces/%C3%A0lpha/memories', '/v1/spaces/%2E%2E/search']) {
      const r = await rawGet(address, url);
      expect([400, 404], url).toContain(r.status);
      expect(['INVALID_SPACE', 'NOT_FOUND'], url).toContain(code(r.body));
      expect(JSON.stringify(r.body), url).not.toContain('secret');
    }
    for (const header of ['../alpha', 'alpha/x', '%2e%2e', '']) {
      const r = await call('GET', '/v1/memories', undefined, { 'x-memory-space': header });
      expect(code(r.body), JSON.stringify(header)).toBe('INVALID_SPACE');
    }
    expect(code((await call('POST', '/v1/search', { query: 'secret', space: '../alpha' })).body)).toBe('INVALID_SPACE');
  });

  it("answers NOT_FOUND for another space's ids on every by-id route", async () => {
    const other = await plant('alpha', { content: 'alpha only', embedding: v(7) });
    const routes: [string, string, unknown?][] = [
      ['GET', `/v1/spaces/beta/memories/${other}`],
      ['PATCH', `/v1/spaces/beta/memories/${other}`, { importance: 1 }],
      ['DELETE', `/v1/spaces/beta/memories/${other}`],
      ['GET', `/v1/spaces/beta/memories/${other}/history`],
      ['GET', `/v1/spaces/beta/memories/${other}/relations`],
      ['DELETE', `/v1/spaces/beta/relations/${alphaRel}`],
      ['POST', '/v1/spaces/beta/relations', { from: 'shared-id', to: other, type: 'leak' }],
      ['GET', `/v1/memories/${other}`],
    ];
    for (const [method, url, body] of routes) {
      const r = await call(method as 'GET', url, body, url.startsWith('/v1/memories') ? { 'x-memory-space': 'beta' } : {});
      expect(r.status, `${method} ${url}`).toBe(404);
      expect(code(r.body), `${method} ${url}`).toBe('NOT_FOUND');
    }
    expect((await call('GET', `/v1/spaces/alpha/memories/${other}`)).body['content']).toBe('alpha only');
    // A delete by filter naming ids of both spaces deletes beta's own twin only.
    await plant('alpha', { content: 'alpha twin', embedding: v(7), id: 'twin' });
    await plant('beta', { content: 'beta twin', embedding: v(7), id: 'twin' });
    expect(await call('POST', '/v1/spaces/beta/memories/delete', { filter: { id: { in: [other, 'twin'] } } })).toEqual({ status: 200, body: { deleted: 1 } });
    expect(code((await call('GET', '/v1/spaces/beta/memories/twin')).body)).toBe('NOT_FOUND');
    expect((await call('GET', '/v1/spaces/alpha/memories/twin')).body['content']).toBe('alpha twin');
    expect((await call('GET', '/v1/spaces/alpha/memories/shared-id')).body['content']).toBe('alpha secret plan');
  });

  it('never returns another space in search, listing or export, and returns the space its own', async () => {
    // Beta's own look-alike: each answer below must hold it, and nothing of alpha's.
    const own = await plant('beta', { content: 'beta secret plan', embedding: v(5) });
    for (const mode of ['keyword', 'vector', 'hybrid']) {
      const r = await call('POST', '/v1/spaces/beta/search', { query: 'alpha secret plan', embedding: v(5), mode, limit: 100 });
      expect(r.status, mode).toBe(200);
      expect((r.body['results'] as { memory: Json }[]).map((h) => h.memory['id']), mode).toContain(own);
      expect(JSON.stringify(r.body), mode).not.toContain('alpha');
    }
    const listed = await call('GET', '/v1/spaces/beta/memories?limit=1000');
    expect(listed.status).toBe(200);
    expect((listed.body['items'] as Json[]).map((m) => m['id'])).toContain(own);
    expect(JSON.stringify(listed.body)).not.toContain('alpha');
    const exported = await app.inject({ method: 'GET', url: '/v1/spaces/beta/export' });
    expect(exported.statusCode).toBe(200);
    expect(exported.body).toContain('beta secret plan');
    expect(exported.body).not.toContain('alpha secret');
  });
});
