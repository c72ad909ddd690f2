import { expect, it } from 'vitest';
import { describeCliTarget } from '../support/run-cli.js';

describeCliTarget(['data-dir', 'url'], 'memspace federations', (t) => {
  it('creates, joins, releases, lists and withdraws', async () => {
    for (const s of ['a', 'b']) expect((await t.run(['spaces', 'create', s, '--isolation', 'federated', '--embedder', 'none', '--dimension', '2'])).code).toBe(0);
    expect((await t.run(['spaces', 'create', 'locked', '--embedder', 'none', '--dimension', '2'])).code).toBe(0);
    const created = await t.run(['--json', 'federations', 'create', 'support', '--epsilon', '0.5']);
    const id = (JSON.parse(created.stdout) as { id: string }).id;
    for (const s of ['a', 'b']) expect((await t.run(['federations', 'join', id, s, '--budget', '1'])).stdout).toContain(`space ${s} joined federation ${id}`);
    const refused = await t.run(['federations', 'join', id, 'locked', '--budget', '1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('error: FORBIDDEN');
    const release = await t.run(['--json', 'federations', 'release', id, 'histogram', '--params', '{"field":"kind","bins":["fact"]}']);
    expect(JSON.parse(release.stdout)).toMatchObject({ kind: 'histogram', contributors: 2, epsilon: 0.5 });
    expect((await t.run(['federations', 'releases', id])).stdout).toMatch(/^SEQ +KIND +STATE[^\n]*\n1 +histogram +done +2 +0\.5/);
    expect((await t.run(['federations', 'space', 'a'])).stdout).toContain('total epsilon spent: 0.5');
    expect((await t.run(['federations', 'leave', id, 'a'])).stdout).toBe(`space a withdrew from federation ${id}\n`);
    expect((await t.run(['federations', 'info', id])).stdout).toContain('participants: 1 active (releases need 2)');
  });
});
