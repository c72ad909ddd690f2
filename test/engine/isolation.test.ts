import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axisVector, tempMemspace } from '../support/temp-memspace.js';

const DIM = 8;
const v = (axis: number): number[] => axisVector(DIM, axis);
const code = (c: string) => expect.objectContaining({ code: c });
let ms: Awaited<ReturnType<typeof tempMemspace>>;

beforeAll(async () => {
  ms = await tempMemspace();
  for (const name of ['alpha', 'beta']) await ms.service.createSpace({ name, embedder: 'none', dimension: DIM });
});
afterAll(async () => ms.cleanup());

/** Every file under `dir` with its bytes, for byte-level comparisons. */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(p, readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

describe('isolation between spaces (engine)', () => {
  it('keeps the same ids and identical texts apart', async () => {
    const s = ms.service;
    await s.addMemory('alpha', { id: 'shared-id', content: 'the launch code is 1234', embedding: v(1), userId: 'u1', tags: ['secret'] });
    await s.addMemory('beta', { id: 'shared-id', content: 'the launch code is 1234', embedding: v(1), userId: 'u1', tags: ['secret'] });
    await s.updateMemory('beta', 'shared-id', { content: 'beta changed its copy', embedding: v(2) });
    expect((await s.getMemory('alpha', 'shared-id')).content).toBe('the launch code is 1234');
    expect((await s.history('alpha', 'shared-id')).map((h) => h.action)).toEqual(['create']);
    await s.deleteMemory('beta', 'shared-id');
    expect((await s.getMemory('alpha', 'shared-id')).content).toBe('the launch code is 1234');
  });

  it("answers NOT_FOUND for every operation on another space's id", async () => {
    const s = ms.service;
    const a = await s.addMemory('alpha', { content: 'only in alpha', embedding: v(3) });
    const a2 = await s.addMemory('alpha', { content: 'also only in alpha', embedding: v(4) });
    const rel = await s.addRelation('alpha', { from: a.id, to: a2.id, type: 'linked' });
    const b = await s.addMemory('beta', { content: 'in beta', embedding: v(3) });

    await expect(s.getMemory('beta', a.id)).rejects.toThrowError(code('NOT_FOUND'));
    await expect(s.updateMemory('beta', a.id, { content: 'hijack', embedding: v(1) })).rejects.toThrowError(code('NOT_FOUND'));
    await expect(s.deleteMemory('beta', a.id)).rejects.toThrowError(code('NOT_FOUND'));
    await expect(s.history('beta', a.id)).rejects.toThrowError(code('NOT_FOUND'));
    await expect(s.listRelations('beta', a.id)).rejects.toThrowError(code('NOT_FOUND'));
    await expect(s.deleteRelation('beta', rel.id)).rejects.toThrowError(code('NOT_FOUND'));
    // An edge from beta to alpha's memory, either way round, is impossible by construction.
    await expect(s.addRelation('beta', { from: b.id, to: a.id, type: 'leak' })).rejects.toThrowError(code('NOT_FOUND'));
    await expect(s.addRelation('beta', { from: a.id, to: b.id, type: 'leak' })).rejects.toThrowError(code('NOT_FOUND'));
    // Delete-by-filter naming alpha's id from beta deletes nothing anywhere.
    expect((await s.deleteMemories('beta', { id: { in: [a.id, a2.id] } })).deleted).toBe(0);
    expect((await s.getMemory('alpha', a.id)).content).toBe('only in alpha');
    expect((await s.listRelations('alpha', a.id)).map((r) => r.id)).toEqual([rel.id]);
  });

  it('never returns another space in search, list or expand, in any mode', async () => {
    const s = ms.service;
    await s.addMemory('alpha', { content: 'zebra migration across the serengeti', embedding: v(6), tags: ['zebra'] });
    for (const mode of ['vector', 'keyword', 'hybrid'] as const) {
      const { results } = await s.search('beta', { query: 'zebra serengeti', embedding: v(6), mode, limit: 100, expand: true });
      expect(results.every((r) => !r.memory.content.includes('zebra') && !r.memory.content.includes('alpha'))).toBe(true);
    }
    const listed = await s.listMemories('beta', { limit: 1000 });
    expect(listed.items.some((m) => m.content.includes('alpha') || m.content.includes('zebra'))).toBe(false);
    expect((await s.listMemories('beta', { tags: ['zebra'] })).items).toEqual([]);
  });

  it('rejects hostile and look-alike space names on every operation', async () => {
    const s = ms.service;
    const hostile = ['../alpha', 'alpha/../beta', 'a/b', '%2e%2e', 'alpha\u0000', '.', '..', 'x'.repeat(65), 'аlpha', '', ' alpha'];
    for (const name of hostile) {
      const label = JSON.stringify(name);
      await expect(s.createSpace({ name, embedder: 'none', dimension: DIM }), label).rejects.toThrowError(code('INVALID_SPACE'));
      await expect(s.addMemory(name, { content: 'x', embedding: v(1) }), label).rejects.toThrowError(code('INVALID_SPACE'));
      await expect(s.search(name, { embedding: v(1) }), label).rejects.toThrowError(code('INVALID_SPACE'));
      await expect(s.listMemories(name), label).rejects.toThrowError(code('INVALID_SPACE'));
      await expect(s.deleteSpace(name), label).rejects.toThrowError(code('INVALID_SPACE'));
      await expect(s.getSpace(name), label).rejects.toThrowError(code('INVALID_SPACE'));
    }
    await s.createSpace({ name: 'team', embedder: 'none', dimension: DIM });
    await expect(s.createSpace({ name: 'Team', embedder: 'none', dimension: DIM })).rejects.toThrowError(code('CONFLICT'));
    await expect(s.createSpace({ name: 'TEAM', embedder: 'none', dimension: DIM })).rejects.toThrowError(code('CONFLICT'));
    // Case variants reach the one space that exists, never a second one on disk.
    await s.addMemory('TEAM', { content: 'case-insensitive', embedding: v(1) });
    expect((await s.listMemories('team')).items.map((m) => m.content)).toEqual(['case-insensitive']);
    expect(readdirSync(join(ms.dataDir, 'spaces')).filter((d) => d.toLowerCase() === 'team')).toEqual(['team']);
  });

  it('deleting a space removes its directory and leaves every other byte alone', async () => {
    const s = ms.service;
    await s.createSpace({ name: 'doomed', embedder: 'none', dimension: DIM });
    await s.addMemories('doomed', Array.from({ length: 50 }, (_, i) => ({ content: `doomed ${i}`, embedding: v(i) })));
    await ms.registry.close(); // settle every open database so the snapshot is stable
    const before = snapshot(join(ms.dataDir, 'spaces'));
    const doomedDir = join(ms.dataDir, 'spaces', 'doomed');
    await s.deleteSpace('DOOMED');
    expect(() => statSync(doomedDir)).toThrow();
    const after = snapshot(join(ms.dataDir, 'spaces'));
    const expected = new Map([...before].filter(([p]) => !p.startsWith(doomedDir + '/')));
    expect([...after.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [p, bytes] of expected) expect(after.get(p)!.equals(bytes), p).toBe(true);
    await expect(s.search('doomed', { embedding: v(1) })).rejects.toThrowError(code('SPACE_NOT_FOUND'));
    // A new space of the same name starts empty: nothing of the old one survives.
    await s.createSpace({ name: 'doomed', embedder: 'none', dimension: DIM });
    expect((await s.listMemories('doomed')).items).toEqual([]);
  });

  it('gives every space its own directory and database file', async () => {
    const dirs = readdirSync(join(ms.dataDir, 'spaces'));
    expect(dirs).toEqual(expect.arrayContaining(['alpha', 'beta', 'default']));
    for (const d of ['alpha', 'beta']) expect(statSync(join(ms.dataDir, 'spaces', d, 'space.db')).isFile()).toBe(true);
  });
});
