import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mem0Clients, startMem0Server, type Mem0Server } from './harness.js';

/** The `mem0ai` 3.x MemoryClient, unchanged, against memspace's mem0-compatible API (no LLM configured). */
let server: Mem0Server;
let MemoryClient: Awaited<ReturnType<typeof mem0Clients>>['v3'];
let alphaKey: string;
let betaKey: string;
let bothKey: string;
type Client = InstanceType<typeof MemoryClient>;
const client = (apiKey: string, space?: string): Client => {
  const c = new MemoryClient({ apiKey, host: server.url });
  if (space !== undefined) c.headers['X-Memory-Space'] = space;
  return c;
};
type Json = Record<string, unknown>;

beforeAll(async () => {
  ({ v3: MemoryClient } = await mem0Clients());
  server = await startMem0Server({ spaces: ['alpha', 'beta', 'secret'] });
  alphaKey = await server.key([{ space: 'alpha' }], 'alpha');
  betaKey = await server.key([{ space: 'beta' }], 'beta');
  bothKey = await server.key([{ space: 'alpha' }, { space: 'beta' }], 'alpha');
});
afterAll(async () => server.close());

describe('mem0ai 3.x MemoryClient', () => {
  it('adds, searches, lists, gets, updates, shows history, deletes and lists users', async () => {
    const c = client(alphaKey);
    const added = (await c.add(
      [
        { role: 'user', content: 'I drink green tea every morning' },
        { role: 'assistant', content: 'Green tea is a fine habit' },
      ],
      { userId: 'ada', metadata: { topic: 'drinks' }, infer: false },
    )) as unknown as { results: Json[]; inference: string };
    expect(added.inference).toBe('off');
    expect(added.results.map((r) => [r['event'], r['memory']])).toEqual([
      ['ADD', 'I drink green tea every morning'],
      ['ADD', 'Green tea is a fine habit'],
    ]);
    const teaId = added.results[0]!['id'] as string;

    // infer defaults to true; without an LLM the messages are stored as they are, and the answer says so.
    const plain = (await c.add([{ role: 'user', content: 'I play chess on Sundays' }], { userId: 'ada' })) as unknown as Json;
    expect(plain).toMatchObject({ inference: 'unavailable', warning: expect.stringContaining('MEMSPACE_LLM_BASE_URL') });

    const found = await c.search('green tea', { filters: { user_id: 'ada' }, topK: 1 });
    expect(found.results).toHaveLength(1);
    expect(found.results[0]).toMatchObject({ id: teaId, memory: 'I drink green tea every morning', userId: 'ada', metadata: { topic: 'drinks', role: 'user' } });
    expect(typeof found.results[0]!.score).toBe('number');

    const page = await c.getAll({ filters: { user_id: 'ada' }, page: 1, pageSize: 2 });
    expect(page.count).toBe(3);
    expect(page.results).toHaveLength(2);
    expect(page.next).toContain('page=2');
    expect(page.previous).toBeNull();

    const one = await c.get(teaId);
    expect(one).toMatchObject({ id: teaId, memory: 'I drink green tea every morning', userId: 'ada', categories: [], appId: null });
    expect(one.hash).toMatch(/^[0-9a-f]{32}$/);

    const updated = (await c.update(teaId, { text: 'I drink black tea every morning', metadata: { topic: 'tea' } })) as unknown as Json;
    expect(updated).toMatchObject({ id: teaId, memory: 'I drink black tea every morning', metadata: { topic: 'tea' } });

    const history = await c.history(teaId);
    expect(history.map((h) => [h.event, h.oldMemory, h.newMemory])).toEqual([
      ['ADD', null, 'I drink green tea every morning'],
      ['UPDATE', 'I drink green tea every morning', 'I drink black tea every morning'],
    ]);
    expect(history[0]).toMatchObject({ memoryId: teaId, userId: 'ada' });

    expect(await c.delete(teaId)).toEqual({ message: 'Memory deleted successfully!' });
    await expect(c.get(teaId)).rejects.toMatchObject({ name: 'MemoryNotFoundError', message: expect.stringContaining('NOT_FOUND') });
    expect((await c.history(teaId)).map((h) => h.event)).toEqual(['ADD', 'UPDATE', 'DELETE']);

    const users = await c.users();
    expect(users.results).toContainEqual(expect.objectContaining({ name: 'ada', type: 'user', totalMemories: 2 }));

    expect(await c.deleteAll({ userId: 'ada' })).toMatchObject({ message: 'Memories deleted successfully!', deleted: 2 });
    expect((await c.getAll({ filters: { user_id: 'ada' } })).count).toBe(0);
  });

  it('translates mem0 filters: AND, OR, NOT, metadata, categories and created_at', async () => {
    const c = client(alphaKey);
    const add = async (content: string, userId: string, metadata: Json): Promise<void> => {
      await c.add([{ role: 'user', content }], { userId, metadata, infer: false });
    };
    await add('pasta with basil', 'fil', { topic: 'food', stars: 5 });
    await add('pizza with olives', 'fil', { topic: 'food', stars: 2 });
    await add('hiking in the alps', 'fil', { topic: 'travel', stars: 4 });
    await add('pasta in rome', 'other', { topic: 'food', stars: 5 });
    const memories = async (filters: Json): Promise<string[]> => (await c.getAll({ filters })).results.map((m) => m.memory!).sort();

    expect(await memories({ AND: [{ user_id: 'fil' }, { metadata: { topic: 'food' } }] })).toEqual(['pasta with basil', 'pizza with olives']);
    expect(await memories({ AND: [{ user_id: 'fil' }, { OR: [{ metadata: { topic: 'travel' } }, { metadata: { stars: { gte: 5 } } }] }] })).toEqual(['hiking in the alps', 'pasta with basil']);
    expect(await memories({ AND: [{ user_id: { in: ['fil', 'other'] } }, { NOT: [{ metadata: { topic: 'food' } }] }] })).toEqual(['hiking in the alps']);
    expect(await memories({ user_id: 'fil', created_at: { gte: '2000-01-01' } })).toHaveLength(3);
    expect(await memories({ user_id: 'fil', created_at: { gte: '2999-01-01' } })).toEqual([]);
    expect(await memories({ user_id: 'fil', categories: { contains: 'none-such' } })).toEqual([]);
    const searched = await c.search('pasta', { filters: { AND: [{ user_id: '*' }, { metadata: { stars: 5 } }] } });
    expect(searched.results.map((m) => m.memory).sort()).toEqual(['pasta in rome', 'pasta with basil']);

    await expect(c.getAll({ filters: { user_id: { icontains: 'FIL' } } })).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/VALIDATION_FAILED.*icontains/) });
    await expect(c.search('x', { filters: { app_id: 'web' } })).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringContaining('no app scope') });
    await expect(c.search('x', { filters: { keywords: 'pasta' } })).rejects.toMatchObject({ message: expect.stringContaining('unsupported filter field') });
    await expect(c.getAll({ filters: { metadata: { stars: { between: [1, 2] } } } })).rejects.toMatchObject({ message: expect.stringContaining('unsupported operator') });
    await c.deleteAll({ userId: 'fil' });
    await c.deleteAll({ userId: 'other' });
  });

  it('selects the space from a user/namespace user id, when the key may see it', async () => {
    const c = client(bothKey);
    const added = (await c.add([{ role: 'user', content: 'carol likes sailing' }], { userId: 'carol/beta', infer: false })) as unknown as { results: Json[] };
    const id = added.results[0]!['id'] as string;
    const inBeta = await server.ms.memories.get('beta', id);
    expect(inBeta).toMatchObject({ userId: 'carol', content: 'carol likes sailing' });
    await expect(server.ms.memories.get('alpha', id)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    expect((await c.search('sailing', { filters: { user_id: 'carol/beta' } })).results.map((m) => m.id)).toEqual([id]);
    // Without a namespace, the key's default space: alpha's own carol memory, never beta's.
    const inAlpha = ((await c.add([{ role: 'user', content: 'carol likes sailing in alpha' }], { userId: 'carol', infer: false })) as unknown as { results: Json[] }).results[0]!['id'] as string;
    expect((await c.search('sailing', { filters: { user_id: 'carol' } })).results.map((m) => m.id)).toEqual([inAlpha]);
    await c.delete(inAlpha);
    expect((await c.getAll({ filters: { OR: [{ user_id: 'carol/beta' }, { user_id: 'dave' }] } })).results.map((m) => m.id)).toEqual([id]);

    // A space the key cannot see and one that does not exist answer the same.
    const hidden = c.getAll({ filters: { user_id: 'carol/secret' } });
    await expect(hidden).rejects.toMatchObject({ name: 'MemoryNotFoundError', message: expect.stringContaining('"code":"SPACE_NOT_FOUND"') });
    const missing = c.getAll({ filters: { user_id: 'carol/nosuch' } });
    await expect(missing).rejects.toMatchObject({ name: 'MemoryNotFoundError', message: expect.stringContaining('"code":"SPACE_NOT_FOUND"') });
    await expect(c.add([{ role: 'user', content: 'x' }], { userId: 'carol/secret', infer: false })).rejects.toMatchObject({ message: expect.stringContaining('SPACE_NOT_FOUND') });
    expect(await server.ms.memories.list('secret')).toMatchObject({ items: [] });

    // Two namespaces, or a namespace against the header, are a conflict; a bad name is invalid.
    await expect(c.getAll({ filters: { OR: [{ user_id: 'a/alpha' }, { user_id: 'b/beta' }] } })).rejects.toMatchObject({ message: expect.stringContaining('SPACE_CONFLICT') });
    await expect(client(bothKey, 'alpha').getAll({ filters: { user_id: 'carol/beta' } })).rejects.toMatchObject({ message: expect.stringContaining('SPACE_CONFLICT') });
    await expect(c.getAll({ filters: { user_id: 'carol/..' } })).rejects.toMatchObject({ message: expect.stringContaining('INVALID_SPACE') });

    expect(await c.deleteAll({ userId: 'carol/beta' })).toMatchObject({ deleted: 1 });
  });

  it('keeps spaces isolated whether the space comes from the key, the header or a namespace', async () => {
    const owner = client(alphaKey);
    const added = (await owner.add([{ role: 'user', content: 'the vault code is 4711' }], { userId: 'eve', infer: false })) as unknown as { results: Json[] };
    const id = added.results[0]!['id'] as string;

    const attackers = [client(betaKey), client(betaKey, 'beta'), client(server.root, 'beta')];
    for (const b of attackers) {
      // Beta's own eve memory, a look-alike: beta's answers hold it and nothing of alpha's.
      const planted = (await b.add([{ role: 'user', content: 'the vault code in beta is 9999' }], { userId: 'eve', infer: false })) as unknown as { results: Json[] };
      const own = planted.results[0]!['id'] as string;
      await expect(b.get(id)).rejects.toMatchObject({ name: 'MemoryNotFoundError' });
      await expect(b.update(id, { text: 'the vault code is 0000' })).rejects.toMatchObject({ name: 'MemoryNotFoundError' });
      await expect(b.history(id)).rejects.toMatchObject({ name: 'MemoryNotFoundError' });
      await expect(b.delete(id)).rejects.toMatchObject({ name: 'MemoryNotFoundError' });
      expect((await b.search('vault code', { filters: { user_id: 'eve' } })).results.map((m) => [m.id, m.memory])).toEqual([[own, 'the vault code in beta is 9999']]);
      expect((await b.getAll({ filters: { user_id: 'eve' } })).results.map((m) => m.id)).toEqual([own]);
      expect((await b.users()).results.filter((u) => u.name === 'eve')).toEqual([expect.objectContaining({ type: 'user', totalMemories: 1 })]);
      expect(await b.deleteAll({ userId: 'eve' })).toMatchObject({ deleted: 1 }); // its own, not alpha's
    }
    // A key for beta naming alpha, by header or namespace, learns nothing: alpha "does not exist".
    const named = client(betaKey, 'alpha');
    await expect(named.get(id)).rejects.toMatchObject({ message: expect.stringContaining('SPACE_NOT_FOUND') });
    await expect(named.delete(id)).rejects.toMatchObject({ message: expect.stringContaining('SPACE_NOT_FOUND') });
    await expect(client(betaKey).getAll({ filters: { user_id: 'eve/alpha' } })).rejects.toMatchObject({ message: expect.stringContaining('SPACE_NOT_FOUND') });
    await expect(client(betaKey).deleteAll({ userId: 'eve/alpha' })).rejects.toMatchObject({ message: expect.stringContaining('SPACE_NOT_FOUND') });

    expect(await owner.get(id)).toMatchObject({ memory: 'the vault code is 4711' });
    expect((await owner.history(id)).map((h) => h.event)).toEqual(['ADD']);
    // The refusals are in alpha's audit trail.
    const denied = await server.ms.spaces.audit('alpha', { action: 'request.denied' });
    expect(denied.items.length).toBeGreaterThanOrEqual(4);
    await owner.delete(id);
  });

  it('gives clear errors for bad keys, roles and input', async () => {
    await expect(client('msk_not-a-key').getAll({ filters: { user_id: 'x' } })).rejects.toMatchObject({ name: 'AuthenticationError', message: expect.stringContaining('UNAUTHENTICATED') });
    const reader = client(await server.key([{ space: 'alpha' }], 'alpha', 'read'));
    await expect(reader.add([{ role: 'user', content: 'hello' }], { userId: 'r', infer: false })).rejects.toMatchObject({ name: 'AuthenticationError', message: expect.stringContaining('FORBIDDEN') });
    const c = client(alphaKey);
    await expect(c.add([{ role: 'user', content: 'no owner' }], { infer: false })).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringContaining('user_id, agent_id or run_id') });
    await expect(c.add([{ role: 'user', content: 'then' }], { userId: 'u', timestamp: 1_700_000_000 })).rejects.toMatchObject({ message: expect.stringMatching(/timestamp.*not supported/) });
    await expect(c.add([{ role: 'user', content: 'x' }], { appId: 'web', userId: 'u' })).rejects.toMatchObject({ message: expect.stringContaining('no app scope') });
    await expect(c.add([{ role: 'user', content: { type: 'image_url', image_url: { url: 'http://x/y.png' } } }], { userId: 'u' })).rejects.toMatchObject({ message: expect.stringContaining('multimodal') });
    await expect(c.search('x', { topK: 0 })).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(c.update('01900000-0000-7000-8000-000000000000', { text: 'x' })).rejects.toMatchObject({ name: 'MemoryNotFoundError' });
    await expect(c.deleteAll({})).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringContaining('never empties a whole space') });
    await expect(client(alphaKey, '..').getAll({})).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringContaining('INVALID_SPACE') });
  });
});

