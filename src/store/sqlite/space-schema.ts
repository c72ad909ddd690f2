import type Database from 'better-sqlite3-multiple-ciphers';

/**
 * Migrations of a space's database, applied in order; `PRAGMA user_version` records how many
 * ran. Append only: a released migration never changes. Exported so tests can build a
 * database as an older release left it.
 */
export const SPACE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE memories (
    seq INTEGER PRIMARY KEY,                 -- insertion order: FTS rowid and listing cursor
    id TEXT NOT NULL UNIQUE,
    content TEXT NOT NULL,
    metadata TEXT NOT NULL,                  -- JSON object
    tags TEXT NOT NULL,                      -- JSON array of strings
    user_id TEXT,
    agent_id TEXT,
    run_id TEXT,
    kind TEXT NOT NULL,
    importance REAL NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER,
    embedding BLOB NOT NULL,                 -- float32 little-endian, unit length
    access_count INTEGER NOT NULL DEFAULT 0,
    last_accessed_at INTEGER
  );
  CREATE INDEX memories_user ON memories(user_id) WHERE user_id IS NOT NULL;
  CREATE INDEX memories_agent ON memories(agent_id) WHERE agent_id IS NOT NULL;
  CREATE INDEX memories_run ON memories(run_id) WHERE run_id IS NOT NULL;
  CREATE INDEX memories_expires ON memories(expires_at) WHERE expires_at IS NOT NULL;

  CREATE VIRTUAL TABLE memories_fts USING fts5(
    content, tags,
    content = 'memories', content_rowid = 'seq',
    tokenize = 'porter unicode61 remove_diacritics 2'
  );
  CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts(rowid, content, tags) VALUES (new.seq, new.content, new.tags);
  END;
  CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, content, tags) VALUES ('delete', old.seq, old.content, old.tags);
  END;
  CREATE TRIGGER memories_fts_update AFTER UPDATE OF content, tags ON memories BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, content, tags) VALUES ('delete', old.seq, old.content, old.tags);
    INSERT INTO memories_fts(rowid, content, tags) VALUES (new.seq, new.content, new.tags);
  END;

  CREATE TABLE history (
    seq INTEGER PRIMARY KEY,
    memory_id TEXT NOT NULL,
    action TEXT NOT NULL,
    old_content TEXT,
    new_content TEXT,
    old_metadata TEXT,
    new_metadata TEXT,
    actor TEXT,
    at INTEGER NOT NULL
  );
  CREATE INDEX history_memory ON history(memory_id, seq);

  CREATE TABLE relations (
    id TEXT PRIMARY KEY,
    from_id TEXT NOT NULL REFERENCES memories(id),
    to_id TEXT NOT NULL REFERENCES memories(id),
    type TEXT NOT NULL,
    weight REAL NOT NULL,
    metadata TEXT NOT NULL,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX relations_from ON relations(from_id, type);
  CREATE INDEX relations_to ON relations(to_id, type);

  -- A random identity, so derived files (the vector snapshot) are never applied to another database.
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  INSERT INTO meta VALUES ('uid', lower(hex(randomblob(16))));

  -- AUTOINCREMENT: a sequence number is never reused, even after the newest event is removed,
  -- so a reader resuming after seq N can trust that nothing new will appear below N.
  CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    op TEXT NOT NULL,
    id TEXT NOT NULL
  );
  `,
  // 2: the audit trail. Append-only and hash-chained (core/audit.ts); seq is assigned by the
  // writer as the last seq + 1 under the write lock, so it has no gaps.
  `
  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,                     -- epoch ms
    actor TEXT,                              -- key id or name
    action TEXT NOT NULL,                    -- memory.create, request.denied, ...
    ids TEXT NOT NULL,                       -- JSON array of the ids concerned (at most 1,000)
    request_id TEXT,
    details TEXT,                            -- JSON object: names and counts, never memory content
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX audit_action ON audit(action, seq);
  CREATE INDEX audit_at ON audit(at);
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN
    SELECT RAISE(ABORT, 'audit is append-only');
  END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN
    SELECT RAISE(ABORT, 'audit is append-only');
  END;
  `,
  // 3: contexts, usage counters kept by triggers (quotas and stats read one row instead of
  // scanning), a retention index, and a creation sequence for relations (dump cursor).
  `
  CREATE TABLE contexts (
    seq INTEGER PRIMARY KEY,                 -- creation order: dump cursor
    id TEXT NOT NULL UNIQUE,
    content BLOB NOT NULL,                   -- UTF-8 text, brotli-compressed (context-codec.ts)
    summary TEXT NOT NULL,
    metadata TEXT NOT NULL,                  -- JSON object
    embedding BLOB NOT NULL,                 -- float32 little-endian, unit length
    created_at INTEGER NOT NULL,
    original_bytes INTEGER NOT NULL,
    stored_bytes INTEGER NOT NULL
  );

  -- Retention sweeps delete the oldest memories first.
  CREATE INDEX memories_created ON memories(created_at);

  -- The table is WITHOUT ROWID, keyed by a caller's id; seq gives dumps a numeric cursor in
  -- creation order. Existing rows are numbered by (created_at, id).
  ALTER TABLE relations ADD COLUMN seq INTEGER;
  UPDATE relations SET seq = o.n
    FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM relations) AS o
    WHERE o.id = relations.id;
  CREATE UNIQUE INDEX relations_seq ON relations(seq);

  -- One row. payload_bytes is what quotas.maxBytes counts: a memory's content (UTF-8 bytes),
  -- metadata, tags and vector; a context as stored plus its summary, metadata and vector.
  CREATE TABLE usage (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    memories INTEGER NOT NULL,
    relations INTEGER NOT NULL,
    contexts INTEGER NOT NULL,
    payload_bytes INTEGER NOT NULL
  );
  INSERT INTO usage (id, memories, relations, contexts, payload_bytes) VALUES (1,
    (SELECT count(*) FROM memories),
    (SELECT count(*) FROM relations),
    0,
    (SELECT coalesce(sum(length(CAST(content AS BLOB)) + length(metadata) + length(tags) + length(embedding)), 0) FROM memories));

  CREATE TRIGGER memories_usage_insert AFTER INSERT ON memories BEGIN
    UPDATE usage SET memories = memories + 1,
      payload_bytes = payload_bytes + length(CAST(new.content AS BLOB)) + length(new.metadata) + length(new.tags) + length(new.embedding);
  END;
  CREATE TRIGGER memories_usage_delete AFTER DELETE ON memories BEGIN
    UPDATE usage SET memories = memories - 1,
      payload_bytes = payload_bytes - length(CAST(old.content AS BLOB)) - length(old.metadata) - length(old.tags) - length(old.embedding);
  END;
  -- Only the counted columns: access counts are updated far more often and change no size.
  CREATE TRIGGER memories_usage_update AFTER UPDATE OF content, metadata, tags, embedding ON memories BEGIN
    UPDATE usage SET payload_bytes = payload_bytes
      + length(CAST(new.content AS BLOB)) + length(new.metadata) + length(new.tags) + length(new.embedding)
      - length(CAST(old.content AS BLOB)) - length(old.metadata) - length(old.tags) - length(old.embedding);
  END;
  CREATE TRIGGER contexts_usage_insert AFTER INSERT ON contexts BEGIN
    UPDATE usage SET contexts = contexts + 1,
      payload_bytes = payload_bytes + new.stored_bytes + length(new.summary) + length(new.metadata) + length(new.embedding);
  END;
  CREATE TRIGGER contexts_usage_delete AFTER DELETE ON contexts BEGIN
    UPDATE usage SET contexts = contexts - 1,
      payload_bytes = payload_bytes - old.stored_bytes - length(old.summary) - length(old.metadata) - length(old.embedding);
  END;
  CREATE TRIGGER relations_usage_insert AFTER INSERT ON relations BEGIN
    UPDATE usage SET relations = relations + 1;
  END;
  CREATE TRIGGER relations_usage_delete AFTER DELETE ON relations BEGIN
    UPDATE usage SET relations = relations - 1;
  END;
  `,
  // 4: new memories enter the keyword index in one statement per write (INSERT_FTS_AFTER_SQL)
  // instead of one trigger run per row, which cost as much as the row itself in batched adds.
  `
  DROP TRIGGER IF EXISTS memories_fts_insert;
  `,
  // 5: consolidation (core/consolidation.ts). A superseded memory names its successor; searches
  // ask whether any memory is superseded through the partial index before adding the filter.
  // A run keeps, per batch written, what it changed and what was there before, so it can be undone.
  `
  ALTER TABLE memories ADD COLUMN superseded_by TEXT;
  CREATE INDEX memories_superseded ON memories(superseded_by) WHERE superseded_by IS NOT NULL;
  CREATE TABLE consolidation_runs (
    run_id TEXT NOT NULL,
    batch INTEGER NOT NULL,                  -- 0, 1, ... in the order the pass wrote them
    at INTEGER NOT NULL,
    actor TEXT,
    data TEXT NOT NULL,                      -- JSON: ConsolidationBatchRecord (store/common/consolidation-rows.ts)
    undone_at INTEGER,
    PRIMARY KEY (run_id, batch)
  ) WITHOUT ROWID;
  `,
  // 6: the record of completed consolidation passes, one row each, kept by a pass's last batch
  // (health's consolidation figures, store/sqlite/consolidation-stats.ts); memories by update
  // time, so the memories a pass has not seen yet are an indexed count.
  `
  CREATE TABLE consolidation_passes (
    run_id TEXT PRIMARY KEY,
    started_at INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    examined INTEGER NOT NULL,
    merged INTEGER NOT NULL,
    superseded INTEGER NOT NULL,
    undone_at INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX memories_updated ON memories(updated_at);
  `,
  // 7: how many memories retention dropped because their importance decayed under the space's
  // floor (core/decay.ts), ever: a counter beside the usage figures (store/sqlite/decay-sweep.ts).
  `
  ALTER TABLE usage ADD COLUMN decayed INTEGER NOT NULL DEFAULT 0;
  `,
  // 8: feedback (core/feedback.ts). A pheromone per reinforced memory or document, with the
  // half-lives its level lasts (retention's test is arithmetic); the narrative is one row.
  `
  CREATE TABLE pheromones (
    seq INTEGER PRIMARY KEY,                 -- dump order
    id TEXT NOT NULL UNIQUE,                 -- a memory id, or a document id a caller reranks
    level REAL NOT NULL,
    updated_at INTEGER NOT NULL,
    half_lives REAL NOT NULL
  );
  CREATE TABLE narrative (
    seq INTEGER PRIMARY KEY CHECK (seq = 1),
    vector BLOB NOT NULL,                    -- float32, the space's dimension, unit length
    updated_at INTEGER NOT NULL,
    updates INTEGER NOT NULL
  );
  `,
];

/** Brings a space database to the newest schema, in one immediate transaction. */
export function migrateSpace(db: Database.Database): void {
  migrate(db, SPACE_MIGRATIONS);
}

/** Applies the migrations after the one `user_version` records. */
export function migrate(db: Database.Database, migrations: readonly string[]): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current >= migrations.length) return;
  db.transaction(() => {
    const again = db.pragma('user_version', { simple: true }) as number; // another process may have won the race
    for (let v = again; v < migrations.length; v++) db.exec(migrations[v]!);
    db.pragma(`user_version = ${migrations.length}`);
  }).immediate();
}
