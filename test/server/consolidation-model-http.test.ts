import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { tempMemspace } from '../support/temp-memspace.js';

type Json = Record<string, unknown>;

/** A server over a memspace, with or without a chat model, and its root key. */
async function serve(llmBaseUrl?: string): Promise<{ app: FastifyInstance; root: string; close(): Promise<void> }> {
  const ms = await tempMemspace(llmBaseUrl === undefined ? {} : { config: { llmBaseUrl, llmModel: 'fake-model', llmTimeoutMs: 300 } });
  const root = (await ms.keys.ensureRootKey())!;
  const app = await buildApp({ memspace: ms });
  return {
    app,
    root,
    async close() {
      await app.close();
      await ms.cleanup();
    },
  };
}

async function post(s: { app: FastifyInstance; root: string }, url: string, payload: Json): Promise<{ status: number; body: Json }> {
  const r = await s.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${s.root}` }, payload });
  return { status: r.statusCode, body: JSON.parse(r.body) as Json };
}

describe('consolidation over HTTP with a chat model', () => {
  let llm: FakeLlm;
  beforeAll(async () => {
    llm = await startFakeLlm(() => 503);
  });
  afterAll(async () => {
    await llm.close();
  });

  it('answers a pass 200 with the model failing, its failures counted, and the mem0 API uses the same model', async () => {
    const s = await serve(llm.url);
    try {
      expect((await post(s, '/v1/spaces', { name: 'a', embedder: 'none', dimension: 2 })).status).toBe(201);
      for (const content of ['Dana lives in Utrecht', 'Dana moved to Berlin']) expect((await post(s, '/v1/spaces/a/memories', { content, embedding: [1, 0] })).status).toBe(201);
      const pass = await post(s, '/v1/spaces/a/consolidate', { summarize: true, summarizeAfterDays: 1 });
      expect(pass).toMatchObject({ status: 200, body: { superseded: 0, summarized: 0, modelCalls: 1, modelErrors: 1 } });
      // The mem0 routes infer through the memspace's chat model: the same (failing) server.
      const before = llm.requests.length;
      const mem0 = await s.app.inject({ method: 'POST', url: '/v1/memories/', headers: { authorization: `Token ${s.root}` }, payload: { messages: [{ role: 'user', content: 'I moved to Berlin' }], user_id: 'dana' } });
      expect(mem0.statusCode).toBe(503);
      expect(llm.requests.length).toBe(before + 1);
    } finally {
      await s.close();
    }
  });

  it('refuses summaries without a chat model with 400 VALIDATION_FAILED', async () => {
    const s = await serve();
    try {
      for (const payload of [{ summarize: true }, { summarizeAfterDays: 3 }]) {
        const r = await post(s, '/v1/spaces/default/consolidate', payload);
        expect([r.status, (r.body['error'] as Json)['code']]).toEqual([400, 'VALIDATION_FAILED']);
      }
      const bad = await post(s, '/v1/spaces/default/consolidate', { summarizeAfterDays: 0 });
      expect(bad.status).toBe(400);
      expect((await post(s, '/v1/spaces/default/consolidate', { summarize: false })).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
