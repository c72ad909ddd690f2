import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../support/run-cli.js';
import { tempDir } from '../support/temp-memspace.js';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('memspace federations', () => {
  it('creates, joins, releases, lists and withdraws on the data directory', async () => {
    for (const s of ['a', 'b']) expect((await cli(dir, ['spaces', 'create', s, '--isolation', 'federated', '--embedder', 'none', '--dimension', '2'])).code).toBe(0);
    expect((await cli(dir, ['spaces', 'create', 'locked', '--embedder', 'none', '--dimension', '2'])).code).toBe(0);
    const created = await cli(dir, ['--json', 'federations', 'create', 'support', '--epsilon', '0.5']);
    const id = (JSON.parse(created.stdout) as { id: string }).id;
    for (const s of ['a', 'b']) expect((await cli(dir, ['federations', 'join', id, s, '--budget', '1'])).stdout).toContain(`space ${s} joined federation ${id}`);
    const refused = await cli(dir, ['federations', 'join', id, 'locked', '--budget', '1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('error: FORBIDDEN');
    const release = await cli(dir, ['--json', 'federations', 'release', id, 'histogram', '--params', '{"field":"kind","bins":["fact"]}']);
    expect(JSON.parse(release.stdout)).toMatchObject({ kind: 'histogram', contributors: 2, epsilon: 0.5 });
    expect((await cli(dir, ['federations', 'releases', id])).stdout).toMatch(/^SEQ +KIND +STATE[^\n]*\n1 +histogram +done +2 +0\.5/);
    expect((await cli(dir, ['federations', 'space', 'a'])).stdout).toContain('total epsilon spent: 0.5');
    expect((await cli(dir, ['federations', 'leave', id, 'a'])).stdout).toBe(`space a withdrew from federation ${id}\n`);
    expect((await cli(dir, ['federations', 'info', id])).stdout).toContain('participants: 1 active (releases need 2)');
  });
});
