/**
 * Raw hnswlib-node: the reference HNSW implementation with nothing around it. Measured:
 * `addPoint(number[], id)` per item on the main thread (hnswlib-node has no batch or
 * multi-threaded add), including the Float32Array to number[] conversion its API forces, and
 * `searchKnn(number[], k)`, including the same conversion of the query. Tenancy is one index per
 * tenant; a search without a tenant searches every index and merges.
 *
 * Caveats: capacity is fixed at init, so the index is grown with `resizeIndex` (doubling, so its
 * cost is amortised into ingest); ef defaults to 10 and is reset to 10 by `readIndex`, so it is
 * set explicitly after init (and must be after any load); `searchKnn` with k above the element
 * count is clamped here to avoid relying on the library's handling.
 */
import hnswlib from 'hnswlib-node';

import { type PeerSystem, type VectorItem, byTenant, mergeHits, packageVersion, toNumberArray } from './peer.js';

/** Options of {@link RawHnswlibPeer}. */
export interface RawHnswlibOptions {
  dim: number;
  /** HNSW M. @default 16 */
  m?: number;
  /** efConstruction. @default 128 */
  efConstruction?: number;
  /** ef at search time. @default 64 */
  ef?: number;
  /** Capacity of a new index before its first resize. @default 1024 */
  initialCapacity?: number;
}

/** Creates an empty 'ip' index with the options of {@link RawHnswlibOptions} (also used by ann-libraries.ts). */
export function makeHnswlibIndex(options: RawHnswlibOptions, capacity: number): hnswlib.HierarchicalNSW {
  const index = new hnswlib.HierarchicalNSW('ip', options.dim);
  index.initIndex({ maxElements: capacity, m: options.m ?? 16, efConstruction: options.efConstruction ?? 128, randomSeed: 100 });
  index.setEf(options.ef ?? 64);
  return index;
}

/** Raw hnswlib-node as a {@link PeerSystem}. */
export class RawHnswlibPeer implements PeerSystem {
  readonly name: string;
  readonly version = packageVersion('hnswlib-node');
  private readonly indexes = new Map<string, hnswlib.HierarchicalNSW>();

  constructor(private readonly options: RawHnswlibOptions) {
    this.name = `hnswlib-node raw (ef=${options.ef ?? 64})`;
  }

  async ingest(items: readonly VectorItem[]): Promise<void> {
    for (const [tenant, group] of byTenant(items)) {
      let index = this.indexes.get(tenant);
      if (!index) this.indexes.set(tenant, (index = makeHnswlibIndex(this.options, this.options.initialCapacity ?? 1024)));
      const needed = index.getCurrentCount() + group.length;
      if (needed > index.getMaxElements()) index.resizeIndex(Math.max(needed, 2 * index.getMaxElements()));
      for (const item of group) index.addPoint(toNumberArray(item.vector), item.id);
    }
  }

  async search(vector: Float32Array, k: number, tenant?: string): Promise<number[]> {
    const indexes = tenant === undefined ? [...this.indexes.values()] : [this.indexes.get(tenant)].filter((i) => i !== undefined);
    const query = toNumberArray(vector);
    const lists = indexes.map((index) => {
      const result = index.searchKnn(query, Math.min(k, index.getCurrentCount()));
      // 'ip' distances are 1 - dot, ascending; negate into scores.
      return { ids: result.neighbors, scores: result.distances.map((d) => -d) };
    });
    return lists.length === 0 ? [] : mergeHits(lists, k);
  }

  async close(): Promise<void> {
    this.indexes.clear();
  }
}
