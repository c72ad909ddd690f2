/**
 * The exact floor in pure JavaScript: every vector of the tenant kept in one growable
 * Float32Array and scanned with a tight dot-product loop into a k-sized top list. Recall is 1 by
 * construction; its latency is linear in the tenant size and is what an ANN index must beat
 * (and what memspace's exact path for small spaces and for the unindexed tail costs).
 * Measured: the copy into the buffer at ingest, the full scan at search. No native code, no SIMD.
 */
import { TopK } from '../vectors.js';
import { type PeerSystem, type VectorItem, byTenant, mergeHits } from './peer.js';

interface Shard {
  vectors: Float32Array;
  ids: Int32Array;
  size: number;
}

/** Pure JS exact scan as a {@link PeerSystem}. */
export class FlatScanPeer implements PeerSystem {
  readonly name = 'flat scan (pure JS, exact)';
  readonly version = process.version;
  private readonly shards = new Map<string, Shard>();

  constructor(private readonly dim: number) {}

  async ingest(items: readonly VectorItem[]): Promise<void> {
    const dim = this.dim;
    for (const [tenant, group] of byTenant(items)) {
      const shard = this.reserve(tenant, group.length);
      for (const item of group) {
        shard.vectors.set(item.vector, shard.size * dim);
        shard.ids[shard.size++] = item.id;
      }
    }
  }

  async search(vector: Float32Array, k: number, tenant?: string): Promise<number[]> {
    const shards = tenant === undefined ? [...this.shards.values()] : [this.shards.get(tenant)].filter((s) => s !== undefined);
    const lists = shards.map((shard) => {
      const top = scan(shard, vector, this.dim, k);
      return { ids: Array.from(top.result(), (i) => shard.ids[i]!), scores: Array.from(top.scores.subarray(0, top.size)) };
    });
    return lists.length === 0 ? [] : mergeHits(lists, k);
  }

  async close(): Promise<void> {
    this.shards.clear();
  }

  /** The tenant's shard with room for `more` vectors; capacity doubles so that ingest stays linear. */
  private reserve(tenant: string, more: number): Shard {
    let shard = this.shards.get(tenant);
    if (!shard) this.shards.set(tenant, (shard = { vectors: new Float32Array(0), ids: new Int32Array(0), size: 0 }));
    const needed = shard.size + more;
    if (needed > shard.ids.length) {
      const capacity = Math.max(needed, 2 * shard.ids.length, 1024);
      const vectors = new Float32Array(capacity * this.dim);
      vectors.set(shard.vectors.subarray(0, shard.size * this.dim));
      const ids = new Int32Array(capacity);
      ids.set(shard.ids.subarray(0, shard.size));
      shard.vectors = vectors;
      shard.ids = ids;
    }
    return shard;
  }
}

/**
 * Scores every row of the shard; the TopK holds row positions, mapped to ids by the caller.
 * Four independent accumulators let the CPU overlap the multiply-adds: about 1.6 times faster
 * than a single running sum here (7.7 against 12.3 ms for 10k x 512).
 */
function scan(shard: Shard, query: Float32Array, dim: number, k: number): TopK {
  const top = new TopK(k);
  const data = shard.vectors;
  const tail = dim - (dim % 4);
  for (let r = 0; r < shard.size; r++) {
    const base = r * dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < tail; j += 4) {
      s0 += data[base + j]! * query[j]!;
      s1 += data[base + j + 1]! * query[j + 1]!;
      s2 += data[base + j + 2]! * query[j + 2]!;
      s3 += data[base + j + 3]! * query[j + 3]!;
    }
    for (let j = tail; j < dim; j++) s0 += data[base + j]! * query[j]!;
    top.push(r, s0 + s1 + s2 + s3);
  }
  return top;
}
