import { beforeEach, expect, it } from 'vitest';
import type { MemspaceEngine } from '../../src/memspace.js';
import { describeCliTarget, type CliTarget } from '../support/run-cli.js';
import { tempMemspace } from '../support/temp-memspace.js';

// `memspace spaces split|merge` on a data directory (run to the end in the CLI's process) and
// against a server (a job, polled to its end): the same reports both ways, progress lines as
// memories move (over HTTP, at the pace of the polling).

/** dev: two worca memories, one bio, one of no dataset, and a relation from worca to bio. */
async function seed(ms: MemspaceEngine): Promise<void> {
  await ms.spaces.create({ name: 'dev', embedder: 'none', dimension: 2 });
  await ms.spaces.create({ name: 'theirs', embedder: 'none', dimension: 2 });
  await ms.memories.add('theirs', { content: 'their fact', tags: ['dataset:x'], embedding: [1, 0] }, { actor: 'test' });
  const [a] = await ms.memories.addMany('dev', [
    { content: 'worca fact', tags: ['dataset:worca'], embedding: [1, 0] },
    { content: 'worca other fact', tags: ['dataset:worca'], embedding: [1, 0.1] },
    { content: 'bio fact', tags: ['dataset:bio'], embedding: [0, 1] },
    { content: 'general fact', embedding: [0.5, 0.5] },
  ]);
  await ms.memories.relate('dev', { from: a!.id, to: (await ms.memories.list('dev', { tags: ['dataset:bio'] })).items[0]!.id, type: 'about' });
}

describeCliTarget(['data-dir', 'url'], 'memspace spaces split / merge', (target: CliTarget) => {
  beforeEach(async () => {
    if (target.engine !== undefined) return seed(target.engine);
    const ms = await tempMemspace({ dataDir: target.dir });
    await seed(ms);
    await ms.close();
  });

  it('dry-runs, splits with progress lines and a table, merges back, and prints JSON with --json', async () => {
    const dry = await target.run(['spaces', 'split', 'dev', '--by-tag', 'dataset:*', '--strip-prefix', '--dry-run']);
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(dry.stdout).toContain('dry run: would split dev into 2 spaces; 1 memory would stay in dev');
    expect(dry.stdout).toMatch(/dataset:worca\s+worca\s+no \(created\)\s+2\s+0/);
    expect(dry.stdout).toMatch(/dropped relation \S+ \(about\): worca → bio/);

    const split = await target.run(['spaces', 'split', 'dev', '--by-tag', 'dataset:*', '--strip-prefix']);
    expect(split).toMatchObject({ code: 0, stderr: '' });
    // On a data directory a line per batch; over HTTP the lines the polling saw, ending at 3/3.
    if (target.kind === 'data-dir') expect(split.stdout).toContain('moved 1/3 memories\nmoved 3/3 memories\nsplit dev into 2 spaces; 1 memory stays in dev');
    else expect(split.stdout).toMatch(/^(moved [12]\/3 memories\n)*moved 3\/3 memories\nsplit dev into 2 spaces; 1 memory stays in dev\n/);
    expect(split.stdout).toMatch(/dataset:worca\s+worca\s+2\s+2\s+0\s+[0-9a-f]{16}/);

    const merge = await target.run(['--json', 'spaces', 'merge', 'worca', 'bio', '--into', 'dev']);
    expect(merge.code, merge.stderr).toBe(0);
    const report = JSON.parse(merge.stdout) as { kind: string; into: string; groups: { from: string; copied: number }[] };
    expect(report).toMatchObject({ kind: 'merge', into: 'dev' });
    expect(report.groups.map((g) => [g.from, g.copied])).toEqual([
      ['worca', 2],
      ['bio', 1],
    ]);
    const info = await target.run(['--json', 'spaces', 'info', 'dev']);
    expect((JSON.parse(info.stdout) as { stats: { memories: number } }).stats.memories).toBe(4);
  });

  it('exits 1 with the error code on bad input or a missing space (with a suggestion), 2 on a usage error', async () => {
    const both = await target.run(['spaces', 'split', 'dev', '--by-tag', 'a:*', '--by-metadata', 'x']);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('VALIDATION_FAILED');
    const missing = await target.run(['spaces', 'split', 'nowhere', '--by-tag', 'a:*']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: SPACE_NOT_FOUND: space "nowhere" not found\. To create it: /);
    const nearMiss = await target.run(['spaces', 'merge', 'devv', '--into', 'dev']);
    expect(nearMiss.code).toBe(1);
    expect(nearMiss.stderr).toMatch(/^error: SPACE_NOT_FOUND: space "devv" not found\. Did you mean "dev"\?/);
    expect((await target.run(['spaces', 'merge', 'dev'])).code).toBe(2);
  });

  if (target.kind === 'url') {
    it('a key of one space can neither split nor merge a space outside its grants, nor learn its name', async () => {
      const key = await target.keyFor([{ space: 'dev', role: 'admin' }]);
      for (const args of [
        ['spaces', 'split', 'theirs', '--by-tag', 'dataset:*'],
        ['spaces', 'split', 'theirs', '--by-tag', 'dataset:*', '--dry-run'],
        ['spaces', 'merge', 'theirs', '--into', 'dev'],
        ['spaces', 'merge', 'dev', '--into', 'theirs'],
        ['spaces', 'merge', 'dev', '--into', 'theirz'],
        // Its targets would be new spaces the key has no right to create.
        ['spaces', 'split', 'dev', '--by-tag', 'dataset:*', '--strip-prefix'],
      ]) {
        const r = await target.runAs(key, args);
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr, args.join(' ')).toMatch(/^error: (SPACE_NOT_FOUND|FORBIDDEN): /);
        expect(r.stderr, args.join(' ')).not.toContain('Did you mean "theirs"');
      }
      const engine = target.engine!;
      expect((await engine.spaces.get('theirs')).stats.memories).toBe(1);
      expect((await engine.spaces.get('dev')).stats.memories).toBe(4);
      expect((await engine.spaces.list({})).items.map((s) => s.name)).not.toEqual(expect.arrayContaining([expect.stringMatching(/^(worca|bio|theirz)$/)]));
    });
  }
});
