import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { ENGINE_BACKENDS, type OpenedEngine } from '../support/engine-backends.js';
import { allMemories, axisVector } from '../support/temp-memspace.js';

/**
 * Imports over HTTP read every line of the body, however long the engine takes before it reads
 * the first one. On PostgreSQL, checking access and looking the space up are round trips to the
 * database; the body used to be handed to a line reader at once, which read the whole (small)
 * body in the meantime and dropped lines no one was iterating yet, so an import into a missing
 * space never answered and an import into an existing one lost its lines. Found by the HTTP
 * fuzzer (test/fuzz).
 */

const DIM = 4;


describe.each(ENGINE_BACKENDS)('import over HTTP on $name', ({ open }) => {
  let backend: OpenedEngine;
  let app: FastifyInstance;

  beforeAll(async () => {
    backend = await open();
    app = await buildApp({ memspace: backend.ms, auth: false });
    await backend.ms.spaces.create({ name: 'target', embedder: 'none', dimension: DIM });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await backend?.stop();
  });

  const ndjson = (lines: unknown[]) => ({ 'content-type': 'application/x-ndjson', payload: lines.map((l) => JSON.stringify(l)).join('\n') });

  it('imports every line into an existing space', async () => {
    const lines = Array.from({ length: 5 }, (_, i) => ({ type: 'memory', id: `m${i}`, content: `line ${i}`, embedding: axisVector(DIM, i) }));
    const { payload, ...headers } = ndjson(lines);
    const r = await app.inject({ method: 'POST', url: '/v1/spaces/target/import', headers, payload });
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ memories: { imported: 5, skipped: 0 } });
    expect([...(await allMemories(backend.ms, 'target')).byId.keys()].sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('answers an import into a missing space without a header line with SPACE_NOT_FOUND', async () => {
    const { payload, ...headers } = ndjson([{ type: 'memory', id: 'm1', content: 'x', embedding: axisVector(DIM, 1) }]);
    for (const body of [payload, '']) {
      const r = await app.inject({ method: 'POST', url: '/v1/spaces/nowhere/import', headers, payload: body });
      expect(r.statusCode).toBe(404);
      expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'SPACE_NOT_FOUND' } });
    }
  });
});
