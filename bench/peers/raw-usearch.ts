/**
 * Raw usearch: an HNSW index with nothing around it, the ceiling of what an engine built on it
 * can reach. Measured: `Index.add(keys, matrix, threads)` per ingested chunk (multi-threaded; the
 * chunk's vectors are first copied into one matrix, a cost any caller has) and
 * `Index.search(q, k, 1)` on one thread. Tenancy is one index per tenant (as memspace keeps one
 * index per space); a search without a tenant searches every index and merges.
 *
 * Caveats: the JS API has no setter for `expansion_search`; it is fixed when the index is
 * constructed. 'i8' stores each coordinate as trunc(127 x / |x|) (index_plugins.hpp,
 * cast_to_i8_gt): on 512-d unit vectors, whose coordinates are around 0.04, that leaves a handful
 * of integer levels per coordinate and caps recall@10 near 0.76 whatever the ef (measured by
 * ann-libraries.ts at 100k); 'f16' keeps recall. Keys are bigints, converted back with
 * Number(). `exactSearch` (not used here) ignores a typed array's byteOffset; `add` and `search`
 * honour it (checked: a subarray query returns the same keys as a copy).
 */
import { availableParallelism } from 'node:os';
import { Index, MetricKind, ScalarKind } from 'usearch';

import { type PeerSystem, type VectorItem, byTenant, mergeHits, packageVersion } from './peer.js';

/** Options of {@link RawUsearchPeer}. */
export interface RawUsearchOptions {
  dim: number;
  /** Scalar type stored in the index. @default 'f32' */
  quantization?: 'f32' | 'f16' | 'i8';
  /** HNSW M. @default 16 */
  connectivity?: number;
  /** efConstruction. @default 128 */
  expansionAdd?: number;
  /** ef at search time. @default 64 */
  expansionSearch?: number;
  /** Threads for a batch add. @default os.availableParallelism() */
  threads?: number;
}

const SCALARS = { f32: ScalarKind.F32, f16: ScalarKind.F16, i8: ScalarKind.I8 } as const;

/** Builds the usearch index with the options of {@link RawUsearchOptions} (also used by ann-libraries.ts). */
export function makeUsearchIndex(options: RawUsearchOptions): Index {
  return new Index({
    dimensions: options.dim,
    metric: MetricKind.IP,
    quantization: SCALARS[options.quantization ?? 'f32'],
    connectivity: options.connectivity ?? 16,
    expansion_add: options.expansionAdd ?? 128,
    expansion_search: options.expansionSearch ?? 64,
    multi: false,
  });
}

/** Raw usearch as a {@link PeerSystem}. */
export class RawUsearchPeer implements PeerSystem {
  readonly name: string;
  readonly version = packageVersion('usearch');
  private readonly indexes = new Map<string, Index>();
  private readonly threads: number;

  constructor(private readonly options: RawUsearchOptions) {
    this.threads = options.threads ?? availableParallelism();
    this.name = `usearch raw (${options.quantization ?? 'f32'}, ef=${options.expansionSearch ?? 64})`;
  }

  async ingest(items: readonly VectorItem[]): Promise<void> {
    const dim = this.options.dim;
    for (const [tenant, group] of byTenant(items)) {
      let index = this.indexes.get(tenant);
      if (!index) this.indexes.set(tenant, (index = makeUsearchIndex(this.options)));
      const keys = new BigUint64Array(group.length);
      const matrix = new Float32Array(group.length * dim);
      group.forEach((item, i) => {
        keys[i] = BigInt(item.id);
        matrix.set(item.vector, i * dim);
      });
      index.add(keys, matrix, this.threads);
    }
  }

  async search(vector: Float32Array, k: number, tenant?: string): Promise<number[]> {
    const indexes = tenant === undefined ? [...this.indexes.values()] : [this.indexes.get(tenant)].filter((i) => i !== undefined);
    const lists = indexes.map((index) => {
      const matches = index.search(vector, k, 1);
      // For the 'ip' metric usearch returns the distance 1 - dot; negate it into a score.
      return { ids: Array.from(matches.keys, Number), scores: Array.from(matches.distances, (d) => -d) };
    });
    return lists.length === 0 ? [] : mergeHits(lists, k);
  }

  async close(): Promise<void> {
    this.indexes.clear();
  }
}
