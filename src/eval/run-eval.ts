import { definedOnly } from '../core/defined.js';
import { MemspaceError } from '../core/errors.js';
import type { EmbedderProvider } from '../core/ports/embedder.js';
import { MAX_LIMIT, SearchRequestSchema } from '../core/schemas.js';
import type { Memspace } from '../memspace.js';
import { withEvalMemspace } from './eval-memspace.js';
import { readEvalSet, type EvalSet } from './eval-set.js';
import { firstRelevantRank, NDCG_K, summarize, type MetricSummary, type RankedQuery } from './metrics.js';

/** A search mode of the engine. */
export type SearchMode = 'vector' | 'keyword' | 'hybrid';
/** How hybrid search fuses its two rankings. */
export type Fusion = 'weighted' | 'rrf';

/** Vector weights tried by the sweep, for each fusion. */
export const SWEEP_WEIGHTS: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** Options of {@link runEvaluation}. */
export interface EvaluationOptions {
  /** The evaluation set, JSON Lines (see `bench/data/README.md`). */
  file: string;
  /** Cut-offs of recall@k. @default [1, 5, 10] */
  ks?: readonly number[];
  /** Modes evaluated with the engine's default fusion and weight. @default ["vector", "keyword", "hybrid"] */
  modes?: readonly SearchMode[];
  /** Also evaluate hybrid search at every vector weight of {@link SWEEP_WEIGHTS}, with each fusion. @default false */
  sweep?: boolean;
  /**
   * Data directory to load the set into; the space `eval-<time>` is created there and kept.
   * @default a fresh temporary directory, removed afterwards, with the space deleted (it lives in
   * the database when the backend is PostgreSQL)
   */
  dataDir?: string;
  /** Memories per `addMemories` call. @default 64 */
  batchSize?: number;
  /** Environment the configuration is read from (embedder pool size and the like). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Embedders to use instead of the default ones; they are not closed. */
  embedders?: EmbedderProvider;
  /** Called as memories are stored and as searches run. */
  onProgress?: (phase: 'load' | 'search', done: number, total: number) => void;
  /** Clock, in epoch milliseconds, for the timings. @default Date.now */
  now?: () => number;
}

/** The figures of one way of searching. */
export interface EvaluationRow {
  /** `vector`, `keyword`, `hybrid`, or a sweep row such as `hybrid rrf 0.3`. */
  label: string;
  mode: SearchMode;
  /** Fusion of a hybrid row (the engine's default on the plain `hybrid` row); null otherwise. */
  fusion: Fusion | null;
  /** Vector weight of a hybrid row; null otherwise. */
  vectorWeight: number | null;
  /** True for rows added by the sweep. */
  sweep: boolean;
  metrics: MetricSummary;
  /** Rank (1-based) of the first relevant hit of each query, null when none came back. */
  firstRelevantRank: Record<string, number | null>;
}

/** What {@link runEvaluation} measured. */
export interface EvaluationResult {
  file: string;
  memories: number;
  queries: number;
  ks: number[];
  /** Results asked of every search: the largest k, and at least 10 for nDCG@10. */
  limit: number;
  /** The engine's defaults for hybrid search, which the plain `hybrid` row uses. */
  defaults: { fusion: Fusion; vectorWeight: number };
  rows: EvaluationRow[];
  /** Wall-clock time of embedding and storing the memories, and of all searches, in milliseconds. */
  timings: { loadMs: number; searchMs: number };
}

interface RowSpec {
  label: string;
  mode: SearchMode;
  fusion?: Fusion;
  vectorWeight?: number;
  sweep: boolean;
}

const DEFAULT_KS = [1, 5, 10] as const;
const DEFAULT_MODES: readonly SearchMode[] = ['vector', 'keyword', 'hybrid'];

/**
 * Measures retrieval quality on a labelled set: loads its memories into a new space with the
 * space's default embedder (the local model), runs every query in every mode through the engine's
 * public search, and averages recall@k, MRR and nDCG@10 per mode. The set is read and checked
 * before anything is opened, so a bad file fails fast with `VALIDATION_FAILED`.
 */
