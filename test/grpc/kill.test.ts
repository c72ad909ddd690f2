import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { failure, fieldsOf, grpcTestClients, type Json } from '../support/grpc.js';
import { killServeProcesses, startServeProcess } from '../support/serve-process.js';
import { freePort } from '../support/shell-session.js';
import { allMemories, axisVector, tempDir, tempMemspace } from '../support/temp-memspace.js';

/**
 * AddStream against a `memspace serve` process killed with SIGKILL mid-stream: every memory a
 * summary acknowledged is on disk, and of the stream cut short, what is there is whole and is
 * the stream's first memories, nothing half-written and nothing out of order.
 */

const dirs: string[] = [];
afterAll(() => {
  killServeProcesses();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const memory = (stream: string, i: number): Json => ({ id: `${stream}${String(i).padStart(6, '0')}`, content: `${stream} memory ${i}`, embedding: axisVector(8, i), tags: [stream] });

describe('gRPC AddStream and kill -9 of the server', () => {
  it('keeps every acknowledged memory, and of the cut stream a whole prefix', async () => {
    const dataDir = tempDir('memspace-grpc-kill-');
    dirs.push(dataDir);
    const server = await startServeProcess(dataDir, ['--port', '0', '--grpc-port', String(await freePort()), '--workers', '1']);
    const key = server.rootKey!;
    const c = grpcTestClients(server.grpcAddress!);
    let sent = 0;
    try {
      await c.rpc(c.spaces, 'Create', { name: 'stream', embedder: 'none', dimension: 8 }, key);
      // Acknowledged: a whole stream and its summary.
      const acked = c.upload(c.memories, 'AddStream', key, { 'x-memory-space': 'stream' });
      for (let i = 0; i < 1_000; i++) acked.stream.write(memory('a', i));
      acked.stream.end();
      expect((await acked.done)['added']).toBe(1_000);

      // Cut short: the server dies while the stream is still sending.
      const cut = c.upload(c.memories, 'AddStream', key, { 'x-memory-space': 'stream' });
      const answer = failure(cut.done);
      const stored = async (): Promise<number> => (fieldsOf(await c.rpc(c.spaces, 'Get', { space: 'stream' }, key))['stats'] as { memories: number }).memories;
      while ((await stored()) < 1_500) {
        for (let i = 0; i < 100; i++) if (!cut.stream.write(memory('b', sent++))) await once(cut.stream, 'drain');
      }
      server.child.kill('SIGKILL');
      expect(await server.exited).toBe(null);
      expect((await answer).code).toBe(status.UNAVAILABLE);
    } finally {
      c.close();
    }

    const ms = await tempMemspace({ dataDir });
    try {
      const { byId } = await allMemories(ms, 'stream');
      const a = [...byId.values()].filter((m) => m.tags[0] === 'a');
      const b = [...byId.values()].filter((m) => m.tags[0] === 'b').sort((x, y) => x.id.localeCompare(y.id));
      expect(a).toHaveLength(1_000);
      expect(b.length).toBeGreaterThanOrEqual(500);
      expect(b.length).toBeLessThanOrEqual(sent);
      expect(b.map((m) => m.id)).toEqual(Array.from({ length: b.length }, (_, i) => memory('b', i)['id']));
      for (const m of b) expect(m.content).toBe(`b memory ${Number(m.id.slice(1))}`);
    } finally {
      await ms.close();
    }
  });
});
