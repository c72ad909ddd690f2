import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Embedder, EmbedderProvider } from '../../../src/core/ports/embedder.js';
import { LOCAL_PRINCIPAL } from '../../../src/engine/access-guard.js';
import { buildApp } from '../../../src/server/app.js';
import { tempMemspace } from '../../support/temp-memspace.js';

// The clients read these once, when first imported: no telemetry, no ~/.mem0 file.
process.env['MEM0_TELEMETRY'] = 'false';
process.env['MEM0_DIR'] = mkdtempSync(join(tmpdir(), 'mem0-dir-'));

/** The `MemoryClient` of `mem0ai` 3.x and of `mem0ai-v2` (2.x), imported after telemetry is off. */
export async function mem0Clients() {
  const v3 = await import('mem0ai');
  const v2 = await import('mem0ai-v2');
  return { v3: v3.MemoryClient, v2: v2.MemoryClient };
}

const DIMENSION = 512;

/**
 * A deterministic bag-of-words embedder standing in for the local model (same id and
 * dimension): texts sharing words are similar, so searches rank predictably and fast.
 */
class WordsEmbedder implements Embedder {
  readonly id = 'local:use-lite';
  readonly dimension = DIMENSION;
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((text) => {
      const v = new Float32Array(DIMENSION);
      for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
        const stem = word.length > 4 ? word.replace(/(es|s)$/, '') : word;
        v[createHash('sha256').update(stem).digest().readUInt16BE(0) % DIMENSION]! += 1;
      }
      v[DIMENSION - 1] = 0.01; // never the zero vector
      return v;
    });
  }
  async close(): Promise<void> {}
}

const words = new WordsEmbedder();
const embedders: EmbedderProvider = {
  get: (id, dimension) => (id === words.id && dimension === DIMENSION ? words : undefined),
  dimensionOf: (id) => (id === words.id ? DIMENSION : undefined),
};

/** A listening memspace with authentication on, spaces and keys made for the tests. */
export interface Mem0Server {
  url: string;
  app: FastifyInstance;
  ms: Awaited<ReturnType<typeof tempMemspace>>;
  root: string;
  /** Creates a key with these grants and default space; returns its secret. */
  key(grants: ({ space: string } | { prefix: string })[], defaultSpace?: string, role?: 'read' | 'write' | 'admin'): Promise<string>;
  close(): Promise<void>;
}

/** Starts memspace on a temp directory and listens on 127.0.0.1 on a free port. */
export async function startMem0Server(options: { spaces?: string[]; config?: NonNullable<Parameters<typeof tempMemspace>[0]>['config'] } = {}): Promise<Mem0Server> {
  const ms = await tempMemspace({ embedders, ...(options.config !== undefined && { config: options.config }) });
  for (const name of options.spaces ?? []) await ms.spaces.create({ name });
  const root = (await ms.keys.ensureRootKey())!;
  const app = await buildApp({ memspace: ms, auth: true });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    ms,
    root,
    async key(grants, defaultSpace, role = 'write') {
      const created = await ms.keys.create({ name: 'test', grants: grants.map((g) => ({ ...g, role })), ...(defaultSpace !== undefined && { defaultSpace }) }, { principal: LOCAL_PRINCIPAL });
      return created.key;
    },
    async close() {
      await app.close();
      await ms.cleanup();
    },
  };
}

/** The OpenAI-protocol chat stand-in the mem0 tests use (test/support/fake-llm.ts). */
export { startFakeLlm, type FakeLlm, type SeenChat as ChatRequest } from '../../support/fake-llm.js';
