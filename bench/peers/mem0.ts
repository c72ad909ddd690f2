/**
 * mem0 OSS (`Memory` from `mem0ai/oss`) with its built-in 'memory' vector store, measured
 * through its public API as users call it: `add(content, { userId, infer: false, metadata })`,
 * one awaited call per item, and `search(text, { topK, filters: { user_id } })`. The embedder is
 * a LangChain `Embeddings` (provider 'langchain') that returns the precomputed vector of each
 * text (see lookup-embeddings.ts); each query vector gets a unique query text that resolves to
 * it, so a search costs one extra Map lookup. History is disabled; the LLM is configured against
 * 127.0.0.1:9, where nothing listens, and never called (`infer: false`).
 *
 * What the store really is: despite the name, the 'memory' provider is a better-sqlite3 table
 * (id, vector BLOB, JSON payload). Every search reads every row (`SELECT *`), JSON-parses each
 * payload, copies each vector into a JS array twice and computes cosine similarity; then runs a
 * BM25 keyword search that again reads, parses and tokenizes every row; then fuses the two
 * (results whose cosine similarity is below `threshold`, 0.1 by default, are dropped: on a small
 * tenant whose true top k reaches into other clusters that costs recall). So search is an exact scan with heavy
 * per-row costs, and recall should be 1 on these data. Each add is its own SQLite transaction
 * plus an MD5 hash and BM25 lemmatization of the text.
 *
 * Caveats: the store defaults to a file (~/.mem0/vector_store.db, journal_mode DELETE with
 * synchronous FULL, so every add fsyncs); `dbPath` here defaults to ':memory:', the kindest
 * setting for mem0, and 'file' is available. mem0 sends telemetry to PostHog and writes
 * ~/.mem0/config.json unless told otherwise: MEM0_TELEMETRY=false (read when the module is
 * loaded, hence the dynamic import) and MEM0_DIR pointing at a temporary directory turn both off.
 * The 3.x API differs from the 2.x examples found online: search takes `topK` and
 * `filters: { user_id }`; a top-level `userId` is rejected and `limit` is ignored. mem0 refuses
 * a search without a user, agent or run filter, so a search without a tenant here searches the
 * default tenant ('bench') only, not all tenants.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Memory } from 'mem0ai/oss';

import { LookupEmbeddings } from './lookup-embeddings.js';
import { type PeerSystem, type VectorItem, DEFAULT_TENANT, packageVersion } from './peer.js';

/** Options of {@link createMem0Peer}. */
export interface Mem0Options {
  dim: number;
  /** Where the 'memory' vector store keeps its SQLite database. @default 'memory' (':memory:') */
  storage?: 'memory' | 'file';
  /** mem0's search `threshold` (minimum similarity). @default mem0's own default, 0.1 */
  threshold?: number;
}

/** Creates a mem0 OSS peer; async because mem0 must be imported after its environment is set. */
export async function createMem0Peer(options: Mem0Options): Promise<PeerSystem> {
  const dir = mkdtempSync(join(tmpdir(), 'memspace-bench-mem0-'));
  // No network (telemetry) and nothing written outside the temporary directory.
  process.env.MEM0_TELEMETRY = 'false';
  process.env.MEM0_DIR = dir;
  const { Memory: MemoryClass } = await import('mem0ai/oss');
  const embeddings = new LookupEmbeddings();
  const storage = options.storage ?? 'memory';
  const memory = new MemoryClass({
    embedder: { provider: 'langchain', config: { model: embeddings, embeddingDims: options.dim } },
    vectorStore: {
      provider: 'memory',
      config: { collectionName: 'bench', dimension: options.dim, dbPath: storage === 'memory' ? ':memory:' : join(dir, 'vector_store.db') },
    },
    // Required by the constructor, never called with infer: false.
    llm: { provider: 'openai', config: { apiKey: 'unused', baseURL: 'http://127.0.0.1:9/v1', model: 'unused' } },
    disableHistory: true,
  });
  return new Mem0Peer(memory, embeddings, dir, storage, options.threshold);
}

class Mem0Peer implements PeerSystem {
  readonly name: string;
  readonly version = packageVersion('mem0ai');

  constructor(
    private readonly memory: Memory,
    private readonly embeddings: LookupEmbeddings,
    private readonly dir: string,
    storage: 'memory' | 'file',
    private readonly threshold: number | undefined,
  ) {
    this.name = `mem0 OSS ('memory' store, ${storage === 'memory' ? ':memory:' : 'file'})`;
  }

  async ingest(items: readonly VectorItem[]): Promise<void> {
    for (const item of items) {
      this.embeddings.register(item.content, item.vector);
      await this.memory.add(item.content, { userId: item.tenant ?? DEFAULT_TENANT, infer: false, metadata: { benchId: item.id } });
      // The store keeps its own copy; the lookup entry is no longer needed.
      this.embeddings.forget(item.content);
    }
  }

  async search(vector: Float32Array, k: number, tenant?: string): Promise<number[]> {
    const text = this.embeddings.queryText(vector);
    try {
      const { results } = await this.memory.search(text, {
        topK: k,
        filters: { user_id: tenant ?? DEFAULT_TENANT },
        ...(this.threshold !== undefined && { threshold: this.threshold }),
      });
      return results.map((r) => Number((r.metadata as { benchId?: unknown } | undefined)?.benchId));
    } finally {
      this.embeddings.forget(text);
    }
  }

  async close(): Promise<void> {
    // Memory has no close(); the in-memory database goes with the object.
    rmSync(this.dir, { recursive: true, force: true });
  }
}
