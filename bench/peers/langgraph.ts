/**
 * LangGraph's `InMemoryStore` (the long-term memory store of LangGraph.js) with its semantic
 * index, measured through its public API: `put(['bench', tenant], key, { content, benchId })`,
 * one awaited call per item, and `search(['bench', tenant], { query, limit })`. The index's
 * `embeddings` is a LangChain `Embeddings` returning the precomputed vector of each text (see
 * lookup-embeddings.ts); each query vector gets a unique query text, so a search costs one extra
 * Map lookup.
 *
 * What the store really is: Maps of items and of number[] vectors. A search collects every item
 * under the namespace prefix (`push(...items)`), computes cosine similarity with
 * `Array.prototype.reduce` for the dot product and for both norms of every vector, sorts all
 * scores and takes the first k: an exact O(n log n) scan, so recall should be 1.
 *
 * Caveats: in @langchain/langgraph 1.7 (checkpoint 1.2) the index option is
 * `{ dims, embeddings, fields }`, not `embed`. Collecting candidates spreads a whole namespace
 * into one `push` call, which throws "RangeError: Maximum call stack size exceeded" once one
 * namespace holds more items than V8 accepts as call arguments: measured here (Node 20, default
 * stack), search works at 100k items and fails at 125k, while put keeps succeeding. Namespace labels cannot contain ':'. `put` has no batch
 * form other than the lower-level `batch()`; the per-item call is what users write.
 */
import { InMemoryStore } from '@langchain/langgraph';

import { LookupEmbeddings } from './lookup-embeddings.js';
import { type PeerSystem, type VectorItem, DEFAULT_TENANT, packageVersion } from './peer.js';

/** LangGraph InMemoryStore as a {@link PeerSystem}. */
export class LangGraphPeer implements PeerSystem {
  readonly name = 'LangGraph InMemoryStore (semantic index)';
  readonly version = packageVersion('@langchain/langgraph');
  private readonly embeddings = new LookupEmbeddings();
  private readonly store: InMemoryStore;

  constructor(dim: number) {
    this.store = new InMemoryStore({ index: { dims: dim, embeddings: this.embeddings, fields: ['content'] } });
  }

  async ingest(items: readonly VectorItem[]): Promise<void> {
    for (const item of items) {
      this.embeddings.register(item.content, item.vector);
      await this.store.put(['bench', item.tenant ?? DEFAULT_TENANT], String(item.id), { content: item.content, benchId: item.id });
      this.embeddings.forget(item.content);
    }
  }

  async search(vector: Float32Array, k: number, tenant?: string): Promise<number[]> {
    const query = this.embeddings.queryText(vector);
    try {
      const hits = await this.store.search(tenant === undefined ? ['bench'] : ['bench', tenant], { query, limit: k });
      return hits.map((hit) => Number(hit.value.benchId));
    } finally {
      this.embeddings.forget(query);
    }
  }

  async close(): Promise<void> {
    // Nothing to release beyond the objects themselves.
  }
}
