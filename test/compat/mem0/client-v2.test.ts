import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mem0Clients, startMem0Server, type Mem0Server } from './harness.js';

/** The `mem0ai` 2.x MemoryClient (v1 and v2 endpoints, snake_case answers) against memspace. */
let server: Mem0Server;
let MemoryClient: Awaited<ReturnType<typeof mem0Clients>>['v2'];
let alphaKey: string;
let betaKey: string;
type Json = Record<string, unknown>;
type Client = InstanceType<typeof MemoryClient>;
const client = (apiKey: string, space?: string): Client => {
  const c = new MemoryClient({ apiKey, host: server.url });
  if (space !== undefined) c.headers['X-Memory-Space'] = space;
  return c;
};
// The 2.x typings describe mem0's hosted answers loosely; these tests check the wire shapes.
const json = <T = Json>(value: unknown): T => value as T;
/** A bare string as messages: mem0 takes it as one user message, though the 2.x typings want an array. */
const bare = (text: string): never => text as never;

beforeAll(async () => {
  ({ v2: MemoryClient } = await mem0Clients());
  server = await startMem0Server({ spaces: ['alpha', 'beta'] });
  alphaKey = await server.key([{ space: 'alpha' }], 'alpha');
  betaKey = await server.key([{ space: 'beta' }], 'beta');
});
afterAll(async () => server.close());

