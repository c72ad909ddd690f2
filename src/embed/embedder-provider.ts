import type { Embedder, EmbedderProvider } from '../core/ports/embedder.js';
import { CachedEmbedder } from './cached-embedder.js';
import { LOCAL_EMBEDDER_DIMENSION, LOCAL_EMBEDDER_ID, LocalEmbedder, type LocalEmbedderOptions } from './local-embedder.js';
import { OpenAIEmbedder } from './openai-embedder.js';

/** Options of the process's embedders. */
export interface DefaultEmbedderOptions {
  /** Options of the local model (worker pool size, batch size). */
  local?: LocalEmbedderOptions;
  /** An OpenAI-compatible endpoint serving spaces whose embedder is `openai:<model>`. */
  openai?: { baseUrl: string; apiKey?: string | undefined };
  /** Cached vectors per embedder. @default 10000 */
  cacheCapacity?: number;
}

/**
 * The embedders of one process, created on first use and shared by every space that records
 * the same embedder, each behind a content-hash cache. `none` has no embedder: such spaces
 * take vectors from callers only.
 */
export class DefaultEmbedderProvider implements EmbedderProvider {
  private readonly made = new Map<string, Embedder>();

  constructor(private readonly options: DefaultEmbedderOptions = {}) {}

  dimensionOf(id: string): number | undefined {
    return id === LOCAL_EMBEDDER_ID ? LOCAL_EMBEDDER_DIMENSION : undefined;
  }

  get(id: string, dimension: number): Embedder | undefined {
    const key = `${id}#${dimension}`;
    const existing = this.made.get(key);
    if (existing) return existing;
    const inner = this.create(id, dimension);
    if (inner === undefined) return undefined;
    const embedder = new CachedEmbedder(inner, { capacity: this.options.cacheCapacity ?? 10_000 });
    this.made.set(key, embedder);
    return embedder;
  }

  /** Stops every embedder made so far (worker threads, sockets). */
  async close(): Promise<void> {
    const all = [...this.made.values()];
    this.made.clear();
    await Promise.all(all.map((e) => e.close()));
  }

  private create(id: string, dimension: number): Embedder | undefined {
    if (id === LOCAL_EMBEDDER_ID) return new LocalEmbedder(this.options.local);
    if (id.startsWith('openai:') && this.options.openai !== undefined) {
      return new OpenAIEmbedder({ ...this.options.openai, model: id.slice('openai:'.length), dimension });
    }
    return undefined;
  }
}
