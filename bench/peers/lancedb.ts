/**
 * LanceDB embedded (`@lancedb/lancedb`, Rust core via N-API) in a temporary directory that is
 * removed on close. One table: id (int32), tenant (utf8), content (utf8), vector
 * (FixedSizeList<float32>). Measured: `table.add(arrowTable)` per ingested chunk (each chunk is
 * converted to Arrow columns here, directly from the Float32Arrays, rather than passed as plain
 * objects that LanceDB would convert row by row), then in `prepare()` a compaction
 * (`optimize()`, which LanceDB recommends after many small appends) and, if asked, an ANN index
 * build; and `vectorSearch(q).distanceType('dot').limit(k)` with `.where("tenant = '…'")` when a
 * tenant is given (LanceDB prefilters by default), reading back only the id and distance.
 *
 * Caveats: without an index a search is an exact scan in Rust, so recall is 1.
 * Every `add` writes a new fragment and table version to disk, which is why `prepare()`
 * compacts before searching. The indexes are trained (k-means) on the data present when
 * `createIndex` runs; rows added later are scanned exactly. IVF_PQ with default parameters
 * (sqrt(n) partitions, nprobes 20, no refine) loses most of the recall on these data, where
 * neighbours differ by less than the PQ error; `refineFactor` (re-ranking by full vectors) buys
 * it back. Searches are async and cross the N-API boundary, and the Rust side may use several
 * threads for one query; the raw HNSW peers search on one thread.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Table as ArrowTable, Utf8, makeData, makeVector, vectorFromArray } from 'apache-arrow';

import { type PeerSystem, type VectorItem, packageVersion } from './peer.js';

/** ANN index built by {@link LanceDbPeer.prepare}. */
export type LanceIndexKind = 'none' | 'ivf_hnsw_sq' | 'ivf_pq' | 'ivf_flat';

/** Options of {@link LanceDbPeer}. */
export interface LanceDbOptions {
  dim: number;
  /** Index to build after ingest. @default 'none' */
  index?: LanceIndexKind;
  /** HNSW ef at search time (ivf_hnsw_sq). @default 64 */
  ef?: number;
  /** IVF partitions probed at search time (ivf_pq, ivf_flat). @default LanceDB's default (20) */
  nprobes?: number;
  /** Re-rank refineFactor x k candidates by their full vectors (ivf_pq). @default none */
  refineFactor?: number;
  /** Compact fragments in prepare(). @default true */
  optimize?: boolean;
}

/** LanceDB embedded as a {@link PeerSystem}. */
export class LanceDbPeer implements PeerSystem {
  readonly name: string;
  readonly version = packageVersion('@lancedb/lancedb');
  private readonly dir = mkdtempSync(join(tmpdir(), 'memspace-bench-lance-'));
  private db: lancedb.Connection | undefined;
  private table: lancedb.Table | undefined;

  constructor(private readonly options: LanceDbOptions) {
    const refine = options.refineFactor === undefined ? '' : `, refine ${options.refineFactor}`;
    this.name = `LanceDB embedded (${options.index ?? 'none'}${refine})`;
  }

  async ingest(items: readonly VectorItem[]): Promise<void> {
    if (items.length === 0) return;
    const data = this.toArrow(items);
    if (this.table) {
      await this.table.add(data);
      return;
    }
    this.db = await lancedb.connect(this.dir);
    this.table = await this.db.createTable('items', data);
  }

  async prepare(): Promise<void> {
    const table = this.requireTable();
    if (this.options.optimize ?? true) await table.optimize();
    const kind = this.options.index ?? 'none';
    if (kind === 'none') return;
    const config =
      kind === 'ivf_hnsw_sq'
        ? // One partition (one graph) is LanceDB's advice below millions of rows; M and efC match the raw HNSW peers.
          lancedb.Index.hnswSq({ distanceType: 'dot', numPartitions: 1, m: 16, efConstruction: 128 })
        : kind === 'ivf_pq'
          ? lancedb.Index.ivfPq({ distanceType: 'dot' })
          : lancedb.Index.ivfFlat({ distanceType: 'dot' });
    await table.createIndex('vector', { config, replace: true });
  }

  async search(vector: Float32Array, k: number, tenant?: string): Promise<number[]> {
    let query = this.requireTable().vectorSearch(vector).distanceType('dot').limit(k).select(['id', '_distance']);
    if (this.options.index === 'ivf_hnsw_sq') query = query.ef(this.options.ef ?? 64);
    if (this.options.nprobes !== undefined) query = query.nprobes(this.options.nprobes);
    if (this.options.refineFactor !== undefined) query = query.refineFactor(this.options.refineFactor);
    if (tenant !== undefined) query = query.where(`tenant = '${tenant.replaceAll("'", "''")}'`);
    const rows = (await query.toArray()) as { id: number }[];
    return rows.map((r) => r.id);
  }

  async close(): Promise<void> {
    this.table?.close();
    this.db?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private requireTable(): lancedb.Table {
    if (!this.table) throw new Error('LanceDbPeer: nothing ingested');
    return this.table;
  }

  /** Builds the Arrow columns directly; the vector column wraps one flat Float32Array. */
  private toArrow(items: readonly VectorItem[]): ArrowTable {
    const dim = this.options.dim;
    const flat = new Float32Array(items.length * dim);
    items.forEach((item, i) => flat.set(item.vector, i * dim));
    const vectorType = new FixedSizeList(dim, new Field('item', new Float32(), true));
    const vectors = makeVector(
      makeData({ type: vectorType, length: items.length, nullCount: 0, child: makeData({ type: new Float32(), length: flat.length, data: flat }) }),
    );
    return new ArrowTable({
      id: makeVector(Int32Array.from(items, (item) => item.id)),
      tenant: vectorFromArray(
        items.map((item) => item.tenant ?? ''),
        new Utf8(),
      ),
      content: vectorFromArray(
        items.map((item) => item.content),
        new Utf8(),
      ),
      vector: vectors,
    });
  }
}

