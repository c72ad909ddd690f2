import { beforeEach, describe, expect, it } from 'vitest';
import type { RouteAnswer } from '../../src/core/routing.js';
import { cliRaw, describeCliTarget, type CliResult, type CliTarget } from '../support/run-cli.js';

// `memspace route` on a data directory (whose holder sees every space) and against a server
// (the key's readable spaces), with the same output both ways. The spaces have no embedder (no
// model is loaded), so the suggestions rest on the keyword part, with a note saying so.

describeCliTarget(['data-dir', 'url'], 'memspace route', (target: CliTarget) => {
  async function ok(args: string[]): Promise<string> {
    const r = await target.run(args);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  }

  beforeEach(async () => {
    for (const space of ['garden', 'kitchen', 'empty']) await ok(['spaces', 'create', space, '--embedder', 'none', '--dimension', '2']);
    await ok(['add', 'garden', 'Tomatoes need sun and plenty of water', '--embedding', '[1,0]']);
    await ok(['add', 'kitchen', 'Bake the bread at 250 degrees', '--embedding', '[0,1]']);
    await ok(['add', 'kitchen', 'Knead the dough for ten minutes', '--embedding', '[0,1]']);
  });

  it('prints SPACE, SCORE and TOP, best first, leaving empty spaces out; JSON under --json', async () => {
    const out = await ok(['route', 'how hot to bake bread']);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SPACE\s+SCORE\s+TOP$/);
    expect(lines[1]).toMatch(/^kitchen\s+0\.\d{3}\s+Bake the bread at 250 degrees$/);
    expect(out).not.toContain('empty');
    expect((await ok(['route', 'water the tomatoes', '--limit', '1'])).trimEnd().split('\n')).toEqual([expect.stringMatching(/^SPACE/), expect.stringMatching(/^garden\s/)]);
    const answer = JSON.parse(await ok(['--json', 'route', 'bread', '--space', 'garden'])) as RouteAnswer;
    expect(answer.results).toEqual([expect.objectContaining({ space: 'garden', vector: null, keyword: 0, note: expect.stringContaining('no embedder') })]);
    const prefixed = JSON.parse(await ok(['--json', 'route', 'bread', '--prefix', 'gar'])) as RouteAnswer;
    expect(prefixed.results.map((r) => r.space)).toEqual(['garden']);
  });

  it('refuses bad input with its code and exit 1; a near-miss space name gets a suggestion', async () => {
    for (const args of [['route', 'x', '--limit', '0'], ['route', ''], ['route', 'x', '--space', 'nowhere']]) {
      const r = await target.run(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^error: (VALIDATION_FAILED|SPACE_NOT_FOUND): /);
    }
    const nearMiss = await target.run(['route', 'x', '--space', 'kitchn']);
    expect(nearMiss.code).toBe(1);
    expect(nearMiss.stderr).toMatch(/^error: SPACE_NOT_FOUND: .*kitchen/);
    const json = await target.run(['--json', 'route', 'x', '--space', 'kitchn']);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'SPACE_NOT_FOUND', details: { space: 'kitchn', suggestion: 'kitchen' } } });
  });

  if (target.kind === 'url') {
    it('a key of one space weighs that space only, and cannot route to another nor learn its name', async () => {
      const key = await target.keyFor([{ space: 'garden', role: 'read' }]);
      const all = JSON.parse((await target.runAs(key, ['--json', 'route', 'bake bread and water tomatoes'])).stdout) as RouteAnswer;
      expect(all.results.map((r) => r.space)).toEqual(['garden']);
      for (const args of [['route', 'bread', '--space', 'kitchen'], ['route', 'bread', '--space', 'kitchn'], ['route', 'bread', '--prefix', 'kit']]) {
        const r: CliResult = await target.runAs(key, args);
        if (args.includes('--prefix')) {
          // A prefix outside the grants weighs nothing rather than failing: nothing of kitchen shows.
          expect(r.stdout + r.stderr, args.join(' ')).not.toContain('Bake');
          continue;
        }
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr, args.join(' ')).toMatch(/^error: (SPACE_NOT_FOUND|FORBIDDEN): /);
        expect(r.stderr, args.join(' ')).not.toMatch(/did you mean|"kitchen"\?|suggestion/i);
      }
    });
  }
});

describe('memspace route (usage)', () => {
  it('is an API command: it is not refused over --url as a data-directory-only one', async () => {
    const r = await cliRaw(['--url', 'http://127.0.0.1:1', '--key', 'msk_x', 'route', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: BACKEND_UNAVAILABLE: cannot reach/);
  });
});
