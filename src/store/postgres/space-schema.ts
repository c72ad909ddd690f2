/**
 * The PostgreSQL schema of memspace and its migrations.
 *
 * Layout. The catalogue (`spaces`, `keys`, `shares`) is small and global; in a Citus cluster it
 * becomes reference tables. Every per-space table (`space_state`, `memories`, `history`,
 * `relations`, `contexts`, `audit`, `changes`) carries `space_id` (the space's lower-cased name,
 * so names stay unique whatever their case) as the first column of its primary key and of
 * every index, so Citus can distribute them all by `space_id`, co-located, without a change.
 *
 * Isolation. Per-space tables have row-level security enabled and forced, with one policy
 * comparing `space_id` with the transaction-local setting `memspace.space`. The space store
 * runs every transaction as the NOBYPASSRLS role {@link APP_ROLE} (`SET LOCAL ROLE`),
 * so a query that forgot its `WHERE space_id` still sees one space only. Settings and role are
 * only ever set transaction-locally: session state would leak between pooled connections
 * (PgBouncer in transaction mode, PGlite's single session).
 *
 * Sequences. `space_state` holds one row per space: usage counters (quotas and stats read one
 * row instead of scanning), the last sequence numbers of the change feed, history, memories,
 * relations and contexts, and the audit head. A writer locks that row first (`SELECT ... FOR
 * UPDATE`), which serialises the writers of one space (not of others), so every per-space
 * sequence increases without gaps and a quota check cannot be crossed by two writers together.
 * A global bigserial would give increasing seqs too, but with gaps and one hot sequence for
 * every tenant; the per-space row keeps the feed dense and `Last-Event-ID` meaningful per space.
 *
 * Vectors. Spaces differ in dimension, so `memories.embedding` is an unconstrained `vector`.
 * Small spaces are searched by exact scans within the space (`ORDER BY embedding <=> $1::vector`).
 * Past the ANN threshold a space searches through a partial HNSW index of its dimension over a
 * cast expression, which the planner uses when the query repeats the cast and the predicate:
 * `CREATE INDEX memories_hnsw_512 ON memories USING hnsw ((embedding::vector(512)) vector_cosine_ops) WHERE dimension = 512`
 * (with `hnsw.iterative_scan = relaxed_order` so filtered per-space searches keep their recall).
 * These indexes are not migrations: they are built concurrently on the first search of a large
 * space of that dimension (vector-index.ts explains the lock and the role that builds them).

 * Keywords. `memories.tsv` is generated from content (weight A) and tags (weight B). Its GIN
 * index leads with `space_id` through `btree_gin` (a contrib extension shipped with PostgreSQL
 * and with PGlite), so a keyword query of one space reads only that space's postings.
 */
import type pg from 'pg';
import { consolidationPassesMigration } from './consolidation-stats.js';
import { feedbackTablesMigration } from './feedback-state.js';
import { FEDERATION_TABLES } from './federation-schema.js';
import { distributeOnCitus } from './citus.js';

/** The role every space-store transaction runs as: cannot bypass RLS, cannot log in (except on Citus: distributeOnCitus). */
export const APP_ROLE = 'memspace_app';

/** Tables holding rows of many spaces, each guarded by the RLS policy on `space_id`. */
export const SPACE_TABLES = ['space_state', 'memories', 'history', 'relations', 'contexts', 'audit', 'changes', 'consolidation_runs', 'consolidation_passes', 'pheromones', 'narrative'] as const;
/** The per-space tables of the first migration, which must stay as released (later tables enable RLS in their own migration). */
const FIRST_SPACE_TABLES = ['space_state', 'memories', 'history', 'relations', 'contexts', 'audit', 'changes'] as const;

/** Arbitrary key of the advisory lock that serialises migrations of servers starting together. */
const MIGRATION_LOCK = 7_420_001;
/** First key of the advisory locks (two keys: this, the hash of the project) that serialise a project's writers. */
const PROJECT_LOCK_CLASS = 7_420_002;

const rls = (table: string): string => `
  ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
  ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
  CREATE POLICY ${table}_space ON ${table}
    USING (space_id = current_setting('memspace.space', true))
    WITH CHECK (space_id = current_setting('memspace.space', true));`;

/**
 * Migrations, applied in order; `memspace_migrations` records which ran. Append only: a
 * released migration never changes. Exported so tests can check idempotence.
 */
