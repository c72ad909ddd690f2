import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { MemspaceError } from '../../src/core/errors.js';
import { OpenAIEmbedder, type OpenAIEmbedderOptions } from '../../src/embed/openai-embedder.js';

const DIMENSION = 8;

/** Deterministic, text-dependent vector: the first DIMENSION bytes of sha256(text), centred. */
function fakeVector(text: string, dimension = DIMENSION): number[] {
  const digest = createHash('sha256').update(text).digest();
  return Array.from({ length: dimension }, (_, i) => (digest[i % digest.length] ?? 0) - 127.5);
}

function unit(values: number[]): number[] {
  const norm = Math.sqrt(values.reduce((sum, value) => sum + value * value, 0));
  return values.map((value) => value / norm);
}

interface SeenRequest {
  url: string;
  authorization: string | undefined;
  body: { model: string; input: string[] };
}

/** How the server answers the next requests; reset after every test. */
type Mode = 'ok' | 'wrong-dimension' | 'error-500' | 'malformed' | 'bad-shape' | 'missing-item' | 'stall';

describe('OpenAIEmbedder against a real HTTP server', () => {
  let server: Server;
  let baseUrl: string;
  let mode: Mode = 'ok';
  let seen: SeenRequest[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (raw += chunk));
      req.on('end', () => {
        const body = JSON.parse(raw) as SeenRequest['body'];
        seen.push({ url: req.url ?? '', authorization: req.headers.authorization, body });
        if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
          res.writeHead(404).end('not found');
          return;
        }
        switch (mode) {
          case 'error-500':
            res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"model crashed"}}');
            return;
          case 'malformed':
            res.writeHead(200, { 'content-type': 'application/json' }).end('{"data": [');
            return;
          case 'bad-shape':
            res.writeHead(200, { 'content-type': 'application/json' }).end('{"data": [{"vector": [1, 2]}]}');
            return;
          case 'stall':
            // Headers, then nothing: the body read must time out.
            res.writeHead(200, { 'content-type': 'application/json' });
            res.write('{"data": ');
            return;
          default:
            break;
        }
        const dimension = mode === 'wrong-dimension' ? DIMENSION + 1 : DIMENSION;
        let data = body.input.map((text, index) => ({ object: 'embedding', index, embedding: fakeVector(text, dimension) }));
        if (mode === 'missing-item') data = data.slice(1);
        // Reversed on purpose: clients must order by `index`, not by position.
        data.reverse();
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ object: 'list', model: body.model, data, usage: { prompt_tokens: 1, total_tokens: 1 } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(() => {
    mode = 'ok';
    seen = [];
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function make(options: Partial<OpenAIEmbedderOptions> = {}): OpenAIEmbedder {
    return new OpenAIEmbedder({ baseUrl, model: 'test-embed', dimension: DIMENSION, ...options });
  }

  async function failure(promise: Promise<unknown>): Promise<MemspaceError> {
    const error: unknown = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(MemspaceError);
    return error as MemspaceError;
  }

  it('returns unit vectors in input order although the server answers out of order', async () => {
    const embedder = make();
    expect(embedder.id).toBe('openai:test-embed');
    expect(embedder.dimension).toBe(DIMENSION);
    const texts = ['alpha', 'beta', 'gamma'];
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(3);
    for (const [i, vector] of vectors.entries()) {
      expect(vector).toBeInstanceOf(Float32Array);
      const expected = unit(fakeVector(texts[i] ?? ''));
      for (const [j, value] of expected.entries()) expect(vector[j]).toBeCloseTo(value, 5);
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]?.body).toEqual({ model: 'test-embed', input: texts });
    expect(seen[0]?.authorization).toBeUndefined();
  });

  it('splits large calls into batchSize requests and keeps order', async () => {
    const embedder = make({ batchSize: 4 });
    const texts = Array.from({ length: 10 }, (_, i) => `text number ${i}`);
    const vectors = await embedder.embed(texts);
    expect(seen.map((request) => request.body.input.length)).toEqual([4, 4, 2]);
    for (const [i, vector] of vectors.entries()) {
      expect(vector[0]).toBeCloseTo(unit(fakeVector(texts[i] ?? ''))[0] ?? NaN, 5);
    }
  });

  it('sends the API key as a bearer token', async () => {
    await make({ apiKey: 'sk-test-123' }).embed(['hello']);
    expect(seen[0]?.authorization).toBe('Bearer sk-test-123');
  });

  it('accepts a base URL ending in /v1 or a slash', async () => {
    await make({ baseUrl: `${baseUrl}/v1/` }).embed(['a']);
    await make({ baseUrl: `${baseUrl}/` }).embed(['b']);
    expect(seen.map((request) => request.url)).toEqual(['/v1/embeddings', '/v1/embeddings']);
  });

  it('reports vectors of the wrong length as DIMENSION_MISMATCH', async () => {
    mode = 'wrong-dimension';
    const error = await failure(make().embed(['hello']));
    expect(error.code).toBe('DIMENSION_MISMATCH');
    expect(error.details).toMatchObject({ expected: DIMENSION, actual: DIMENSION + 1 });
  });

  it('reports HTTP 500 as BACKEND_UNAVAILABLE with the status and body', async () => {
    mode = 'error-500';
    const error = await failure(make({ apiKey: 'sk-secret' }).embed(['hello']));
    expect(error.code).toBe('BACKEND_UNAVAILABLE');
    expect(error.details).toMatchObject({ status: 500 });
    expect(String(error.details?.body)).toContain('model crashed');
    expect(JSON.stringify(error.details)).not.toContain('sk-secret');
  });

  it('reports malformed JSON as BACKEND_UNAVAILABLE', async () => {
    mode = 'malformed';
    expect((await failure(make().embed(['hello']))).code).toBe('BACKEND_UNAVAILABLE');
  });

  it('reports an unexpected response shape as BACKEND_UNAVAILABLE', async () => {
    mode = 'bad-shape';
    expect((await failure(make().embed(['hello']))).code).toBe('BACKEND_UNAVAILABLE');
  });

  it('reports a missing vector as BACKEND_UNAVAILABLE', async () => {
    mode = 'missing-item';
    expect((await failure(make().embed(['one', 'two']))).code).toBe('BACKEND_UNAVAILABLE');
  });

  it('times out a stalled response as BACKEND_UNAVAILABLE', async () => {
    mode = 'stall';
    const error = await failure(make({ timeoutMs: 300 }).embed(['hello']));
    expect(error.code).toBe('BACKEND_UNAVAILABLE');
    expect(error.message).toMatch(/300 ms/);
  });

  it('reports a refused connection as BACKEND_UNAVAILABLE', async () => {
    // Bind a port, then free it: nothing listens there any more.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const error = await failure(make({ baseUrl: `http://127.0.0.1:${port}` }).embed(['hello']));
    expect(error.code).toBe('BACKEND_UNAVAILABLE');
    expect(error.details).toMatchObject({ reason: 'ECONNREFUSED' });
  });

  it('rejects empty strings before sending anything', async () => {
    const error = await failure(make().embed(['ok', '']));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(seen).toHaveLength(0);
  });

  it('sends no request for an empty list', async () => {
    await expect(make().embed([])).resolves.toEqual([]);
    expect(seen).toHaveLength(0);
  });

  it('rejects calls after close()', async () => {
    const embedder = make();
    await embedder.close();
    await embedder.close();
    expect((await failure(embedder.embed(['hello']))).code).toBe('BACKEND_UNAVAILABLE');
  });

  it('aborts an in-flight request on close()', async () => {
    mode = 'stall';
    const embedder = make();
    const pending = failure(embedder.embed(['hello']));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await embedder.close();
    const error = await pending;
    expect(error.code).toBe('BACKEND_UNAVAILABLE');
    expect(error.message).toMatch(/closed/);
  });

  it('validates its options', () => {
    expect(() => make({ baseUrl: 'not a url' })).toThrow(MemspaceError);
    expect(() => make({ baseUrl: 'ftp://example.com' })).toThrow(MemspaceError);
    expect(() => make({ dimension: 0 })).toThrow(MemspaceError);
    expect(() => make({ model: '' })).toThrow(MemspaceError);
  });
});
