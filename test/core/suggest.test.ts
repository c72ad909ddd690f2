import { describe, expect, it } from 'vitest';
import { closestName, editDistance, spaceArchivedMessage, spaceNotFoundMessage } from '../../src/core/suggest.js';
import type { SpaceRecord } from '../../src/core/types.js';
import { SpaceSuggestions, SUGGESTION_SCAN_LIMIT } from '../../src/engine/space-suggestions.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and swaps of neighbours', () => {
    expect(editDistance('work', 'work')).toBe(0);
    expect(editDistance('wrok', 'work')).toBe(1); // swap
    expect(editDistance('wor', 'work')).toBe(1);
    expect(editDistance('works', 'work')).toBe(1);
    expect(editDistance('worm', 'work')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('stops early past the bound, answering bound + 1', () => {
    expect(editDistance('abcdefgh', 'zyxwvuts', 2)).toBe(3);
    expect(editDistance('a', 'abcdefgh', 2)).toBe(3);
    expect(editDistance('wrok', 'work', 2)).toBe(1);
  });
});

describe('closestName', () => {
  it('finds a name within two edits, case-insensitively, as it was created', () => {
    expect(closestName('wrok', ['personal', 'Work'])).toBe('Work');
    expect(closestName('WORKSHP', ['workshop'])).toBe('workshop');
    expect(closestName('zzzz', ['work'])).toBeUndefined();
  });

  it('allows one edit only for names of three characters or fewer', () => {
    expect(closestName('ab', ['xy'])).toBeUndefined();
    expect(closestName('abc', ['axc'])).toBe('axc');
    expect(closestName('abc', ['xyc'])).toBeUndefined();
  });

  it('falls back to a name the asked one begins, from three characters, after every edit match', () => {
    expect(closestName('proj', ['project-apollo'])).toBe('project-apollo');
    expect(closestName('pr', ['project-apollo'])).toBeUndefined();
    expect(closestName('proj', ['project-apollo', 'prog'])).toBe('prog');
  });

  it('never suggests the name asked, and breaks ties the same way whatever the order', () => {
    expect(closestName('work', ['work', 'WORK'])).toBeUndefined();
    const names = ['wora', 'worb', 'wrk', 'workk'];
    const answers = new Set([names, [...names].reverse(), [names[2]!, names[0]!, names[3]!, names[1]!]].map((order) => closestName('work', order)));
    // All four are one edit away; `wrk` and `workk` differ in length by one, `wora`/`worb` by none; then code-point order.
    expect([...answers]).toEqual(['wora']);
  });

  it('words the messages with the commands to run', () => {
    expect(spaceNotFoundMessage('wrok', 'work', true)).toBe('space "wrok" not found. Did you mean "work"? To create it: memspace spaces create wrok (or POST /v1/spaces {"name":"wrok"})');
    expect(spaceNotFoundMessage('x', undefined, true)).not.toContain('Did you mean');
    // A caller whose grants could not create the space is not told how to.
    expect(spaceNotFoundMessage('wrok', 'work', false)).toBe('space "wrok" not found. Did you mean "work"?');
    expect(spaceArchivedMessage('cold')).toContain('memspace spaces restore cold');
  });
});

describe('SpaceSuggestions', () => {
  const record = (name: string): SpaceRecord => ({ name, project: null }) as SpaceRecord;

  /** A catalogue of `names` that counts the rows it hands out. */
  function catalogue(names: string[]): { backend: ConstructorParameters<typeof SpaceSuggestions>[0]; read: () => number } {
    const sorted = [...names].sort();
    let read = 0;
    const spaces = {
      get: async (name: string) => {
        read += 1;
        return sorted.includes(name.toLowerCase()) ? record(name.toLowerCase()) : undefined;
      },
      list: async ({ prefix, limit }: { prefix?: string | undefined; limit: number }) => {
        const rows = sorted.filter((n) => n.startsWith(prefix ?? '')).slice(0, limit).map(record);
        read += rows.length;
        return rows;
      },
    };
    const projects = { spaces: async () => [] };
    return { backend: { spaces, projects } as unknown as ConstructorParameters<typeof SpaceSuggestions>[0], read: () => read };
  }

  it('reads a bounded number of rows however large the catalogue, and still finds a typo past the first character', async () => {
    const names = Array.from({ length: 20_000 }, (_, i) => `s${String(i).padStart(5, '0')}`).concat(['work', 'zebra']);
    const { backend, read } = catalogue(names);
    const suggestions = new SpaceSuggestions(backend);
    expect(await suggestions.closest('wrok', [{ prefix: '', role: 'admin' }], () => true)).toBe('work');
    expect(read()).toBeLessThanOrEqual(SUGGESTION_SCAN_LIMIT);
  });

  it('reads only what the grants reach: close exact grants one by one, prefix grants by prefix', async () => {
    const { backend, read } = catalogue(['personal', 'secret', 'team.alpha', 'team.beta']);
    const suggestions = new SpaceSuggestions(backend);
    const grants = [
      { space: 'personal', role: 'read' as const },
      { space: 'far-away', role: 'read' as const },
      { prefix: 'team.', role: 'read' as const },
    ];
    expect(await suggestions.closest('secrt', grants, () => true)).toBeUndefined();
    expect(read()).toBe(2); // no exact grant is close to `secrt`: only the two spaces under `team.` were read
    expect(await suggestions.closest('persnal', grants, () => true)).toBe('personal');
    expect(await suggestions.closest('team.alpa', grants, (r) => r.name !== 'team.alpha')).toBeUndefined();
  });
});