export const PG_MIGRATIONS: readonly string[] = [
  `
  CREATE EXTENSION IF NOT EXISTS vector;
  CREATE EXTENSION IF NOT EXISTS btree_gin;

  DO $$
  BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN
      CREATE ROLE ${APP_ROLE} NOLOGIN NOBYPASSRLS;
    END IF;
    -- SET LOCAL ROLE needs membership; a superuser has it implicitly.
    IF NOT pg_has_role(current_user, '${APP_ROLE}', 'MEMBER') THEN
      EXECUTE format('GRANT ${APP_ROLE} TO %I', current_user);
    END IF;
  END
  $$;

  CREATE TABLE spaces (
    name_key text COLLATE "C" PRIMARY KEY,   -- lower(name): unique whatever the case; = space_id
    name text NOT NULL,                      -- as created
    description text NOT NULL,
    isolation text NOT NULL,
    sensitivity text NOT NULL,
    retention_days integer,
    quotas jsonb NOT NULL,
    labels jsonb NOT NULL,
    embedder text NOT NULL,
    dimension integer NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    state text NOT NULL
  );

  CREATE TABLE keys (
    id text PRIMARY KEY,
    name text NOT NULL,
    hash text NOT NULL UNIQUE,               -- sha256 of the key; the key itself is never stored
    grants jsonb NOT NULL,
    default_space text,
    created_at bigint NOT NULL,
    revoked_at bigint
  );

  CREATE TABLE shares (
    id text PRIMARY KEY,
    space text NOT NULL,
    space_key text COLLATE "C" NOT NULL,     -- lower(space)
    to_space text,
    to_space_key text COLLATE "C",           -- lower(to_space)
    to_key text,
    role text NOT NULL,
    tags jsonb,
    created_at bigint NOT NULL,
    created_by text
  );
  CREATE INDEX shares_space ON shares (space_key);
  CREATE INDEX shares_to_space ON shares (to_space_key);

  CREATE TABLE space_state (
    space_id text COLLATE "C" NOT NULL,
    memories bigint NOT NULL DEFAULT 0,
    relations bigint NOT NULL DEFAULT 0,
    contexts bigint NOT NULL DEFAULT 0,
    payload_bytes bigint NOT NULL DEFAULT 0,
    change_seq bigint NOT NULL DEFAULT 0,    -- last change-feed seq
    memory_seq bigint NOT NULL DEFAULT 0,    -- last insertion seq (listing cursor)
    history_seq bigint NOT NULL DEFAULT 0,
    relation_seq bigint NOT NULL DEFAULT 0,
    context_seq bigint NOT NULL DEFAULT 0,
    audit_seq bigint NOT NULL DEFAULT 0,     -- audit head: seq and hash of the newest entry
    audit_hash text,
    last_write_at bigint,
    PRIMARY KEY (space_id)
  );

  CREATE TABLE memories (
    space_id text COLLATE "C" NOT NULL,
    id text NOT NULL,
    seq bigint NOT NULL,                     -- insertion order within the space
    content text NOT NULL,
    metadata jsonb NOT NULL,
    tags jsonb NOT NULL,                     -- JSON array of strings
    user_id text,
    agent_id text,
    run_id text,
    kind text NOT NULL,
    importance double precision NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    expires_at bigint,
    dimension integer NOT NULL,              -- of embedding: the key of per-dimension HNSW indexes
    embedding vector NOT NULL,
    access_count bigint NOT NULL DEFAULT 0,
    last_accessed_at bigint,
    payload_bytes bigint NOT NULL,           -- what this row counts against quotas.maxBytes
    tsv tsvector GENERATED ALWAYS AS (
      setweight(to_tsvector('english', content), 'A') || setweight(jsonb_to_tsvector('english', tags, '["string"]'), 'B')
    ) STORED,
    PRIMARY KEY (space_id, id)
  );
  CREATE UNIQUE INDEX memories_seq ON memories (space_id, seq);
  CREATE INDEX memories_user ON memories (space_id, user_id) WHERE user_id IS NOT NULL;
  CREATE INDEX memories_agent ON memories (space_id, agent_id) WHERE agent_id IS NOT NULL;
  CREATE INDEX memories_run ON memories (space_id, run_id) WHERE run_id IS NOT NULL;
  CREATE INDEX memories_expires ON memories (space_id, expires_at) WHERE expires_at IS NOT NULL;
  CREATE INDEX memories_created ON memories (space_id, created_at);
  CREATE INDEX memories_tsv ON memories USING gin (space_id, tsv);

  CREATE TABLE history (
    space_id text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    memory_id text NOT NULL,
    action text NOT NULL,
    old_content text,
    new_content text,
    old_metadata jsonb,
    new_metadata jsonb,
    actor text,
    at bigint NOT NULL,
    PRIMARY KEY (space_id, seq)
  );
  CREATE INDEX history_memory ON history (space_id, memory_id, seq);

  CREATE TABLE relations (
    space_id text COLLATE "C" NOT NULL,
    id text NOT NULL,
    seq bigint NOT NULL,                     -- creation order: dump cursor
    from_id text NOT NULL,
    to_id text NOT NULL,
    type text NOT NULL,
    weight double precision NOT NULL,
    metadata jsonb NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (space_id, id),
    -- Both ends in the same space by construction: the key includes space_id.
    FOREIGN KEY (space_id, from_id) REFERENCES memories (space_id, id),
    FOREIGN KEY (space_id, to_id) REFERENCES memories (space_id, id)
  );
  CREATE UNIQUE INDEX relations_seq ON relations (space_id, seq);
  CREATE INDEX relations_from ON relations (space_id, from_id, type);
  CREATE INDEX relations_to ON relations (space_id, to_id, type);

  CREATE TABLE contexts (
    space_id text COLLATE "C" NOT NULL,
    id text NOT NULL,
    seq bigint NOT NULL,
    content bytea NOT NULL,                  -- UTF-8 text, brotli-compressed
    summary text NOT NULL,
    metadata jsonb NOT NULL,
    embedding vector NOT NULL,
    created_at bigint NOT NULL,
    original_bytes bigint NOT NULL,
    stored_bytes bigint NOT NULL,
    payload_bytes bigint NOT NULL,           -- what this row counts against quotas.maxBytes
    PRIMARY KEY (space_id, id)
  );
  CREATE UNIQUE INDEX contexts_seq ON contexts (space_id, seq);

  -- ids and details are kept as the JSON text that was hashed, so verification never depends
  -- on how jsonb would normalise numbers or keys.
  CREATE TABLE audit (
    space_id text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    at bigint NOT NULL,
    actor text,
    action text NOT NULL,
    ids text NOT NULL,
    request_id text,
    details text,
    prev_hash text NOT NULL,
    hash text NOT NULL,
    PRIMARY KEY (space_id, seq)
  );
  CREATE INDEX audit_action ON audit (space_id, action, seq);
  CREATE INDEX audit_at ON audit (space_id, at);

  CREATE TABLE changes (
    space_id text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    at bigint NOT NULL,
    op text NOT NULL,
    id text NOT NULL,
    PRIMARY KEY (space_id, seq)
  );

  ${FIRST_SPACE_TABLES.map(rls).join('\n')}

  GRANT SELECT, INSERT, UPDATE, DELETE ON space_state, memories, history, relations, contexts, changes TO ${APP_ROLE};
  -- Append-only for the server: the audit trail is never updated or deleted through it.
  GRANT SELECT, INSERT ON audit TO ${APP_ROLE};
  `,
  // Rows stay whole in the heap up to a page. By default PostgreSQL shrinks any row over 2 KB:
  // with a 512-d vector (2 KB) in it, it moved the vector, or failing that the tsvector and tags,
  // to the TOAST table, one lookup per value read; an exact scan of 10,000 memories read some
  // 60,000 TOAST buffers. Now long values move out only past 8 KB, vectors last (MAIN). Rows
  // written before keep their place until rewritten (VACUUM FULL).
  `
  ALTER TABLE memories SET (toast_tuple_target = 8160);
  ALTER TABLE memories ALTER COLUMN embedding SET STORAGE MAIN;
  ALTER TABLE contexts ALTER COLUMN embedding SET STORAGE MAIN;
  `,
  `
  ALTER TABLE spaces ADD COLUMN project text;                              -- null: the space belongs to no project
  ALTER TABLE spaces ADD COLUMN inherited jsonb NOT NULL DEFAULT '[]';     -- settings taken from the project
  ALTER TABLE spaces ADD COLUMN encryption boolean NOT NULL DEFAULT false;
  CREATE INDEX spaces_project ON spaces (lower(project), name_key);
  `,
  FEDERATION_TABLES, // federation-schema.ts
  // Projects (postgres-project-store.ts). Project quotas are totals across spaces whose rows
  // RLS hides from the app role, so a write reads them through one SECURITY DEFINER function
  // owned by the migrating role, which also takes the project's advisory lock: writers of one
  // project's spaces cross its quotas one at a time, on any server (project-quota.ts).
  `
  CREATE TABLE projects (
    name_key text COLLATE "C" PRIMARY KEY,   -- lower(name): unique whatever the case
    name text NOT NULL,
    description text NOT NULL,
    owner text NOT NULL,
    labels jsonb NOT NULL,
    defaults jsonb NOT NULL,
    quotas jsonb NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
  );
  DO $$ BEGIN
    -- RLS is forced on the owner too: the function (run as the owner) reads every state row.
    EXECUTE format('CREATE POLICY space_state_project_totals ON space_state FOR SELECT TO %I USING (true)', current_user);
  END $$;
  CREATE FUNCTION memspace_project_usage(project_key text)
    RETURNS TABLE (max_memories bigint, max_bytes bigint, memories bigint, payload_bytes bigint)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
  DECLARE
    q jsonb;
  BEGIN
    SELECT p.quotas INTO q FROM projects p WHERE p.name_key = project_key;
    IF q IS NULL OR (q->>'maxMemories' IS NULL AND q->>'maxBytes' IS NULL) THEN RETURN; END IF;
    PERFORM pg_advisory_xact_lock(${PROJECT_LOCK_CLASS}, hashtext(project_key));
    -- A new statement, so a new snapshot: it sees every write committed before the lock was ours.
    RETURN QUERY SELECT (q->>'maxMemories')::bigint, (q->>'maxBytes')::bigint,
      coalesce(sum(st.memories), 0)::bigint, coalesce(sum(st.payload_bytes), 0)::bigint
      FROM spaces s JOIN space_state st ON st.space_id = s.name_key WHERE lower(s.project) = project_key;
  END
  $fn$;
  REVOKE ALL ON FUNCTION memspace_project_usage(text) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION memspace_project_usage(text) TO ${APP_ROLE};
  `,
  // Consolidation (core/consolidation.ts): a superseded memory names its successor (searches
  // ask through the partial index whether a space has any before filtering), and a run keeps,
  // per batch written, what it changed and what was there before, so it can be undone.
  `
  ALTER TABLE memories ADD COLUMN superseded_by text;
  CREATE INDEX memories_superseded ON memories (space_id) WHERE superseded_by IS NOT NULL;
  CREATE TABLE consolidation_runs (
    space_id text COLLATE "C" NOT NULL,
    run_id text NOT NULL,
    batch integer NOT NULL,
    at bigint NOT NULL,
    actor text,
    data jsonb NOT NULL,
    undone_at bigint,
    PRIMARY KEY (space_id, run_id, batch)
  );
  ${rls('consolidation_runs')}
  GRANT SELECT, INSERT, UPDATE ON consolidation_runs TO ${APP_ROLE};
  `,
  // A space's consolidation settings (core/types.ts ConsolidationSettings); '{}' is the defaults.
  `ALTER TABLE spaces ADD COLUMN consolidation jsonb NOT NULL DEFAULT '{}';`,
  consolidationPassesMigration(rls, APP_ROLE), // completed consolidation passes (consolidation-stats.ts)
  // Memories retention dropped as their importance decayed under the floor, ever (decay-sweep.ts).
  'ALTER TABLE space_state ADD COLUMN decayed bigint NOT NULL DEFAULT 0',
  // A run in insertion order, so a search steps to a hit's run neighbours (space-search.ts runNeighbors); it serves run filters too.
  // One statement per migration: Citus sends a distributed table's DDL to the workers one statement at a time.
  'CREATE INDEX memories_run_seq ON memories (space_id, run_id, seq) WHERE run_id IS NOT NULL',
  'DROP INDEX memories_run',
  feedbackTablesMigration(rls, APP_ROLE), // feedback: pheromones and narrative (feedback-state.ts)
  // The last seq given a pheromone of the space (feedback-state.ts).
  'ALTER TABLE space_state ADD COLUMN pheromone_seq bigint NOT NULL DEFAULT 0',
  // A space's feedback settings (core/types.ts FeedbackSettings); '{}' is the defaults.
  `ALTER TABLE spaces ADD COLUMN feedback jsonb NOT NULL DEFAULT '{}'`,
];

/**
 * Brings the database to the newest schema in one transaction, under a transaction-level
 * advisory lock so that servers starting together migrate one after the other (the second
 * then finds nothing to do). Idempotent. Returns the number of migrations applied.
 */
export async function migrate(pool: pg.Pool, migrations: readonly string[] = PG_MIGRATIONS): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS memspace_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM memspace_migrations');
    const current = done.rows[0]?.v ?? 0;
    for (let v = current; v < migrations.length; v++) {
      await client.query(migrations[v]!);
      await client.query('INSERT INTO memspace_migrations (version) VALUES ($1)', [v + 1]);
    }
    await distributeOnCitus(client, SPACE_TABLES, APP_ROLE);
    await client.query('COMMIT');
    return Math.max(0, migrations.length - current);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
