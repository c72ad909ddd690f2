import { expect } from 'vitest';

type Json = Record<string, unknown>;
type Answer = { status: number; body: Json; raw: string; headers: Record<string, unknown> };

/** What the session needs from its test: a call whose answer the test checks against the document. */
export interface SessionDeps {
  call(key: string | undefined, method: string, url: string, payload?: unknown, headers?: Record<string, string>): Promise<Answer>;
  code(r: { body: Json }): unknown;
  root: string;
  /** Makes the next readiness check fail (GET /v1/health answers 503). */
  spyHealth(): { mockRestore(): void };
}

const SPACE = { embedder: 'openai:test-words', dimension: 32 };

/**
 * A realistic session over the whole HTTP API: spaces, memories, relations, search, contexts,
 * audit, export and import, keys, shares, lifecycle, consolidation, feedback, projects,
 * federations, mem0, MCP, health and metrics, with errors of each kind and a key of one space
 * reaching for another. Statuses are asserted here; the test checks every body against the document.
 */
export async function session(deps: SessionDeps): Promise<void> {
  const expectStatus = async (want: number, p: Promise<Answer>): Promise<Answer> => {
    const r = await p;
    expect(r.status, r.raw.slice(0, 300)).toBe(want);
    return r;
  };
  const s: Steps = { ...deps, expectStatus, ok: (p) => expectStatus(200, p), created: (p) => expectStatus(201, p), gone: (p) => expectStatus(204, p) };
  await operations(s);
  const { alpha, key } = await spacesAndKeys(s);
  const { id, other } = await memories(s, alpha);
  await spaceFeatures(s, alpha, id, key);
  await projectsAndFederations(s);
  await mem0(s);
  await mcp(s);
  await endings(s, other);
}

/** The session's calls, and checks of their statuses. */
interface Steps extends SessionDeps {
  expectStatus(want: number, p: Promise<Answer>): Promise<Answer>;
  ok(p: Promise<Answer>): Promise<Answer>;
  created(p: Promise<Answer>): Promise<Answer>;
  gone(p: Promise<Answer>): Promise<Answer>;
}

async function operations({ call, root, spyHealth, ok, expectStatus }: Steps): Promise<void> {

  // Operations and meta.
  await ok(call(undefined, 'GET', '/v1/health'));
  await ok(call(root, 'GET', '/v1/health'));
  await expectStatus(401, call('msk_unknown', 'GET', '/v1/health'));
  const spy = spyHealth();
  try {
    await expectStatus(503, call(undefined, 'GET', '/v1/health'));
  } finally {
    spy.mockRestore();
  }
  await ok(call(undefined, 'GET', '/openapi.json'));
  await ok(call(undefined, 'GET', '/docs'));
  await ok(call(root, 'GET', '/metrics'));
  await expectStatus(401, call(undefined, 'GET', '/metrics'));

}

async function spacesAndKeys({ call, root, ok, created, expectStatus }: Steps): Promise<{ alpha: string; key: Answer }> {
  await created(call(root, 'POST', '/v1/spaces', { name: 'alpha', isolation: 'shared', ...SPACE }));
  await created(call(root, 'POST', '/v1/spaces', { name: 'beta', ...SPACE }));
  await expectStatus(409, call(root, 'POST', '/v1/spaces', { name: 'alpha', ...SPACE }));
  await expectStatus(400, call(root, 'POST', '/v1/spaces', { name: 'no spaces allowed', ...SPACE }));
  await expectStatus(400, call(root, 'POST', '/v1/spaces', '{"name":', { 'content-type': 'application/json' }));
  await ok(call(root, 'GET', '/v1/spaces?limit=1'));
  await expectStatus(400, call(root, 'GET', '/v1/spaces?limit=0'));
  await ok(call(root, 'GET', '/v1/spaces/alpha'));
  await ok(call(root, 'PATCH', '/v1/spaces/alpha', { description: 'notes of alpha' }));
  await ok(call(root, 'GET', '/v1/spaces/alpha/health'));

  // A key of alpha only, and what it cannot reach.
  const key = await created(call(root, 'POST', '/v1/keys', { name: 'alpha writer', grants: [{ space: 'alpha', role: 'write' }], defaultSpace: 'alpha' }));
  const alpha = key.body['key'] as string;
  await ok(call(root, 'GET', '/v1/keys'));
  await ok(call(alpha, 'GET', '/v1/whoami'));
  await ok(call(alpha, 'PATCH', `/v1/keys/${key.body['id'] as string}`, { defaultSpace: 'alpha' }));
  await expectStatus(404, call(alpha, 'GET', '/v1/spaces/beta/memories'));
  await expectStatus(404, call(alpha, 'POST', '/v1/spaces/beta/search', { query: 'secret' }));
  await expectStatus(403, call(alpha, 'GET', '/v1/spaces/alpha/audit'));
  await expectStatus(403, call(alpha, 'GET', '/metrics'));
  await expectStatus(401, call(undefined, 'GET', '/v1/spaces/alpha/memories'));
  await expectStatus(400, call(alpha, 'GET', '/v1/memories', undefined, { 'x-memory-space': 'bad name!' }));
  await expectStatus(400, call(alpha, 'GET', '/v1/spaces/alpha/memories?space=beta'));

  return { alpha, key };
}

