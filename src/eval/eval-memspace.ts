import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import type { EmbedderProvider } from '../core/ports/embedder.js';
import { openMemspace, type Memspace } from '../memspace.js';

/** Where and with what an evaluation opens memspace. */
export interface EvalStorageOptions {
  /** Data directory to work in. @default a fresh temporary directory, removed afterwards */
  dataDir?: string;
  /**
   * Environment the configuration is read from: the backend (`MEMSPACE_BACKEND=postgres` with
   * `MEMSPACE_PG_URL`), the embedder pool, the reranker. @default process.env
   */
  env?: NodeJS.ProcessEnv;
  /** Embedders to use instead of the default ones; they are not closed. */
  embedders?: EmbedderProvider;
}

/** What an evaluation may set beyond its storage: a clock it moves itself (the feedback simulation). */
export interface EvalOpenOptions {
  now?: () => number;
}

/**
 * Runs `work` on a memspace opened for an evaluation, and closes it afterwards. Without a
 * `dataDir` it opens a fresh temporary directory, removed afterwards, with sync `normal`: a
 * directory that is thrown away need not survive power loss; a caller's directory keeps the
 * configured sync.
 * @param prefix - Of the temporary directory's name, e.g. `memspace-eval-`.
 */
export async function withEvalMemspace<T>(options: EvalStorageOptions, prefix: string, work: (ms: Memspace) => Promise<T>, open: EvalOpenOptions = {}): Promise<T> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), prefix)));
  const config = loadConfig({ dataDir, ...(options.dataDir === undefined && { sync: 'normal' as const }) }, options.env);
  // Memspace closes the embedders it was given; a caller's provider must outlive this run.
  const given = options.embedders;
  const embedders = given && { get: (id: string, dim: number) => given.get(id, dim), dimensionOf: (id: string) => given.dimensionOf(id) };
  try {
    const ms = await openMemspace(config, { ...(embedders && { embedders }), ...(open.now && { now: open.now }) });
    try {
      return await work(ms);
    } finally {
      await ms.close();
    }
  } finally {
    if (options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
  }
}
