import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { sendRaw } from '../support/fuzz-http.js';
import { tempMemspace } from '../support/temp-memspace.js';

/**
 * Requests refused before any route sees them, sent byte for byte over a socket (an in-process
 * client cannot send them): each is answered in the one error shape, with a listed code and its
 * status, never the framework's or Node's own body. Found by the HTTP fuzzer (test/fuzz).
 */

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  ms = await tempMemspace();
  app = await buildApp({ memspace: ms, auth: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
  await ms.spaces.create({ name: 'alpha', embedder: 'none', dimension: 2 });
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

async function get(target: string, headers: [string, string | Buffer][] = []): Promise<{ status: number; body: unknown }> {
  const r = await sendRaw(port, { method: 'GET', target, headers });
  return { status: r.status, body: JSON.parse(r.body.toString('utf8')) as unknown };
}

describe('errors before routing', () => {
  it('answers a request the HTTP parser refuses (a control character in the target or a header) with VALIDATION_FAILED', async () => {
    for (const [target, headers] of [
      ['/v1/spaces/alpha/memories?space=alpha\u0001', []],
      ['/v1/memories', [['X-Memory-Space', Buffer.from('alpha\u0001', 'latin1')]]],
    ] as [string, [string, Buffer][]][]) {
      const r = await get(target, headers);
      expect(r.status, target).toBe(400);
      expect(r.body, target).toEqual({ error: { code: 'VALIDATION_FAILED', message: expect.any(String), details: { issues: [{ path: 'request', message: expect.any(String) }] } } });
    }
    // The server still answers on a new connection.
    expect((await get('/v1/spaces/alpha/memories')).status).toBe(200);
  });

  it('answers headers over the size limit with PAYLOAD_TOO_LARGE and the limit', async () => {
    const r = await get('/v1/spaces/alpha/memories', [['X-Padding', 'x'.repeat(64 * 1024)]]);
    expect(r.status).toBe(413);
    expect(r.body).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: expect.any(String), details: { limit: expect.any(Number), unit: 'bytes' } } });
  });

  it('answers a path that is not valid percent-encoding with VALIDATION_FAILED', async () => {
    for (const target of ['/v1/spaces/%ff/memories', '/v1/spaces/alpha/memories/%E0%A4%A', '/v1/spaces/%/memories']) {
      const r = await get(target);
      expect(r.status, target).toBe(400);
      expect(r.body, target).toEqual({ error: { code: 'VALIDATION_FAILED', message: expect.any(String), details: { issues: [{ path: 'path', message: expect.any(String) }] } } });
    }
  });

  it('answers a JSON route sent JSON Lines with VALIDATION_FAILED on the content type, not on the fields of a stream', async () => {
    for (const target of ['/v1/spaces/alpha/memories', '/v1/spaces/alpha/search', '/v1/memories/search/']) {
      const r = await sendRaw(port, { method: 'POST', target, headers: [['Content-Type', 'application/x-ndjson']], body: Buffer.from('{"content":"x","query":"x"}') });
      expect(r.status, target).toBe(400);
      expect(JSON.parse(r.body.toString('utf8')), target).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { issues: [{ path: 'content-type', message: 'expected application/json' }] } } });
    }
  });

  it('addresses a memory by the longest id it may have (128 characters), and answers a longer path parameter with VALIDATION_FAILED', async () => {
    const id = 'i'.repeat(128);
    await ms.memories.add('alpha', { id, content: 'long id', embedding: [1, 0] });
    const found = await get(`/v1/spaces/alpha/memories/${id}`);
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ id, content: 'long id' });
    const tooLong = await get(`/v1/spaces/alpha/memories/${'i'.repeat(5000)}`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toEqual({ error: { code: 'VALIDATION_FAILED', message: expect.any(String), details: { issues: [{ path: 'path', message: expect.any(String) }] } } });
  });
});