async function memories({ call, root, ok, created, gone, expectStatus }: Steps, alpha: string): Promise<{ id: string; other: Answer }> {
  const first = await created(call(alpha, 'POST', '/v1/spaces/alpha/memories', { content: 'the cat sleeps on the mat', tags: ['pets'], userId: 'u1', metadata: { topic: 'cats' } }));
  const id = first.body['id'] as string;
  await created(call(alpha, 'POST', '/v1/memories', { content: 'dogs bark at night', userId: 'u1' }, { 'x-memory-space': 'alpha' }));
  await created(call(alpha, 'POST', '/v1/spaces/alpha/memories/batch', { memories: [{ content: 'birds sing' }, { content: 'fish swim' }] }));
  await expectStatus(422, call(alpha, 'POST', '/v1/spaces/alpha/memories', { content: 'wrong vector', embedding: [1, 2] }));
  await created(call(root, 'POST', '/v1/spaces/beta/memories', { content: 'secret of beta' }));
  const listed = await ok(call(alpha, 'GET', '/v1/spaces/alpha/memories?limit=2'));
  await ok(call(alpha, 'GET', `/v1/memories?limit=2&cursor=${encodeURIComponent(listed.body['nextCursor'] as string)}`));
  await expectStatus(400, call(alpha, 'GET', '/v1/spaces/alpha/memories?limit=0'));
  await ok(call(alpha, 'GET', `/v1/spaces/alpha/memories/${id}`));
  await expectStatus(404, call(alpha, 'GET', '/v1/spaces/alpha/memories/nope'));
  await ok(call(alpha, 'PATCH', `/v1/spaces/alpha/memories/${id}`, { content: 'the cat sleeps on the red mat' }));
  await ok(call(alpha, 'GET', `/v1/spaces/alpha/memories/${id}/history`));

  // Relations, search, contexts.
  const other = await created(call(alpha, 'POST', '/v1/spaces/alpha/memories', { content: 'the mat is red' }));
  const relation = await created(call(alpha, 'POST', '/v1/spaces/alpha/relations', { from: id, to: other.body['id'], type: 'about' }));
  await ok(call(alpha, 'GET', `/v1/spaces/alpha/memories/${id}/relations?direction=both`));
  await gone(call(alpha, 'DELETE', `/v1/spaces/alpha/relations/${relation.body['id'] as string}`));
  await ok(call(alpha, 'POST', '/v1/spaces/alpha/search', { query: 'cat on the mat', limit: 3 }));
  await ok(call(alpha, 'POST', '/v1/search', { query: 'cat', mode: 'keyword' }));
  await ok(call(root, 'POST', '/v1/search', { query: 'cat', spaces: ['alpha', 'beta'] }));
  await ok(call(alpha, 'POST', '/v1/route', { text: 'a cat on a mat' }));
  await expectStatus(400, call(alpha, 'POST', '/v1/spaces/alpha/search', { query: 'cat', limit: 0 }));
  const context = await created(call(alpha, 'POST', '/v1/spaces/alpha/contexts', { content: 'a long document '.repeat(50), summary: 'a document' }));
  await ok(call(alpha, 'GET', `/v1/spaces/alpha/contexts/${context.body['id'] as string}`));
  await gone(call(alpha, 'DELETE', `/v1/spaces/alpha/contexts/${context.body['id'] as string}`));

  return { id, other };
}

