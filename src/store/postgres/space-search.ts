/**
 * Keyword and vector search of one space in SQL, inside the caller's scoped transaction.
 * Both are exact: keyword ranking over the space's `tsv` postings, vector ranking by a scan of
 * the space's vectors (see schema.ts for how per-dimension HNSW indexes would be added).
 */
import type { FilterNode } from '../../core/filter.js';
import type { ScoredId } from '../../core/types.js';
import { compileFilter, SqlParams } from './filter-sql.js';
import { vectorText } from './pg-rows.js';
import type { Db } from './space-tx.js';

/** Most words a keyword query uses. */
const MAX_WORDS = 64;

/**
 * Turns free text into a `to_tsquery` expression: every word quoted (so tsquery syntax in user
 * input is inert) and joined with `|`, letting the ranking favour memories matching more words.
 * The `english` configuration stems the words and drops stop words. Undefined when the text
 * holds no word.
 */
export function toTsQuery(text: string): string | undefined {
  const words = [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])];
  if (words.length === 0) return undefined;
  return words
    .slice(0, MAX_WORDS)
    .map((w) => `'${w}'`)
    .join(' | ');
}

/**
 * Best `limit` memories for `query` by `ts_rank_cd` (cover density, normalised by document
 * length: rank / (1 + log(length))), content weighing more than tags; higher is better.
 */
export async function keywordSearch(db: Db, spaceId: string, query: string, filter: FilterNode | undefined, limit: number, now: number): Promise<ScoredId[]> {
  const tsquery = toTsQuery(query);
  if (tsquery === undefined || limit <= 0) return [];
  const params = new SqlParams([spaceId, tsquery, now, limit]);
  const where = filter === undefined ? 'TRUE' : compileFilter(filter, params);
  const result = await db.query<{ id: string; score: number }>(
    `SELECT m.id, ts_rank_cd(m.tsv, q.q, 1)::float8 AS score
     FROM memories m, to_tsquery('english', $2) AS q(q)
     WHERE m.space_id = $1 AND m.tsv @@ q.q AND (m.expires_at IS NULL OR m.expires_at > $3) AND ${where}
     ORDER BY score DESC, m.seq LIMIT $4`,
    params.values,
  );
  return result.rows.map((r) => ({ id: r.id, score: r.score }));
}

/** Best `limit` memories by cosine similarity to `vector` (exact scan); scores are `1 - cosine distance`. */
export async function vectorSearch(db: Db, spaceId: string, vector: Float32Array, filter: FilterNode | undefined, limit: number, now: number): Promise<ScoredId[]> {
  if (limit <= 0) return [];
  const params = new SqlParams([spaceId, vectorText(vector), now, limit]);
  const where = filter === undefined ? 'TRUE' : compileFilter(filter, params);
  const result = await db.query<{ id: string; score: number }>(
    `SELECT m.id, 1 - (m.embedding <=> $2::vector) AS score FROM memories m
     WHERE m.space_id = $1 AND (m.expires_at IS NULL OR m.expires_at > $3) AND ${where}
     ORDER BY m.embedding <=> $2::vector, m.seq LIMIT $4`,
    params.values,
  );
  return result.rows.map((r) => ({ id: r.id, score: r.score }));
}

/** Cosine similarity of `vector` with each of `ids` that exists. */
export async function vectorScores(db: Db, spaceId: string, vector: Float32Array, ids: readonly string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const result = await db.query<{ id: string; score: number }>(
    'SELECT m.id, 1 - (m.embedding <=> $2::vector) AS score FROM memories m WHERE m.space_id = $1 AND m.id = ANY($3::text[])',
    [spaceId, vectorText(vector), [...ids]],
  );
  return new Map(result.rows.map((r) => [r.id, r.score]));
}
