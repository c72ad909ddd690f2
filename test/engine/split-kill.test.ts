import { afterAll, describe, expect, it } from 'vitest';
import { checksumOf, memoryLine } from '../../src/core/space-split.js';
import type { MemspaceEngine } from '../../src/memspace.js';
import { killChildren, spawnLineChild } from '../support/line-child.js';
import { tempDir, tempMemspace } from '../support/temp-memspace.js';

/*
 * kill -9 in the middle of a split, at several points: a child process runs the split on a
 * data directory and kills itself (SIGKILL) at its Nth step (a batch copied, the copy about to
 * be verified, a batch removed from the source), and the same split is started again until a
 * run goes to the end. Afterwards every memory is in exactly one space, the right one, with the
 * same canonical lines (checksum) as before; the source holds only the memories of no group.
 */

const DIM = 8;
const GROUPS = ['alpha', 'beta'];
const PER_GROUP = 250; // two copy batches and two removal batches per group
const SOURCE = 'mixed';

afterAll(() => killChildren());

/** Canonical lines of every memory of a space, by id. */
async function linesOf(ms: MemspaceEngine, space: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let after: number | null = 0;
  while (after !== null) {
    const from: number = after;
    const page = await ms.registry.use(space, ({ store }) => store.dump('memories', from, 500));
    for (const m of page.chunk.memories ?? []) out.set(m.id, memoryLine(m, true));
    after = page.next;
  }
  return out;
}

describe('a split killed at several points', () => {
  it('is finished by running it again: every memory exactly once, checksums equal, the source left with the ungrouped', { timeout: 240_000 }, async () => {
    const dataDir = tempDir();
    const setup = await tempMemspace({ dataDir });
    await setup.spaces.create({ name: SOURCE, embedder: 'none', dimension: DIM });
    const vector = (i: number): number[] => Array.from({ length: DIM }, (_, k) => Math.sin(i * 7 + k));
    for (const [g, group] of GROUPS.entries()) {
      const added = await setup.memories.addMany(
        SOURCE,
        Array.from({ length: PER_GROUP }, (_, i) => ({ content: `${group} fact ${i}`, tags: [`ds:${group}`], embedding: vector(g * 1000 + i) })),
      );
      // A relation inside each group, which must survive every kill.
      await setup.memories.relate(SOURCE, { from: added[0]!.id, to: added[1]!.id, type: 'next' });
    }
    await setup.memories.addMany(SOURCE, Array.from({ length: 20 }, (_, i) => ({ content: `loose ${i}`, embedding: vector(9000 + i) })));
    const before = await linesOf(setup, SOURCE);
    const expected = new Map(GROUPS.map((g) => [g, [...before].filter(([, line]) => line.includes(`"ds:${g}"`))]));
    await setup.close();

    // Runs are killed at their 4th, 3rd, 5th, 4th, ... step (the steps before it committed) until one
    // finishes: with batches of 200, the kills land on a verification, a copy, then a removal.
    const phases = new Set<string>();
    let kills = 0;
    for (;;) {
      const killAt = [4, 3, 5][kills % 3]!;
      const child = spawnLineChild(new URL('./split-kill-child.ts', import.meta.url), [dataDir, SOURCE, String(killAt)]);
      await child.ready;
      const exit = await child.closed;
      if (exit.signal === null) {
        expect(exit.code, exit.stderr).toBe(0);
        break;
      }
      expect(exit.signal, exit.stderr).toBe('SIGKILL');
      phases.add(new RegExp(`^step ${killAt} (\\w+)`).exec(child.lines.at(-1) ?? '')?.[1] ?? 'none');
      kills += 1;
      expect(kills).toBeLessThan(30);
    }
    expect(kills).toBeGreaterThanOrEqual(3);
    expect([...phases]).toEqual(expect.arrayContaining(['copying', 'removing', 'verifying']));

    const ms = await tempMemspace({ dataDir });
    try {
      const seen = new Map<string, string>();
      for (const space of [SOURCE, ...GROUPS]) {
        for (const id of (await linesOf(ms, space)).keys()) {
          expect(seen.get(id), `memory ${id} in ${space} and ${seen.get(id)}`).toBeUndefined();
          seen.set(id, space);
        }
      }
      expect(seen.size).toBe(before.size);
      const source = await linesOf(ms, SOURCE);
      expect(source.size).toBe(20);
      for (const line of source.values()) expect(line).toContain('loose');
      for (const group of GROUPS) {
        const moved = await linesOf(ms, group);
        expect([...moved.keys()].sort()).toEqual(expected.get(group)!.map(([id]) => id).sort());
        expect(checksumOf([...moved.values()])).toBe(checksumOf(expected.get(group)!.map(([, line]) => line)));
        const relations = await ms.registry.use(group, ({ store }) => store.stats());
        expect(relations.relations).toBe(1);
        expect(await ms.spaces.verifyAudit(group)).toMatchObject({ ok: true });
      }
      expect(await ms.spaces.verifyAudit(SOURCE)).toMatchObject({ ok: true });
      // The first run to get past its copies recorded the whole split; runs after it, what was left.
      const audit = await ms.spaces.audit(SOURCE, { action: 'space.split' });
      expect(audit.items[0]?.details).toMatchObject({ groups: GROUPS.map((g) => ({ value: `ds:${g}`, space: g, memories: PER_GROUP, relations: 1 })), ungrouped: 20 });
    } finally {
      await ms.cleanup();
    }
  });
});
