import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { failure, fieldsOf, grpcTestClients } from '../support/grpc.js';
import { cliProcess } from '../support/run-cli.js';
import { killServeProcesses, startServeProcess } from '../support/serve-process.js';
import { freePort } from '../support/shell-session.js';
import { tempDir, tempMemspace } from '../support/temp-memspace.js';

const dirs: string[] = [];
afterAll(() => {
  killServeProcesses();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe('memspace serve', () => {
  it('listens on loopback for HTTP and gRPC, serves requests, and on SIGTERM finishes and exits 0 with every write kept', async () => {
    const dataDir = tempDir('memspace-serve-');
    dirs.push(dataDir);
    const { child, url, grpcAddress, rootKey, exited } = await startServeProcess(dataDir, ['--port', '0', '--grpc-port', String(await freePort())]);
    // The root key is printed once, on first start.
    expect(rootKey).toBeDefined();
    expect(await (await fetch(`${url}/v1/health`)).json()).toMatchObject({ status: 'ok' });
    expect((await fetch(`${url}/v1/spaces`)).status).toBe(401);
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${rootKey!}` }, body: JSON.stringify(body) });
    expect((await post('/v1/spaces', { name: 'served', embedder: 'none', dimension: 2 })).status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(((await (await post('/v1/spaces/served/memories', { content: `m${i}`, embedding: [1, i] })).json()) as { id: string }).id);
    // The same server answers gRPC, with the same keys and data.
    const clients = grpcTestClients(grpcAddress!);
    try {
      const served = await clients.rpc(clients.spaces, 'Get', { space: 'served' }, rootKey!);
      expect(fieldsOf(served)['stats']).toMatchObject({ memories: 20 });
      expect(await failure(clients.rpc(clients.spaces, 'Get', { space: 'served' }, null))).toMatchObject({ reason: 'UNAUTHENTICATED' });
    } finally {
      clients.close();
    }
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

describe('memspace serve --grpc-port', () => {
  it('serves no gRPC with 0, and refuses a gRPC port that is taken, naming it', async () => {
    const dataDir = tempDir('memspace-serve-');
    dirs.push(dataDir);
    const port = await freePort();
    const first = await startServeProcess(dataDir, ['--port', '0', '--grpc-port', String(port)]);
    expect(first.grpcAddress).toBe(`127.0.0.1:${port}`);
    const other = tempDir('memspace-serve-');
    dirs.push(other);
    const taken = cliProcess(other, ['serve', '--port', '0', '--grpc-port', String(port)]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`error: BACKEND_UNAVAILABLE: cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const none = await startServeProcess(dataDir, ['--port', '0'], { MEMSPACE_GRPC_PORT: '0' });
    expect(none.grpcAddress).toBeUndefined();
    none.child.kill('SIGTERM');
    expect(await none.exited).toBe(0);
  });
});
