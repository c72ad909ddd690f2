import { expect, it } from 'vitest';
import { axisVector } from '../support/temp-memspace.js';
import { describeCliTarget } from '../support/run-cli.js';

describeCliTarget(['data-dir', 'url'], 'memspace projects', (t) => {
  const ok = async (args: string[]): Promise<string> => {
    const r = await t.run(args);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  const json = async (args: string[]): Promise<Record<string, unknown>> => JSON.parse(await ok(['--json', ...args])) as Record<string, unknown>;

  it('creates a project, spaces in it inherit its defaults, set propagates, info totals, delete --cascade', async () => {
    expect(await ok(['projects', 'create', 'acme', '--description', 'the acme account', '--defaults', '{"isolation":"shared","embedder":"none","dimension":8}', '--max-memories', '3'])).toBe(
      'created project acme\n',
    );
    await ok(['spaces', 'create', 'acme.sales', '--project', 'acme']);
    expect(await json(['spaces', 'info', 'acme.sales'])).toMatchObject({ project: 'acme', isolation: 'shared', embedder: 'none', dimension: 8, inherited: ['isolation', 'sensitivity', 'retentionDays', 'quotas', 'consolidation'] });
    expect(await ok(['spaces', 'info', 'acme.sales'])).toMatch(/project:\s+acme \(inherits isolation, sensitivity, retentionDays, quotas, consolidation\)/);
    await ok(['projects', 'set', 'acme', '--defaults', '{"retentionDays":30}']);
    expect(await json(['spaces', 'info', 'acme.sales'])).toMatchObject({ retentionDays: 30 });
    await ok(['add', 'acme.sales', 'one', '--embedding', JSON.stringify(axisVector(8, 1))]);
    expect((await ok(['projects', 'list'])).split('\n')[1]).toMatch(t.kind === 'url' ? /^acme\s+key_\w+\s+3\s+-/ : /^acme\s+local\s+3\s+-/);
    expect(await ok(['projects', 'info', 'acme'])).toMatch(/spaces:\s+1 \(\d active, \d idle, 0 archived, 0 damaged\)\nmemories:\s+1 of 3\n/);
    const refused = await t.run(['projects', 'delete', 'acme']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('error: CONFLICT: project "acme" still holds 1 spaces; delete them first or pass cascade\n');
    expect(await ok(['projects', 'delete', 'acme', '--cascade'])).toBe('deleted project acme and its 1 spaces\n');
    expect((await t.run(['spaces', 'info', 'acme.sales'])).stderr).toMatch(/^error: SPACE_NOT_FOUND: space "acme.sales" not found/);
    expect((await t.run(['projects', 'info', 'acme'])).stderr).toBe('error: NOT_FOUND: project "acme" not found\n');
  });

  it('refuses a space in a missing project and bad defaults with clear errors', async () => {
    expect((await t.run(['spaces', 'create', 'x', '--project', 'nope'])).stderr).toBe('error: NOT_FOUND: project "nope" not found\n');
    const bad = await t.run(['projects', 'create', 'p', '--defaults', '{"isolation":"open"}']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: VALIDATION_FAILED: /);
  });
});
