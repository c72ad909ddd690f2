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
  for (const name of ['alpha', 'beta']) {
    await ms.spaces.create({ name, embedder: 'none', dimension: DIM });
    // Data in the spaces that must survive a neighbour's deletion byte for byte.
    await ms.memories.addMany(name, Array.from({ length: 20 }, (_, i) => ({ id: `shared-${i}`, content: `${name} memory ${i}`, embedding: v(i) })));
  }
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

describe('isolation between spaces (embedded files)', () => {
  // Every engine behaviour of isolation, on every backend, is in test/conformance/specs/isolation.ts;
  // these tests look at the files of the embedded backend.
  it('reaches one directory for every case variant of a name', async () => {
    const s = ms;
    await s.spaces.create({ name: 'team', embedder: 'none', dimension: DIM });
    await expect(s.spaces.create({ name: 'Team', embedder: 'none', dimension: DIM })).rejects.toThrowError(code('CONFLICT'));
    await s.memories.add('TEAM', { content: 'case-insensitive', embedding: v(1) });
    expect(readdirSync(join(ms.dataDir, 'spaces')).filter((d) => d.toLowerCase() === 'team')).toEqual(['team']);
  });

  it('deleting a space removes its directory and leaves every other byte alone', async () => {
    const s = ms;
    await s.spaces.create({ name: 'doomed', embedder: 'none', dimension: DIM });
    await s.memories.addMany('doomed', Array.from({ length: 50 }, (_, i) => ({ content: `doomed ${i}`, embedding: v(i) })));
    await ms.registry.close(); // settle every open database so the snapshot is stable
    const before = snapshot(join(ms.dataDir, 'spaces'));
    const doomedDir = join(ms.dataDir, 'spaces', 'doomed');
    await s.spaces.delete('DOOMED');
    expect(() => statSync(doomedDir)).toThrow();
    const after = snapshot(join(ms.dataDir, 'spaces'));
    const expected = new Map([...before].filter(([p]) => !p.startsWith(doomedDir + '/')));
    expect([...after.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [p, bytes] of expected) expect(after.get(p)!.equals(bytes), p).toBe(true);
  });

  it('gives every space its own directory and database file', async () => {
    const dirs = readdirSync(join(ms.dataDir, 'spaces'));
    expect(dirs).toEqual(expect.arrayContaining(['alpha', 'beta', 'default']));
    for (const d of ['alpha', 'beta']) expect(statSync(join(ms.dataDir, 'spaces', d, 'space.db')).isFile()).toBe(true);
  });
});
