/**
 * Keyword and vector search of one space in SQL, inside the caller's scoped transaction.
 * Keyword ranking is over the space's `tsv` postings; vector ranking is an exact scan of the
 * space's vectors, or for large spaces a walk of the dimension's partial HNSW index
 * (vector-index.ts) re-ranked by exact distance, so scores are exact cosines either way.
 */
import type { FilterNode } from '../../core/filter.js';
import { keywordTerms } from '../../core/query-terms.js';
import type { RunNeighbors } from '../../core/ports/space-store.js';
import type { MemoryRecord, ScoredId } from '../../core/types.js';
import { filterCondition, NumberedParams } from './postgres-filter-dialect.js';
import { fromRow, MEMORY_COLUMNS, type MemoryRow, vectorParam } from './space-rows.js';
import { type Db, EF_SEARCH } from './space-tx.js';
import { hnswExpression } from './vector-index.js';

/**
 * Turns free text into a `to_tsquery` expression: the words of {@link keywordTerms}, each quoted
 * (so tsquery syntax in user input is inert) and joined with `|`, letting the ranking favour
 * memories matching more words. The `english` configuration stems the words. Undefined when the
 * text holds no word.
 */
export function toTsQuery(text: string): string | undefined {
  const words = keywordTerms(text);
  return words.length === 0 ? undefined : words.map((w) => `'${w}'`).join(' | ');
}

/** Search hits, in rank order, with the rows of their memories. */
export interface HitRows {
  hits: ScoredId[];
  /** Each hit's memory, without its vector (which a search never returns). */
  memories: MemoryRecord[];
}

/**
 * A search query's hits (`id`, `seq`, a `score` that orders them) joined with their memories'
 * columns, vectors left out: the rows the search will return, read in the same statement
 * instead of by a statement of their own.
 */
function withMemories(hits: string): string {
  return `WITH hits AS MATERIALIZED (${hits})
    SELECT h.score, ${MEMORY_COLUMNS}, NULL AS embedding FROM hits h JOIN memories m ON m.space_id = $1 AND m.id = h.id
    ORDER BY h.score DESC, h.seq`;
}

function hitRows(rows: (MemoryRow & { score: number })[]): HitRows {
  return { hits: rows.map((r) => ({ id: r.id, score: r.score })), memories: rows.map((r) => fromRow.memory(r)) };
}

/**
 * Best `limit` memories for `query` by `ts_rank` (how often the words occur, content weighing
 * more than tags, no length normalisation); higher is better. Chosen by measurement over
 * `ts_rank_cd` with or without normalisation by length (docs/search.md "How the ranking was
 * chosen"): it finds more on both evaluation sets, and faster.
 */
export async function keywordSearch(db: Db, spaceId: string, query: string, filter: FilterNode | undefined, limit: number, now: number): Promise<HitRows> {
  const tsquery = toTsQuery(query);
  if (tsquery === undefined || limit <= 0) return { hits: [], memories: [] };
  const params = new NumberedParams([spaceId, tsquery, now, limit]);
  const where = filter === undefined ? 'TRUE' : filterCondition(filter, params);
  const result = await db.query<MemoryRow & { score: number }>(
    withMemories(`SELECT m.id, m.seq, ts_rank(m.tsv, q.q)::float8 AS score
     FROM memories m, to_tsquery('english', $2) AS q(q)
     WHERE m.space_id = $1 AND m.tsv @@ q.q AND (m.expires_at IS NULL OR m.expires_at > $3) AND ${where}
     ORDER BY score DESC, m.seq LIMIT $4`),
    params.values,
  );
  return hitRows(result.rows);
}

/** pgvector's largest `hnsw.ef_search`: a larger `limit` walks with this list and iterative rounds. */
const MAX_EF_SEARCH = 1000;

/** How {@link vectorSearch} reads the space. */
export interface VectorSearchOptions {
  /**
   * Walk the dimension's partial HNSW index (see vector-index.ts) instead of scanning the
   * space's vectors. Scores are exact either way; only which rows make the top `limit` may
   * differ. Falls back to the exact scan when the walk finds fewer than `limit` rows.
   */
  approximate?: boolean;
}

/** A query and its parameters. */
export interface SqlQuery {
  text: string;
  values: unknown[];
}

/**
 * Best `limit` memories by cosine similarity to `vector`; scores are `1 - cosine distance`.
 * The approximate form walks with the HNSW settings of the space transaction (see inSpace and
 * {@link prepareVectorSearch}).
 */
