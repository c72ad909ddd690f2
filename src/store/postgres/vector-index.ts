/**
 * Per-dimension partial HNSW indexes over `memories.embedding`, built lazily.
 *
 * Spaces differ in dimension and `memories.embedding` is an unconstrained `vector`, which HNSW
 * cannot index. Each dimension therefore gets its own partial index over a cast expression,
 * `hnsw ((embedding::vector(d)) vector_cosine_ops) WHERE dimension = d`, which the planner uses
 * when a query repeats the cast and the predicate (see space-search.ts). All spaces of one
 * dimension share it; the search keeps its `space_id` condition and pgvector's iterative scan
 * keeps walking the graph until enough rows of the space have passed the filter.
 *
 * Why lazily, and how. An index is only worth having once some space of that dimension is
 * large (most deployments have small spaces that an exact scan serves as fast), so the first
 * search of a space past the threshold starts the build and does not wait for it: until the
 * index is valid the planner scans exactly, with the same results. The build runs
 * `CREATE INDEX CONCURRENTLY`, which takes a SHARE UPDATE EXCLUSIVE lock on `memories`: reads
 * and writes of every space go on during the build (a plain CREATE INDEX would take a SHARE
 * lock and block every write to every space for minutes), while two builds, VACUUM and
 * ANALYZE of the table wait for each other. CONCURRENTLY cannot run inside a transaction
 * block, and the server's RLS role does not own the table, so the build runs on a pooled
 * connection as the connecting role (the table's owner, who ran the migrations), in autocommit,
 * never inside a space transaction. A build that fails (or a server killed in mid-build) leaves
 * an INVALID index that `IF NOT EXISTS` would skip, so an invalid index is dropped and built
 * again. Servers sharing the database may start the same build: the second waits for the
 * first's lock, then finds the index and does nothing.
 */
import type pg from 'pg';

/** HNSW graph degree: pgvector's default, a good recall/size balance up to ~1,000 dimensions. */
const HNSW_M = 16;
/** Candidate list while building: pgvector's default. */
const HNSW_EF_CONSTRUCTION = 64;
/** Largest dimension an HNSW index of `vector` accepts (pgvector's limit). */
export const MAX_HNSW_DIMENSION = 2000;

/** Name of the HNSW index of one dimension. */
export function hnswIndexName(dimension: number): string {
  return `memories_hnsw_${checkedDimension(dimension)}`;
}

/** The indexed expression: the query must repeat it (with the same cast) to use the index. */
export function hnswExpression(dimension: number, column = 'm.embedding'): string {
  return `(${column}::vector(${checkedDimension(dimension)}))`;
}

/**
 * Builds (once per process and dimension) and remembers the HNSW indexes of one database. A
 * build in progress is shared by every caller; a failed one is forgotten, so the next large
 * search tries again (searches stay exact meanwhile).
 */
export class VectorIndexes {
  private readonly builds = new Map<number, Promise<void>>();

  constructor(private readonly pool: pg.Pool) {}

  /** Starts the index of `dimension` if no build was started, without waiting for it. */
  start(dimension: number): void {
    // A failure is already handled in ensure(); this only keeps it from being unhandled.
    this.ensure(dimension).catch(() => undefined);
  }

  /** Resolves when the index of `dimension` exists and is valid (building it if needed). */
  ensure(dimension: number): Promise<void> {
    if (dimension > MAX_HNSW_DIMENSION) return Promise.resolve(); // exact scans only
    let build = this.builds.get(dimension);
    if (build === undefined) {
      build = buildHnswIndex(this.pool, dimension).catch((error: unknown) => {
        this.builds.delete(dimension);
        throw error;
      });
      this.builds.set(dimension, build);
    }
    return build;
  }
}

/**
 * Creates the partial HNSW index of `dimension` concurrently (see the module comment for the
 * lock), replacing an invalid leftover, then analyses `memories` so the planner's estimate of a
 * space's share of the rows (which decides index scan against exact scan) is current.
 */
export async function buildHnswIndex(pool: pg.Pool, dimension: number): Promise<void> {
  const name = hnswIndexName(dimension);
  const valid = await indexValidity(pool, name);
  if (valid === true) return;
  if (valid === false) await pool.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
  await pool.query(
    `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${name} ON memories USING hnsw (${hnswExpression(dimension, 'embedding')} vector_cosine_ops)
     WITH (m = ${HNSW_M}, ef_construction = ${HNSW_EF_CONSTRUCTION}) WHERE dimension = ${dimension}`,
  );
  await pool.query('ANALYZE memories');
}

/** Whether the index exists and is valid; undefined when it does not exist. */
async function indexValidity(pool: pg.Pool, name: string): Promise<boolean | undefined> {
  const result = await pool.query<{ valid: boolean }>(
    `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace`,
    [name],
  );
  return result.rows[0]?.valid;
}

/** Dimensions reach SQL text (DDL takes no parameters): only a positive integer may. */
function checkedDimension(dimension: number): number {
  if (!Number.isSafeInteger(dimension) || dimension <= 0) throw new RangeError(`not a vector dimension: ${dimension}`);
  return dimension;
}
