/**
 * The one interface every peer system implements for the "search at scale" comparison, and the
 * few helpers that all of them share. Ids are the row numbers of the generated data, so recall is
 * computed by comparing ids with the exact top k of bench/vectors.ts.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One item to store: the precomputed vector, its text and, optionally, its tenant. */
export interface VectorItem {
  id: number;
  vector: Float32Array;
  content: string;
  tenant?: string;
}

/** A system under comparison, driven the same way for every one. */
export interface PeerSystem {
  /** Display name, e.g. 'mem0 OSS (in-memory store)'. */
  readonly name: string;
  /** Version of the package measured, read from its package.json. */
  readonly version: string;
  /** Stores items; called repeatedly with chunks. */
  ingest(items: readonly VectorItem[]): Promise<void>;
  /**
   * Optional: called once after the last ingest and before any search, for systems that build
   * their index in bulk (LanceDB). Its time counts as build time.
   */
  prepare?(): Promise<void>;
  /** Ids of the k nearest items by inner product, best first; with a tenant, only that tenant's. */
  search(vector: Float32Array, k: number, tenant?: string): Promise<number[]>;
  /** Releases everything, including temporary files. */
  close(): Promise<void>;
}

/**
 * The version in an installed package's package.json. Many packages do not export
 * `./package.json`, so the entry point is resolved and the directories above it searched.
 */
export function packageVersion(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.resolve(name)));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name && pkg.version) return pkg.version;
    } catch {
      // No readable package.json at this level: keep climbing. Nested stubs (usearch's
      // dist/esm/package.json holds only "type") fail the name check above and are skipped too.
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

/**
 * Deterministic text for item `id`: a short sentence, so that systems which tokenize or
 * lemmatize every stored text (mem0 does, for BM25) pay a realistic cost. Unique per id, because
 * text-keyed systems embed through a text-to-vector lookup.
 */
export function contentFor(id: number): string {
  const topics = ['invoice', 'meeting', 'deadline', 'travel', 'budget', 'contract', 'hiring', 'release'];
  return `The user mentioned the ${topics[id % topics.length]} during the call and asked for follow-up number ${id}`;
}

/**
 * A Float32Array as number[], for APIs that take plain arrays. A loop into a preallocated array:
 * `Array.from` goes through the iterator protocol and is about 15 times slower (30-40 µs against
 * 2-3 µs for 512 floats here), which would be charged to the peer.
 */
export function toNumberArray(vector: Float32Array): number[] {
  const out = new Array<number>(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = vector[i]!;
  return out;
}

/** Key under which untenanted items are kept by peers that keep one index per tenant. */
export const DEFAULT_TENANT = 'bench';

/** Groups items by tenant, keeping their order. */
export function byTenant(items: readonly VectorItem[]): Map<string, VectorItem[]> {
  const groups = new Map<string, VectorItem[]>();
  for (const item of items) {
    const key = item.tenant ?? DEFAULT_TENANT;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(item);
  }
  return groups;
}

/** Merges per-tenant hits (higher score is better) into one best-first list of k ids. */
export function mergeHits(lists: readonly { ids: readonly number[]; scores: readonly number[] }[], k: number): number[] {
  if (lists.length === 1) return lists[0]!.ids.slice(0, k);
  const all: { id: number; score: number }[] = [];
  for (const list of lists) list.ids.forEach((id, i) => all.push({ id, score: list.scores[i]! }));
  all.sort((a, b) => b.score - a.score);
  return all.slice(0, k).map((hit) => hit.id);
}