export async function vectorSearch(
  db: Db,
  spaceId: string,
  vector: Float32Array,
  filter: FilterNode | undefined,
  limit: number,
  now: number,
  options: VectorSearchOptions = {},
): Promise<HitRows> {
  if (limit <= 0) return { hits: [], memories: [] };
  if (options.approximate === true) {
    const approx = await db.query<MemoryRow & { score: number }>(annVectorQuery(spaceId, vector, filter, limit, now));
    // Fewer rows than asked: the walk gave up (hnsw.max_scan_tuples) before enough rows passed
    // the filter, or fewer exist. Only an exact scan can tell which, and it is cheap when the
    // filter is that selective.
    if (approx.rows.length >= limit) return hitRows(approx.rows);
  }
  return hitRows((await db.query<MemoryRow & { score: number }>(exactVectorQuery(spaceId, vector, filter, limit, now))).rows);
}

/** The exact scan of the space's vectors. */
export function exactVectorQuery(spaceId: string, vector: Float32Array, filter: FilterNode | undefined, limit: number, now: number): SqlQuery {
  const params = new NumberedParams([spaceId, vectorParam(vector), now, limit]);
  const where = filter === undefined ? 'TRUE' : filterCondition(filter, params);
  return {
    text: withMemories(`SELECT m.id, m.seq, 1 - (m.embedding <=> $2::vector) AS score FROM memories m
     WHERE m.space_id = $1 AND (m.expires_at IS NULL OR m.expires_at > $3) AND ${where}
     ORDER BY m.embedding <=> $2::vector, m.seq LIMIT $4`),
    values: params.values,
  };
}

/**
 * The search through the HNSW index of the vector's dimension: the inner query repeats the
 * index's cast expression and partial predicate (or the planner could not use it) and keeps
 * the space, expiry and filter conditions, which iterative scanning applies while walking. With
 * `relaxed_order` the walk returns rows slightly out of order, so the outer query sorts them
 * again by exact distance (as score, `1 - d`).
 */
export function annVectorQuery(spaceId: string, vector: Float32Array, filter: FilterNode | undefined, limit: number, now: number): SqlQuery {
  const dim = vector.length;
  const params = new NumberedParams([spaceId, vectorParam(vector), now, limit]);
  const where = filter === undefined ? 'TRUE' : filterCondition(filter, params);
  const distance = `${hnswExpression(dim)} <=> $2::vector(${dim})`;
  return {
    text: withMemories(`SELECT m.id, m.seq, 1 - (${distance}) AS score FROM memories m
       WHERE m.dimension = ${dim} AND m.space_id = $1 AND (m.expires_at IS NULL OR m.expires_at > $3) AND ${where}
       ORDER BY ${distance} LIMIT $4`),
    values: params.values,
  };
}

/**
 * A space transaction starts with the HNSW walk set for {@link EF_SEARCH} candidates (see
 * inSpace); a larger `limit` raises the list first (a `SET LOCAL`, which a Citus coordinator
 * forwards to the worker).
 */
export async function prepareVectorSearch(db: Db, limit: number): Promise<void> {
  if (limit > EF_SEARCH) await db.query(`SET LOCAL hnsw.ef_search = ${Math.min(MAX_EF_SEARCH, limit)}`);
}

/** Cosine similarity of `vector` with each of `ids` that exists. */
export async function vectorScores(db: Db, spaceId: string, vector: Float32Array, ids: readonly string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const result = await db.query<{ id: string; score: number }>(
    'SELECT m.id, 1 - (m.embedding <=> $2::vector) AS score FROM memories m WHERE m.space_id = $1 AND m.id = ANY($3::text[])',
    [spaceId, vectorParam(vector), [...ids]],
  );
  return new Map(result.rows.map((r) => [r.id, r.score]));
}

/** `SpaceReads.runNeighbors` in SQL: two steps along `memories_run_seq` per id. */
export async function runNeighbors(db: Db, spaceId: string, ids: readonly string[], filter: FilterNode | undefined, now: number): Promise<RunNeighbors[]> {
  if (ids.length === 0) return [];
  const params = new NumberedParams([spaceId, now, [...ids]]);
  const where = filter === undefined ? 'TRUE' : filterCondition(filter, params);
  const side = (op: '<' | '>', order: 'DESC' | 'ASC'): string =>
    `(SELECT m.id FROM memories m WHERE m.space_id = $1 AND m.run_id = s.run_id AND m.seq ${op} s.seq
      AND (m.expires_at IS NULL OR m.expires_at > $2) AND ${where} ORDER BY m.seq ${order} LIMIT 1)`;
  const result = await db.query<RunNeighbors>(
    `SELECT s.id, ${side('<', 'DESC')} AS "before", ${side('>', 'ASC')} AS "after"
     FROM memories s WHERE s.space_id = $1 AND s.id = ANY($3::text[]) AND s.run_id IS NOT NULL`,
    params.values,
  );
  return result.rows;
}
