import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cliProcess } from '../support/run-cli.js';
import { tempDir, tempMemspace } from '../support/temp-memspace.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('memspace serve', () => {
  it('listens on loopback, serves requests, and on SIGTERM finishes and exits 0 with every write kept', async () => {
    const dataDir = tempDir('memspace-serve-');
    dirs.push(dataDir);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--data-dir', dataDir, 'serve', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        stderr += chunk;
        const m = /listening on (http:\/\/\S+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (c) => reject(new Error(`serve exited early (${c}): ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    // The root key is printed once, on first start.
    const rootKey = /root key, shown this once \(store it now\): (msk_\S+)/.exec(stderr)?.[1];
    expect(rootKey).toBeDefined();
    expect(await (await fetch(`${url}/v1/health`)).json()).toMatchObject({ status: 'ok' });
    expect((await fetch(`${url}/v1/spaces`)).status).toBe(401);
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${rootKey!}` }, body: JSON.stringify(body) });
    expect((await post('/v1/spaces', { name: 'served', embedder: 'none', dimension: 2 })).status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(((await (await post('/v1/spaces/served/memories', { content: `m${i}`, embedding: [1, i] })).json()) as { id: string }).id);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const ms = await tempMemspace({ dataDir });
    try {
      const listed = await ms.memories.list('served', { limit: 100, order: 'asc' });
      expect(listed.items.map((m) => m.id)).toEqual(ids);
    } finally {
      await ms.close();
    }
  });

  it('refuses to listen beyond loopback without authentication', () => {
    const dataDir = tempDir('memspace-serve-');
    dirs.push(dataDir);
    const r = cliProcess(dataDir, ['serve', '--no-auth', '--host', '0.0.0.0', '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: VALIDATION_FAILED: refusing to listen on 0\.0\.0\.0 without authentication/);
  });
});