async function spaceFeatures({ call, root, ok, created, gone, expectStatus }: Steps, alpha: string, id: string, key: Answer): Promise<void> {
  // Feedback and consolidation.
  await ok(call(alpha, 'POST', '/v1/spaces/alpha/feedback', { query: 'cat', results: [{ id, signal: 'helpful' }] }));
  await ok(call(alpha, 'POST', '/v1/spaces/alpha/rerank', { query: 'cat', documents: [{ id: 'd1', text: 'a cat' }, { id: 'd2', text: 'a car' }] }));
  await ok(call(root, 'POST', '/v1/spaces/alpha/feedback/reset'));
  await ok(call(root, 'POST', '/v1/spaces/alpha/consolidate', { dryRun: true }));
  const pass = await ok(call(root, 'POST', '/v1/spaces/alpha/consolidate', {}));
  await ok(call(root, 'POST', '/v1/spaces/alpha/consolidate/undo', { runId: pass.body['runId'] }));

  // Audit, export, import, events.
  await ok(call(root, 'GET', '/v1/spaces/alpha/audit?limit=5'));
  await ok(call(root, 'GET', '/v1/spaces/alpha/audit/verify'));
  const exported = await ok(call(alpha, 'GET', '/v1/spaces/alpha/export'));
  await ok(call(root, 'POST', '/v1/spaces/gamma/import', exported.raw, { 'content-type': 'application/x-ndjson' }));
  await expectStatus(400, call(root, 'POST', '/v1/spaces/gamma/import', { not: 'lines' }));
  await expectStatus(410, call(alpha, 'GET', '/v1/spaces/alpha/events?after=999999'));
  await expectStatus(404, call(alpha, 'GET', '/v1/spaces/beta/events'));

  // Shares and keys.
  const share = await created(call(root, 'POST', '/v1/spaces/alpha/shares', { to: 'beta' }));
  await ok(call(root, 'GET', '/v1/spaces/alpha/shares'));
  await gone(call(root, 'DELETE', `/v1/spaces/alpha/shares/${share.body['id'] as string}`));
  await gone(call(root, 'DELETE', `/v1/keys/${key.body['id'] as string}`));
  await expectStatus(401, call(alpha, 'GET', '/v1/spaces/alpha/memories'));

}

async function projectsAndFederations({ call, root, ok, created, gone, expectStatus }: Steps): Promise<void> {
  await created(call(root, 'POST', '/v1/projects', { name: 'acme' }));
  await ok(call(root, 'GET', '/v1/projects'));
  await ok(call(root, 'GET', '/v1/projects/acme'));
  await ok(call(root, 'PATCH', '/v1/projects/acme', { description: 'the acme project' }));
  await gone(call(root, 'DELETE', '/v1/projects/acme'));
  await expectStatus(404, call(root, 'GET', '/v1/projects/acme'));
  for (const name of ['fed1', 'fed2']) {
    await created(call(root, 'POST', '/v1/spaces', { name, isolation: 'federated', ...SPACE }));
    await created(call(root, 'POST', `/v1/spaces/${name}/memories`, { content: 'shared topic', tags: ['topic'] }));
  }
  const federation = await created(call(root, 'POST', '/v1/federations', { topic: 'topics', mechanism: 'laplace', epsilonPerRelease: 1, minParticipants: 2 }));
  const fid = federation.body['id'] as string;
  await created(call(root, 'POST', `/v1/federations/${fid}/participants`, { space: 'fed1', epsilonBudget: 10 }));
  await created(call(root, 'POST', `/v1/federations/${fid}/participants`, { space: 'fed2', epsilonBudget: 10 }));
  await ok(call(root, 'GET', '/v1/federations'));
  await ok(call(root, 'GET', `/v1/federations/${fid}`));
  await created(call(root, 'POST', `/v1/federations/${fid}/releases`, { kind: 'histogram', params: { field: 'tags', bins: ['topic'] } }));
  await ok(call(root, 'GET', `/v1/federations/${fid}/releases`));
  await ok(call(root, 'GET', '/v1/spaces/fed1/federations'));
  await gone(call(root, 'DELETE', `/v1/federations/${fid}/participants/fed2`));

}