describe('mem0ai 2.x MemoryClient', () => {
  it('works through the v1 endpoints: add, search, getAll, get, update, history, delete, deleteAll, users', async () => {
    const c = client(alphaKey);
    const added = json<{ results: Json[]; inference: string }>(
      await c.add([{ role: 'user', content: 'Lin rides a red bicycle to work' }], { user_id: 'lin', agent_id: 'coach', metadata: { topic: 'commute' }, infer: false }),
    );
    expect(added.results).toEqual([{ id: expect.any(String), memory: 'Lin rides a red bicycle to work', event: 'ADD' }]);
    const id = added.results[0]!['id'] as string;
    const legacy = json<Json[]>(await c.add(bare('Lin owns a blue kayak'), { user_id: 'lin', infer: false, output_format: 'v1.0' }));
    expect(legacy).toEqual([{ id: expect.any(String), memory: 'Lin owns a blue kayak', event: 'ADD', data: { memory: 'Lin owns a blue kayak' } }]);

    const hits = json<Json[]>(await c.search('red bicycle', { user_id: 'lin', limit: 1 }));
    expect(hits).toEqual([expect.objectContaining({ id, memory: 'Lin rides a red bicycle to work', user_id: 'lin', agent_id: 'coach', score: expect.any(Number) })]);
    expect(json<{ results: Json[] }>(await c.search('red bicycle', { user_id: 'lin', output_format: 'v1.1' })).results.length).toBe(2);
    const v2hits = json<Json[]>(await c.search('kayak', { api_version: 'v2', filters: { AND: [{ user_id: 'lin' }, { agent_id: 'coach' }] } }));
    expect(v2hits.map((m) => m['id'])).toEqual([id]);

    expect(json<Json[]>(await c.getAll({ user_id: 'lin' })).map((m) => m['memory']).sort()).toEqual(['Lin owns a blue kayak', 'Lin rides a red bicycle to work']);
    expect(json<Json[]>(await c.getAll({ agent_id: 'coach' })).map((m) => m['id'])).toEqual([id]);
    const paged = json<Json>(await c.getAll({ user_id: 'lin', page: 2, page_size: 1 }));
    expect(paged).toMatchObject({ count: 2, next: null, previous: expect.stringContaining('page=1'), results: [expect.any(Object)] });
    const v2list = json<Json>(await c.getAll({ api_version: 'v2', filters: { user_id: 'lin' }, page: 1, page_size: 10 }));
    expect(v2list).toMatchObject({ count: 2, results: expect.any(Array) });
    expect(json<Json[]>(await c.getAll({ api_version: 'v2', filters: { metadata: { topic: 'commute' } } })).map((m) => m['id'])).toEqual([id]);

    expect(json<Json>(await c.get(id))).toMatchObject({ id, memory: 'Lin rides a red bicycle to work', metadata: { topic: 'commute', role: 'user' }, created_at: expect.any(String) });
    expect(json<Json>(await c.update(id, { text: 'Lin rides an e-bike to work' }))).toMatchObject({ id, memory: 'Lin rides an e-bike to work' });
    const history = json<Json[]>(await c.history(id));
    expect(history.map((h) => [h['event'], h['old_memory'], h['new_memory']])).toEqual([
      ['ADD', null, 'Lin rides a red bicycle to work'],
      ['UPDATE', 'Lin rides a red bicycle to work', 'Lin rides an e-bike to work'],
    ]);
    expect(history[1]).toMatchObject({ memory_id: id, user_id: 'lin' });

    const users = json<{ count: number; results: Json[] }>(await c.users());
    expect(users.results).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'lin', type: 'user', total_memories: 2 }), expect.objectContaining({ name: 'coach', type: 'agent', total_memories: 1 })]),
    );

    expect(await c.delete(id)).toEqual({ message: 'Memory deleted successfully!' });
    await expect(c.get(id)).rejects.toMatchObject({ name: 'MemoryNotFoundError' });
    expect(await c.deleteAll({ user_id: 'lin' })).toMatchObject({ deleted: 1 });
    expect(json<Json[]>(await c.getAll({ user_id: 'lin' }))).toEqual([]);
  });

  it('deletes entities (deleteUsers) within its own space only', async () => {
    const a = client(alphaKey);
    const b = client(betaKey);
    await a.add(bare('Max keeps bees'), { user_id: 'max', infer: false });
    await b.add(bare('Max keeps goats'), { user_id: 'max', infer: false });
    expect(await b.deleteUsers({ user_id: 'max' })).toEqual({ message: 'Entity deleted successfully.' });
    expect(json<Json[]>(await b.getAll({ user_id: 'max' }))).toEqual([]);
    expect(json<Json[]>(await a.getAll({ user_id: 'max' })).map((m) => m['memory'])).toEqual(['Max keeps bees']);
    await expect(b.deleteUsers({ app_id: 'web' })).rejects.toThrow(/Failed to delete app web/);
    await a.deleteAll({ user_id: 'max' });
  });

  it('keeps spaces isolated', async () => {
    const owner = client(alphaKey);
    const added = json<{ results: Json[] }>(await owner.add(bare('the alpha launch date is May 3'), { user_id: 'zed', infer: false }));
    const id = added.results[0]!['id'] as string;
    for (const b of [client(betaKey), client(server.root, 'beta')]) {
      // Beta's own zed memory, a look-alike: beta's answers hold it and nothing of alpha's.
      const own = json<{ results: Json[] }>(await b.add(bare('the beta launch date is June 9'), { user_id: 'zed', infer: false })).results[0]!['id'] as string;
      await expect(b.get(id)).rejects.toMatchObject({ name: 'MemoryNotFoundError' });
      await expect(b.update(id, { text: 'changed' })).rejects.toMatchObject({ name: 'MemoryNotFoundError' });
      await expect(b.delete(id)).rejects.toMatchObject({ name: 'MemoryNotFoundError' });
      await expect(b.history(id)).rejects.toMatchObject({ name: 'MemoryNotFoundError' });
      expect(json<Json[]>(await b.search('launch date', { user_id: 'zed' })).map((m) => [m['id'], m['memory']])).toEqual([[own, 'the beta launch date is June 9']]);
      expect(json<Json[]>(await b.getAll({ user_id: 'zed' })).map((m) => m['id'])).toEqual([own]);
      expect(json<Json>(await b.get(own))).toMatchObject({ memory: 'the beta launch date is June 9' });
      expect(await b.deleteAll({ user_id: 'zed' })).toMatchObject({ deleted: 1 }); // its own, not alpha's
    }
    await expect(client(betaKey, 'alpha').getAll({ user_id: 'zed' })).rejects.toMatchObject({ message: expect.stringContaining('SPACE_NOT_FOUND') });
    await expect(client(betaKey).search('launch', { user_id: 'zed/alpha' })).rejects.toMatchObject({ message: expect.stringContaining('SPACE_NOT_FOUND') });
    expect(json<Json>(await owner.get(id))).toMatchObject({ memory: 'the alpha launch date is May 3' });
    await owner.deleteAll({ user_id: 'zed' });
  });

  it('accepts the org and project ids the client adds, and rejects what memspace cannot do', async () => {
    const c = client(alphaKey);
    expect(json<Json[]>(await c.getAll({ user_id: 'nobody', org_id: 'org', project_id: 'proj' }))).toEqual([]);
    await expect(c.add(bare('x'), { user_id: 'u', enable_graph: true })).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringContaining('enable_graph') });
    await expect(c.add(bare('x'), { user_id: 'u', custom_categories: [{ food: 'about food' }] })).rejects.toMatchObject({ message: expect.stringContaining('custom_categories') });
    await expect(c.search('x', { user_id: 'u', filters: { created_at: { gte: 'yesterday' } } })).rejects.toMatchObject({ message: expect.stringContaining('created_at') });
  });
});