describe('the mem0 routes over HTTP', () => {
  const call = async (method: string, path: string, body?: unknown, key = alphaKey): Promise<{ status: number; body: Json }> => {
    const r = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Token ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: r.status, body: (await r.json()) as Json };
  };

  it('answers the ping, and errors in memspace shape plus mem0 detail', async () => {
    expect(await call('GET', '/v1/ping/')).toEqual({ status: 200, body: { status: 'ok', message: expect.any(String), default_space: 'alpha' } });
    const unauthenticated = await fetch(`${server.url}/v1/ping/`);
    expect(unauthenticated.status).toBe(401);
    expect(await unauthenticated.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) }, detail: expect.any(String) });
    const unknown = await call('POST', '/v3/memories/search/', { query: 'x', surprise: true });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { issues: [expect.objectContaining({ message: expect.stringContaining('surprise') })] } }, detail: expect.any(String) });
    const broken = await fetch(`${server.url}/v3/memories/search/`, { method: 'POST', headers: { authorization: `Token ${alphaKey}`, 'content-type': 'application/json' }, body: '{"query":' });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', message: 'the body is not valid JSON' } });
  });

  it('leaves memspace routes without trailing slashes as they were', async () => {
    const ours = await call('POST', '/v1/memories', { content: 'native memory', userId: 'n' });
    expect(ours.status).toBe(201);
    expect(ours.body).toMatchObject({ content: 'native memory', userId: 'n' });
    const theirs = await call('GET', `/v1/memories/${ours.body['id'] as string}/`);
    expect(theirs.body).toMatchObject({ memory: 'native memory', user_id: 'n' });
    expect((await call('GET', `/v1/memories/${ours.body['id'] as string}`)).body).toMatchObject({ content: 'native memory' });
    expect((await call('GET', '/v1/memories?userId=n')).body).toMatchObject({ items: [expect.objectContaining({ content: 'native memory' })] });
    expect((await call('GET', '/v1/memories/?user_id=n')).body).toEqual([expect.objectContaining({ memory: 'native memory' })]);
    expect((await call('DELETE', `/v1/memories/${ours.body['id'] as string}/`)).status).toBe(200);
  });
});