async function mem0({ call, root, ok, expectStatus }: Steps): Promise<void> {
  const m0 = { 'x-memory-space': 'alpha' };
  await ok(call(root, 'GET', '/v1/ping/'));
  await ok(call(root, 'POST', '/v1/memories/', { messages: [{ role: 'user', content: 'I like tea' }], user_id: 'ann', infer: false }, m0));
  await ok(call(root, 'POST', '/v1/memories/', { messages: [{ role: 'user', content: 'I like jazz' }], user_id: 'ann', infer: false, output_format: 'v1.0' }, m0));
  await ok(call(root, 'POST', '/v3/memories/add/', { messages: [{ role: 'user', content: 'I like rain' }], user_id: 'ann', infer: false }, m0));
  await ok(call(root, 'POST', '/v1/memories/search/', { query: 'tea', user_id: 'ann' }, m0));
  await ok(call(root, 'POST', '/v2/memories/search/', { query: 'tea', filters: { user_id: 'ann' } }, m0));
  await ok(call(root, 'POST', '/v3/memories/search/', { query: 'tea', filters: { user_id: 'ann' } }, m0));
  const all = await ok(call(root, 'GET', '/v1/memories/?user_id=ann', undefined, m0));
  await ok(call(root, 'POST', '/v2/memories/', { filters: { user_id: 'ann' } }, m0));
  await ok(call(root, 'POST', '/v3/memories/?page=1&page_size=2', { filters: { user_id: 'ann' } }, m0));
  const m0id = ((all.raw.startsWith('[') ? JSON.parse(all.raw) : all.body['results']) as Json[])[0]!['id'] as string;
  await ok(call(root, 'GET', `/v1/memories/${m0id}/`, undefined, m0));
  await ok(call(root, 'PUT', `/v1/memories/${m0id}/`, { text: 'I like green tea' }, m0));
  await ok(call(root, 'GET', `/v1/memories/${m0id}/history/`, undefined, m0));
  await ok(call(root, 'DELETE', `/v1/memories/${m0id}/`, undefined, m0));
  await expectStatus(404, call(root, 'GET', `/v1/memories/${m0id}/`, undefined, m0));
  await ok(call(root, 'GET', '/v1/entities/', undefined, m0));
  await ok(call(root, 'DELETE', '/v2/entities/user/ann/', undefined, m0));
  await ok(call(root, 'DELETE', '/v1/memories/?user_id=u1', undefined, m0));
  await expectStatus(400, call(root, 'DELETE', '/v1/memories/', undefined, m0));

}

/** MCP: a session opened, then ended. */
async function mcp({ call, root, ok, expectStatus }: Steps): Promise<void> {
  const mcpHeaders = { accept: 'application/json, text/event-stream', 'content-type': 'application/json', 'x-memory-space': 'alpha' };
  const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'openapi-test', version: '1' } } };
  const opened = await ok(call(root, 'POST', '/mcp', init, mcpHeaders));
  const sid = opened.headers['mcp-session-id'] as string;
  await expectStatus(400, call(root, 'POST', '/mcp', { jsonrpc: '2.0', id: 2, method: 'tools/list' }, mcpHeaders));
  await ok(call(root, 'DELETE', '/mcp', undefined, { 'mcp-session-id': sid }));
  await expectStatus(404, call(root, 'DELETE', '/mcp', undefined, { 'mcp-session-id': sid }));

}

/** Lifecycle, then the end of a space. */
async function endings({ call, code, root, ok, gone, expectStatus }: Steps, other: Answer): Promise<void> {
  await ok(call(root, 'POST', '/v1/spaces/beta/sweep'));
  await ok(call(root, 'POST', '/v1/spaces/beta/archive'));
  await ok(call(root, 'POST', '/v1/spaces/beta/restore'));
  await gone(call(root, 'DELETE', `/v1/spaces/alpha/memories/${other.body['id'] as string}`));
  await ok(call(root, 'POST', '/v1/spaces/alpha/memories/delete', { filter: { userId: { eq: 'u1' } } }));
  await gone(call(root, 'DELETE', '/v1/spaces/gamma'));
  await expectStatus(404, call(root, 'GET', '/v1/spaces/gamma'));
  expect(code(await call(root, 'GET', '/v1/spaces/gamma'))).toBe('SPACE_NOT_FOUND');
}
