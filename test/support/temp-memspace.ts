import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import type { Memory } from '../../src/core/views.js';
import { openEngine, type MemspaceEngine, type OpenMemspaceOptions } from '../../src/memspace.js';

/** A fresh data directory under the system temp dir. */
export function tempDir(prefix = 'memspace-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Opens memspace on a fresh temp data directory; `cleanup` closes it and removes the directory. */
export async function tempMemspace(
  options: OpenMemspaceOptions & { dataDir?: string; config?: Parameters<typeof loadConfig>[0] } = {},
): Promise<MemspaceEngine & { dataDir: string; cleanup(): Promise<void> }> {
  const dataDir = options.dataDir ?? tempDir();
  // MEMSPACE_TEST_WORKERS runs a test file's spaces with search threads (e.g. the whole suite, once, by hand).
  const workers = Number(process.env['MEMSPACE_TEST_WORKERS']) || undefined;
  const ms = await openEngine(loadConfig({ workers, ...options.config, dataDir }, {}), options);
  return {
    ...ms,
    dataDir,
    async cleanup() {
      await ms.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A deterministic unit-ish vector of `dim` numbers pointing mostly along axis `axis`. */
export function axisVector(dim: number, axis: number, noise = 0.01): number[] {
  return Array.from({ length: dim }, (_, i) => (i === axis % dim ? 1 : noise * Math.sin(i + axis)));
}

/** Every memory of a space by id, paging through the whole listing; `listed` counts rows, duplicates included. */
export async function allMemories(ms: MemspaceEngine, space: string): Promise<{ byId: Map<string, Memory>; listed: number }> {
  const byId = new Map<string, Memory>();
  let listed = 0;
  let cursor: string | undefined;
  do {
    const page = await ms.memories.list(space, { limit: 1000, ...(cursor !== undefined && { cursor }) });
    for (const m of page.items) byId.set(m.id, m);
    listed += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return { byId, listed };
}