export async function runEvaluation(options: EvaluationOptions): Promise<EvaluationResult> {
  const ks = checkKs(options.ks ?? DEFAULT_KS);
  const modes = checkModes(options.modes ?? DEFAULT_MODES);
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw invalid('batchSize', 'a positive integer');
  const set = await readEvalSet(options.file);
  const limit = Math.max(...ks, NDCG_K);
  const defaults = searchDefaults();
  const specs = rowSpecs(modes, options.sweep === true);
  const now = options.now ?? Date.now;

  const space = `eval-${now().toString(36)}`;
  return withEvalMemspace(options, 'memspace-eval-', async (ms) => {
    await ms.spaces.create({ name: space, description: `retrieval evaluation of ${options.file}` });
    try {
      return await measure(ms, space);
    } finally {
      // A run without a data directory of its own leaves nothing behind, on a PostgreSQL backend too.
      if (options.dataDir === undefined) await ms.spaces.delete(space);
    }
  });

  async function measure(ms: Memspace, space: string): Promise<EvaluationResult> {
    let started = now();
    await load(set, batchSize, (batch) => ms.memories.addMany(space, batch), options.onProgress);
    const loadMs = now() - started;

    started = now();
    const total = specs.length * set.queries.length;
    let done = 0;
    const rows: EvaluationRow[] = [];
    for (const spec of specs) {
      const ranked: (RankedQuery & { id: string })[] = [];
      for (const q of set.queries) {
        const { results } = await ms.search.run(space, { query: q.query, mode: spec.mode, limit, ...definedOnly({ fusion: spec.fusion, vectorWeight: spec.vectorWeight }) });
        ranked.push({ id: q.id, ranked: results.map((r) => r.memory.id), relevant: q.relevant });
        options.onProgress?.('search', ++done, total);
      }
      const hybrid = spec.mode === 'hybrid';
      rows.push({
        label: spec.label,
        mode: spec.mode,
        fusion: hybrid ? (spec.fusion ?? defaults.fusion) : null,
        vectorWeight: hybrid ? (spec.vectorWeight ?? defaults.vectorWeight) : null,
        sweep: spec.sweep,
        metrics: summarize(ranked, ks),
        firstRelevantRank: Object.fromEntries(ranked.map((r) => [r.id, firstRelevantRank(r.ranked, r.relevant)])),
      });
    }
    const searchMs = now() - started;
    return { file: options.file, memories: set.memories.length, queries: set.queries.length, ks, limit, defaults, rows, timings: { loadMs, searchMs } };
  }
}

async function load(
  set: EvalSet,
  batchSize: number,
  add: (batch: unknown[]) => Promise<unknown>,
  onProgress: EvaluationOptions['onProgress'],
): Promise<void> {
  const total = set.memories.length;
  for (let start = 0; start < total; start += batchSize) {
    const batch = set.memories.slice(start, start + batchSize);
    await add(batch.map((m) => ({ id: m.id, content: m.content, tags: m.tags, metadata: m.metadata })));
    onProgress?.('load', Math.min(start + batchSize, total), total);
  }
}

/** The plain modes first, then the sweep of hybrid search over both fusions. */
function rowSpecs(modes: readonly SearchMode[], sweep: boolean): RowSpec[] {
  const specs: RowSpec[] = modes.map((mode) => ({ label: mode, mode, sweep: false }));
  if (sweep) {
    for (const fusion of ['weighted', 'rrf'] as const) {
      for (const vectorWeight of SWEEP_WEIGHTS) specs.push({ label: `hybrid ${fusion} ${vectorWeight}`, mode: 'hybrid', fusion, vectorWeight, sweep: true });
    }
  }
  return specs;
}

/** The fusion and weight a search gets when it names none, read from the schema so they never drift. */
function searchDefaults(): { fusion: Fusion; vectorWeight: number } {
  const { fusion, vectorWeight } = SearchRequestSchema.parse({ query: 'defaults' });
  return { fusion, vectorWeight };
}

/** The cut-offs of recall@k, checked (integers from 1 to the search limit), without repeats, ascending. */
export function checkKs(ks: readonly number[]): number[] {
  if (ks.length === 0) throw invalid('ks', 'give at least one k');
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1 || k > MAX_LIMIT) throw invalid('ks', `k must be an integer from 1 to ${MAX_LIMIT}, got ${k}`);
  }
  return [...new Set(ks)].sort((a, b) => a - b);
}

function checkModes(modes: readonly SearchMode[]): SearchMode[] {
  if (modes.length === 0) throw invalid('modes', 'give at least one mode');
  for (const mode of modes) {
    if (!DEFAULT_MODES.includes(mode)) throw invalid('modes', `unknown mode ${JSON.stringify(mode)}, expected vector, keyword or hybrid`);
  }
  return [...new Set(modes)];
}

/** A `VALIDATION_FAILED` of one option. */
export function invalid(path: string, message: string): MemspaceError {
  return new MemspaceError('VALIDATION_FAILED', `${path}: ${message}`, { issues: [{ path, message }] });
}
