import { randomBytes } from 'node:crypto';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { loadConfig } from '../../src/config.js';
import { openEngine } from '../../src/memspace.js';
import { cliProcess } from '../support/run-cli.js';
import { tempDir } from '../support/temp-memspace.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI in this process with `env` as its environment. */
async function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, stdin: Readable.from(['']), env });
  return { code, stdout, stderr };
}

async function encryptedDataDir(master: string): Promise<string> {
  const dataDir = tempDir('memspace-rotate-');
  dirs.push(dataDir);
  const ms = await openEngine(loadConfig({ dataDir, masterKey: master }, {}));
  await ms.spaces.create({ name: 'vault', embedder: 'none', dimension: 3, encryption: true });
  await ms.memories.add('vault', { id: 'n1', content: 'the vault combination', embedding: [1, 0, 0] });
  await ms.close();
  return dataDir;
}

describe('memspace keys rotate-master', () => {
  it('rewraps the keys under the key in --new-key-file; the old key then fails and the new one reads', async () => {
    const oldKey = randomBytes(32).toString('hex');
    const newKey = randomBytes(32).toString('base64');
    const dataDir = await encryptedDataDir(oldKey);
    const keyFile = join(dataDir, 'new.key');
    writeFileSync(keyFile, `${newKey}\n`, { mode: 0o644 });
    const exposed = await run(['--data-dir', dataDir, 'keys', 'rotate-master', '--new-key-file', keyFile], { MEMSPACE_MASTER_KEY: oldKey });
    expect(exposed.code).not.toBe(0);
    expect(exposed.stderr).toContain('chmod 600');
    chmodSync(keyFile, 0o600);

    const missing = await run(['--data-dir', dataDir, 'keys', 'rotate-master', '--new-key-file', keyFile], {});
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('MEMSPACE_MASTER_KEY');

    const rotated = await run(['--data-dir', dataDir, 'keys', 'rotate-master', '--new-key-file', keyFile], { MEMSPACE_MASTER_KEY: oldKey });
    expect(rotated).toMatchObject({ code: 0, stdout: 'rewrapped 1 space key under the new master key; start the server with it from now on\n' });

    const withOld = await run(['--data-dir', dataDir, 'list', 'vault'], { MEMSPACE_MASTER_KEY: oldKey });
    expect(withOld.code).not.toBe(0);
    expect(withOld.stderr).toContain('BACKEND_UNAVAILABLE');
    const withNew = await run(['--data-dir', dataDir, 'list', 'vault'], { MEMSPACE_MASTER_KEY_FILE: keyFile });
    expect(withNew.code).toBe(0);
    expect(withNew.stdout).toContain('the vault combination');
  });

  it('serve refuses to start, exit code not 0, without the master key while encrypted spaces exist', async () => {
    const dataDir = await encryptedDataDir(randomBytes(32).toString('hex'));
    const r = cliProcess(dataDir, ['serve', '--port', '0']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('1 encrypted space in this data directory needs the master key: set MEMSPACE_MASTER_KEY or MEMSPACE_MASTER_KEY_FILE');
  });
});
