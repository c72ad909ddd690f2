/**
 * The feedback state of one space in PostgreSQL (core/feedback.ts): its pheromones and
 * narrative, the migration that holds them, and their SQL, run inside the caller's transaction
 * scoped to the space: a read session, or a write that holds the space's state row locked.
 */
import { halfLifeMs, halfLivesLeft, NARRATIVE_HALF_LIVES, type FeedbackOutcome, type FeedbackStats, type FeedbackWrite, type NarrativeRecord, type PheromoneRecord } from '../../core/feedback.js';
import { applyFeedback, checkMemoryTargets, feedbackTargets, memoryTargets } from '../common/feedback-writes.js';
import type { FeedbackCleared } from '../common/mutation-recorder.js';
import type { NarrativeRow, PheromoneRow } from '../common/space-rows.js';
import { fromRow, fromRowsInSpace, vectorParam } from './space-rows.js';
import type { Db } from './space-tx.js';

/**
 * The migration of `PG_MIGRATIONS` (space-schema.ts, which hands over its RLS policy and app
 * role) that creates the two tables: a pheromone per reinforced memory or document, with the
 * half-lives its level lasts (retention's test is arithmetic), and at most one narrative row
 * per space. Their seqs are the dump's order; a pheromone's comes from `space_state.pheromone_seq`.
 */
export function feedbackTablesMigration(rls: (table: string) => string, appRole: string): string {
  return `
  CREATE TABLE pheromones (
    space_id text COLLATE "C" NOT NULL,
    id text NOT NULL,                        -- a memory id, or a document id a caller reranks
    seq bigint NOT NULL,                     -- dump order
    level double precision NOT NULL,
    updated_at bigint NOT NULL,
    half_lives double precision NOT NULL,
    PRIMARY KEY (space_id, id)
  );
  CREATE UNIQUE INDEX pheromones_seq ON pheromones (space_id, seq);
  CREATE TABLE narrative (
    space_id text COLLATE "C" NOT NULL,
    seq bigint NOT NULL DEFAULT 1 CHECK (seq = 1),
    vector vector NOT NULL,                  -- the space's dimension, unit length
    updated_at bigint NOT NULL,
    updates bigint NOT NULL,
    PRIMARY KEY (space_id, seq)
  );
  ${rls('pheromones')}
  ${rls('narrative')}
  GRANT SELECT, INSERT, UPDATE, DELETE ON pheromones, narrative TO ${appRole};`;
}

/** Columns of the narrative, with the vector as text. */
const NARRATIVE_COLUMNS = 'seq, vector::text AS vector, updated_at, updates';

