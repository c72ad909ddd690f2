import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { tempMemspace } from '../support/temp-memspace.js';

/**
 * `curl -X POST -H 'content-type: application/json' URL` sends an empty body with a JSON content
 * type: a route that takes no body accepts it as none, a route that needs one says so plainly,
 * and a body that is not JSON stays refused. The routes come from the API's own description
 * (generated from the route table), so a route added later is covered without a line here.
 */

type Json = Record<string, unknown>;
type Reply = { status: number; body: Json };
const errorOf = (r: Reply): Json => (r.body['error'] as Json | undefined) ?? {};

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let app: FastifyInstance;
/** POST routes of memspace's own API, by whether their description has a request body. */
const routes = { bodiless: [] as string[], withBody: [] as string[] };
let spaces = 0;

async function post(url: string, payload: string | undefined, headers: Record<string, string> = {}): Promise<Reply> {
  const r = await app.inject({ method: 'POST', url, headers: { ...(payload !== undefined && { 'content-type': 'application/json' }), ...headers }, ...(payload !== undefined && { payload }) });
  return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json) };
}

/** A fresh space with a memory, so that every route finds something to work on and none sees another's effects. */
async function freshSpace(): Promise<string> {
  const name = `s${++spaces}`;
  await ms.spaces.create({ name, embedder: 'none', dimension: 2 });
  await ms.memories.add(name, { content: 'a note', embedding: [1, 0] });
  return name;
}

/** `path` of the description made concrete on `space`; a route on an archived space's restore needs it archived first. */
async function target(path: string, space: string): Promise<{ url: string; headers: Record<string, string> }> {
  if (path.endsWith('/restore')) await ms.lifecycle.archive(space);
  const url = path.replace('{space}', space);
  return { url, headers: path.includes('{space}') ? {} : { 'x-memory-space': space } };
}

beforeAll(async () => {
  ms = await tempMemspace();
  app = await buildApp({ memspace: ms, auth: false });
  const doc = JSON.parse((await app.inject({ method: 'GET', url: '/openapi.json' })).body) as { paths: Record<string, Record<string, Json>> };
  for (const [path, operations] of Object.entries(doc.paths)) {
    const op = operations['post'];
    // memspace's own API only: /mcp and mem0's routes (trailing slash) speak their own protocols.
    if (op === undefined || !path.startsWith('/v1/') || path.endsWith('/')) continue;
    (op['requestBody'] === undefined ? routes.bodiless : routes.withBody).push(path);
  }
});
afterAll(async () => {
  await app.close();
  await ms.cleanup();
});

describe('an empty JSON body', () => {
  it('finds the body-less POST routes in the description', () => {
    for (const path of ['/v1/spaces/{space}/archive', '/v1/spaces/{space}/restore', '/v1/spaces/{space}/sweep', '/v1/spaces/{space}/feedback/reset']) {
      expect(routes.bodiless).toContain(path);
    }
    expect(routes.withBody).toContain('/v1/spaces/{space}/memories');
  });

  it('is no body on every POST route that takes none: the same answer as a request without a body', async () => {
    for (const path of routes.bodiless) {
      for (const payload of ['', '  \n\t']) {
        const empty = await post(...(await argsFor(path, payload)));
        const none = await post(...(await argsFor(path, undefined)));
        expect([empty.status, errorOf(empty)['code']], `${path} ${JSON.stringify(payload)}`).toEqual([none.status, errorOf(none)['code']]);
        expect(empty.status, `${path}: ${JSON.stringify(empty.body)}`).toBeLessThan(300);
      }
    }
  });

  it('is no body for consolidate, whose body is optional', async () => {
    const space = await freshSpace();
    const r = await post(`/v1/spaces/${space}/consolidate`, '');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  });

  it('is refused as "a JSON body is required" by every route that needs one', async () => {
    const space = await freshSpace();
    for (const path of routes.withBody) {
      // An import reads JSON Lines, consolidate's body is optional (above).
      if (path.endsWith('/import') || path.endsWith('/consolidate')) continue;
      const { url, headers } = await target(path, space);
      const r = await post(url.replace('{federationId}', 'fed_none'), '', headers);
      expect([r.status, errorOf(r)['code'], errorOf(r)['message']], path).toEqual([400, 'VALIDATION_FAILED', 'a JSON body is required']);
    }
  });

  it('does not make invalid JSON acceptable', async () => {
    const space = await freshSpace();
    for (const payload of ['{', 'nul', '"unterminated', '{} {}']) {
      const r = await post(`/v1/spaces/${space}/sweep`, payload);
      expect([r.status, errorOf(r)['code'], errorOf(r)['message']], payload).toEqual([400, 'VALIDATION_FAILED', 'the body is not valid JSON']);
    }
    const poisoned = await post(`/v1/spaces/${space}/memories`, '{"content":"x","embedding":[1,0],"__proto__":{"admin":true}}');
    expect([poisoned.status, errorOf(poisoned)['code']]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('reaches no other space: an empty body from a scoped key to a space outside its grants changes nothing', async () => {
    const [mine, theirs] = [await freshSpace(), await freshSpace()];
    const root = (await ms.keys.ensureRootKey())!;
    const secured = await buildApp({ memspace: ms });
    try {
      const created = await secured.inject({ method: 'POST', url: '/v1/keys', headers: { authorization: `Bearer ${root}` }, payload: { name: 'scoped', grants: [{ space: mine, role: 'admin' }] } });
      const key = (JSON.parse(created.body) as { key: string }).key;
      const send = async (url: string): Promise<Reply> => {
        const r = await secured.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: '' });
        return { status: r.statusCode, body: JSON.parse(r.body) as Json };
      };
      for (const action of ['archive', 'sweep', 'feedback/reset']) {
        const r = await send(`/v1/spaces/${theirs}/${action}`);
        expect([r.status, errorOf(r)['code']], action).toEqual([404, 'SPACE_NOT_FOUND']);
      }
      expect((await ms.spaces.get(theirs)).state).not.toBe('archived');
      expect((await send(`/v1/spaces/${mine}/archive`)).status).toBe(200);
    } finally {
      await secured.close();
    }
  });
});

/** The arguments of one request to `path` on a space of its own, with `payload` (undefined: no body, no content type). */
async function argsFor(path: string, payload: string | undefined): Promise<[string, string | undefined, Record<string, string>]> {
  const { url, headers } = await target(path, await freshSpace());
  return [url, payload, headers];
}
