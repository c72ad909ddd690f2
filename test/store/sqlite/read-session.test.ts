import { describe, expect, it } from 'vitest';
import { MATCH_ALL } from '../../../src/core/filter.js';
import { ctx, memory, newStore } from './store-fixtures.js';

describe('sqlite read sessions', () => {
  it('keeps writes called during a session until after it, so its reads agree', async () => {
    const { store } = newStore();
    await store.insertMemories([memory('a'), memory('b')], ctx());
    const [a] = await store.getMemories(['a']);
    let update: Promise<void> | undefined;
    let remove: Promise<number> | undefined;
    const seen = await store.read(async (r) => {
      const before = await r.countMemories(MATCH_ALL);
      // Another caller's writes, started between two reads of the session.
      update = store.updateMemory({ ...a!, content: 'changed', updatedAt: 2_000 }, ctx(2_000));
      remove = store.deleteMemories(MATCH_ALL, ctx(3_000));
      const [after] = await r.getMemories(['a']);
      return { before, after: after?.content, count: await r.countMemories(MATCH_ALL) };
    });
    expect(seen).toEqual({ before: 2, after: 'content of a', count: 2 });
    await update;
    expect(await remove).toBe(2);
    expect(await store.countMemories(MATCH_ALL)).toBe(0);
    expect((await store.history('a')).map((h) => [h.action, h.newContent])).toEqual([
      ['create', 'content of a'],
      ['update', 'changed'],
      ['delete', null],
    ]);
  });

  it('writes at once when no session is open', async () => {
    const { store } = newStore();
    await store.insertMemories([memory('a')], ctx());
    const [a] = await store.getMemories(['a']);
    const update = store.updateMemory({ ...a!, content: 'now' }, ctx(2_000));
    // Not awaited yet: the write is already committed.
    expect((await store.getMemories(['a']))[0]?.content).toBe('now');
    await update;
  });
});