/** Each dump part's page of the feedback state (space-dump.ts), in seq order. */
export const FEEDBACK_PAGE_SQL = {
  pheromones: 'SELECT seq, id, level, updated_at, half_lives FROM pheromones WHERE space_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
  narrative: `SELECT ${NARRATIVE_COLUMNS} FROM narrative WHERE space_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
} as const;

const SQL = {
  pheromones: 'SELECT seq, id, level, updated_at, half_lives FROM pheromones WHERE space_id = $1 AND id = ANY($2::text[])',
  narrative: `SELECT ${NARRATIVE_COLUMNS} FROM narrative WHERE space_id = $1`,
  count: 'SELECT count(*) AS n FROM pheromones WHERE space_id = $1',
  narrativeAt: 'SELECT updated_at FROM narrative WHERE space_id = $1',
  memories: 'SELECT id FROM memories WHERE space_id = $1 AND id = ANY($2::text[])',
  // Seqs for `$2` rows; an upsert over a pheromone the space holds keeps its own, so its new seq
  // goes unused: the dump needs increasing seqs, not dense ones.
  allocate: 'UPDATE space_state SET pheromone_seq = pheromone_seq + $2 WHERE space_id = $1 RETURNING pheromone_seq - $2 AS first',
  // As rows of a JSON array joined to the space's state row (fromRowsInSpace explains why, for Citus).
  upsertPheromones: `INSERT INTO pheromones (space_id, id, seq, level, updated_at, half_lives)
    SELECT s.space_id, r.id, $3::bigint + r.n, r.level, r.updated_at, r.half_lives
    ${fromRowsInSpace('jsonb_to_recordset($2::jsonb) AS r(n bigint, id text, level double precision, updated_at bigint, half_lives double precision)')}
    ON CONFLICT (space_id, id) DO UPDATE SET level = excluded.level, updated_at = excluded.updated_at, half_lives = excluded.half_lives`,
  upsertNarrative: `INSERT INTO narrative (space_id, seq, vector, updated_at, updates) VALUES ($1, 1, $2::vector, $3, $4)
    ON CONFLICT (space_id, seq) DO UPDATE SET vector = excluded.vector, updated_at = excluded.updated_at, updates = excluded.updates`,
  clearPheromones: 'DELETE FROM pheromones WHERE space_id = $1',
  clearNarrative: 'DELETE FROM narrative WHERE space_id = $1',
  // Typed: a half-life in ms times a fraction of half-lives is no integer, which a bigint parameter refuses.
  sweepPheromones: `DELETE FROM pheromones WHERE space_id = $1 AND id IN (
    SELECT id FROM pheromones WHERE space_id = $1 AND updated_at + half_lives * $2::double precision <= $3::double precision LIMIT $4)`,
  sweepNarrative: 'DELETE FROM narrative WHERE space_id = $1 AND updated_at + $2::double precision <= $3::double precision',
} as const;

/** The stored pheromones of `ids`. */
export async function readPheromones(db: Db, spaceId: string, ids: readonly string[]): Promise<PheromoneRecord[]> {
  if (ids.length === 0) return [];
  return (await db.query<PheromoneRow>(SQL.pheromones, [spaceId, [...ids]])).rows.map(fromRow.pheromone);
}

/** The narrative, if the space has one. */
export async function readNarrative(db: Db, spaceId: string): Promise<NarrativeRecord | undefined> {
  const row = (await db.query<NarrativeRow<string>>(SQL.narrative, [spaceId])).rows[0];
  return row === undefined ? undefined : fromRow.narrative(row);
}

/** How many pheromones, and when the narrative last moved. */
export async function readFeedbackStats(db: Db, spaceId: string): Promise<FeedbackStats> {
  const reinforced = (await db.query<{ n: number }>(SQL.count, [spaceId])).rows[0]?.n ?? 0;
  const at = (await db.query<{ updated_at: number }>(SQL.narrativeAt, [spaceId])).rows[0]?.updated_at;
  return { reinforced: Number(reinforced), narrativeUpdatedAt: at === undefined ? null : Number(at) };
}

/**
 * Applies one feedback call inside the caller's write (common/feedback-writes.ts decides what).
 * The write holds the space's state row locked, so the feedback writers of the space run one at
 * a time: the pheromones, narrative and count read here stay as read until the commit, and no
 * deposit nor the `MAX_PHEROMONES` check is lost to a concurrent call.
 */
export async function writeFeedback(db: Db, spaceId: string, write: FeedbackWrite, now: number): Promise<FeedbackOutcome> {
  const asked = memoryTargets(write);
  const found = asked.length === 0 ? new Set<string>() : new Set((await db.query<{ id: string }>(SQL.memories, [spaceId, asked])).rows.map((r) => r.id));
  checkMemoryTargets(write, (id) => found.has(id));
  const held = Number((await db.query<{ n: number }>(SQL.count, [spaceId])).rows[0]?.n ?? 0);
  const current = await readPheromones(db, spaceId, feedbackTargets(write));
  const outcome = applyFeedback(write, current, await readNarrative(db, spaceId), held, now);
  await putFeedback(db, spaceId, outcome.pheromones, outcome.narrative === undefined ? [] : [outcome.narrative]);
  return outcome;
}

/** Writes pheromones and a narrative as they are, over what the space holds (a feedback call's outcome, or a restore), inside the caller's write. */
export async function putFeedback(db: Db, spaceId: string, pheromones: readonly PheromoneRecord[], narrative: readonly NarrativeRecord[]): Promise<void> {
  if (pheromones.length > 0) {
    const first = (await db.query<{ first: number }>(SQL.allocate, [spaceId, pheromones.length])).rows[0]!.first;
    const rows = pheromones.map((p, i) => ({ n: i + 1, id: p.id, level: p.level, updated_at: p.updatedAt, half_lives: halfLivesLeft(p.level) }));
    await db.query(SQL.upsertPheromones, [spaceId, JSON.stringify(rows), first]);
  }
  for (const n of narrative) await db.query(SQL.upsertNarrative, [spaceId, vectorParam(n.vector), n.updatedAt, n.updates]);
}

/** Deletes the whole state of the space; returns what went. */
export async function clearFeedback(db: Db, spaceId: string): Promise<FeedbackCleared> {
  const pheromones = (await db.query(SQL.clearPheromones, [spaceId])).rowCount ?? 0;
  return { pheromones, narrative: ((await db.query(SQL.clearNarrative, [spaceId])).rowCount ?? 0) > 0 };
}

/** Deletes at most `limit` pheromones spent at `now`, and the narrative when its pull is. */
export async function sweepSpentFeedback(db: Db, spaceId: string, now: number, halfLifeDays: number, limit: number): Promise<FeedbackCleared> {
  const ms = halfLifeMs(halfLifeDays);
  const pheromones = (await db.query(SQL.sweepPheromones, [spaceId, ms, now, limit])).rowCount ?? 0;
  const narrative = ((await db.query(SQL.sweepNarrative, [spaceId, NARRATIVE_HALF_LIVES * ms, now])).rowCount ?? 0) > 0;
  return { pheromones, narrative };
}
