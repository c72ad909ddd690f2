/**
 * memspace itself, driven like every peer but through its public library API: `addMemories`
 * in batches (durable: each batch is one fsynced transaction), `settleIndex` as the "prepare"
 * step (the HNSW index is built in a worker thread after the writes are acknowledged), and
 * `search({ embedding, mode: 'vector', limit })`, which validates the request, checks the
 * filter, searches, rescores exactly and reads the hits from SQLite, as a user's call does.
 *
 * `exact: true` measures the exact scan instead of the index. Each tenant is a space of its own.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig } from '../../src/config.js';
import { openEngine, type MemspaceEngine } from '../../src/memspace.js';
import { byTenant, DEFAULT_TENANT, type PeerSystem, type VectorItem, toNumberArray } from './peer.js';

export interface MemspacePeerOptions {
  dim: number;
  /** Search by exact scan instead of the HNSW index. @default false */
  exact?: boolean;
  /** Memory count from which a space searches through its index. @default the server default */
  annThreshold?: number;
}

export class MemspacePeer implements PeerSystem {
  readonly name: string;
  readonly version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'memspace-bench-'));
  private ms: MemspaceEngine | undefined;
  private readonly spaces = new Set<string>();

  constructor(private readonly options: MemspacePeerOptions) {
    this.name = options.exact === true ? 'memspace exact' : 'memspace ANN';
  }

  async open(): Promise<MemspaceEngine> {
    this.ms ??= await openEngine(
      loadConfig({ dataDir: this.dataDir, ...(this.options.annThreshold !== undefined && { annThreshold: this.options.annThreshold }) }, {}),
    );
    return this.ms;
  }

  async ingest(items: readonly VectorItem[]): Promise<void> {
    const ms = await this.open();
    for (const [tenant, list] of byTenant(items)) {
      if (!this.spaces.has(tenant)) {
        await ms.spaces.create({ name: tenant, embedder: 'none', dimension: this.options.dim });
        this.spaces.add(tenant);
      }
      await ms.memories.addMany(
        tenant,
        list.map((item) => ({ id: `r${item.id}`, content: item.content, embedding: toNumberArray(item.vector) })),
      );
    }
  }

  async prepare(): Promise<void> {
    const ms = await this.open();
    for (const space of this.spaces) await ms.search.settleIndex(space);
  }

  async search(vector: Float32Array, k: number, tenant?: string): Promise<number[]> {
    const ms = await this.open();
    const { results } = await ms.search.run(tenant ?? DEFAULT_TENANT, {
      embedding: toNumberArray(vector),
      mode: 'vector',
      limit: k,
      exact: this.options.exact === true,
    });
    return results.map((r) => Number(r.memory.id.slice(1)));
  }

  /** Closes every open space, as a restart would (the next search opens the space cold). */
  async closeSpaces(): Promise<void> {
    await this.ms?.registry.close();
  }

  async close(): Promise<void> {
    await this.ms?.close();
    this.ms = undefined;
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
