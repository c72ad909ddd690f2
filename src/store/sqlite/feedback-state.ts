/**
 * The feedback state of one space database (core/feedback.ts): its pheromones and narrative,
 * read and written inside the caller's transaction or read, as the store's reads and writes call them.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { halfLifeMs, halfLivesLeft, NARRATIVE_HALF_LIVES, type FeedbackOutcome, type FeedbackStats, type FeedbackWrite, type NarrativeRecord, type PheromoneRecord } from '../../core/feedback.js';
import { applyFeedback, checkMemoryTargets, feedbackTargets } from '../common/feedback-writes.js';
import type { FeedbackCleared } from '../common/mutation-recorder.js';
import type { NarrativeRow, PheromoneRow } from '../common/space-rows.js';
import { fromRow, vectorBlob } from './space-rows.js';

const UPSERT_PHEROMONE_SQL = `INSERT INTO pheromones (id, level, updated_at, half_lives) VALUES (?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET level = excluded.level, updated_at = excluded.updated_at, half_lives = excluded.half_lives`;
const UPSERT_NARRATIVE_SQL = `INSERT INTO narrative (seq, vector, updated_at, updates) VALUES (1, ?, ?, ?)
  ON CONFLICT (seq) DO UPDATE SET vector = excluded.vector, updated_at = excluded.updated_at, updates = excluded.updates`;

/** The stored pheromones of `ids`. */
export function readPheromones(db: Database.Database, ids: readonly string[]): PheromoneRecord[] {
  if (ids.length === 0) return [];
  const rows = db.prepare('SELECT * FROM pheromones WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as PheromoneRow[];
  return rows.map(fromRow.pheromone);
}

/** The narrative, if the space has one. */
export function readNarrative(db: Database.Database): NarrativeRecord | undefined {
  const row = db.prepare('SELECT * FROM narrative WHERE seq = 1').get() as NarrativeRow<Buffer> | undefined;
  return row === undefined ? undefined : fromRow.narrative(row);
}

/** How many pheromones, and when the narrative last moved. */
export function readFeedbackStats(db: Database.Database): FeedbackStats {
  const reinforced = db.prepare('SELECT count(*) FROM pheromones').pluck().get() as number;
  const at = db.prepare('SELECT updated_at FROM narrative WHERE seq = 1').pluck().get() as number | undefined;
  return { reinforced, narrativeUpdatedAt: at ?? null };
}

/** Applies one feedback call inside the caller's write transaction (common/feedback-writes.ts decides what). */
export function writeFeedback(db: Database.Database, write: FeedbackWrite, now: number): FeedbackOutcome {
  const exists = db.prepare('SELECT 1 FROM memories WHERE id = ?').pluck();
  checkMemoryTargets(write, (id) => exists.get(id) !== undefined);
  const held = db.prepare('SELECT count(*) FROM pheromones').pluck().get() as number;
  const outcome = applyFeedback(write, readPheromones(db, feedbackTargets(write)), readNarrative(db), held, now);
  putFeedback(db, outcome.pheromones, outcome.narrative === undefined ? [] : [outcome.narrative]);
  return outcome;
}

/** Writes pheromones and a narrative as they are, over what the space holds (a feedback call's outcome, or a restore). */
export function putFeedback(db: Database.Database, pheromones: readonly PheromoneRecord[], narrative: readonly NarrativeRecord[]): void {
  const pheromone = db.prepare(UPSERT_PHEROMONE_SQL);
  for (const p of pheromones) pheromone.run(p.id, p.level, p.updatedAt, halfLivesLeft(p.level));
  for (const n of narrative) db.prepare(UPSERT_NARRATIVE_SQL).run(vectorBlob(n.vector), n.updatedAt, n.updates);
}

/** Deletes the whole state; returns what went. */
export function clearFeedback(db: Database.Database): FeedbackCleared {
  const pheromones = db.prepare('DELETE FROM pheromones').run().changes;
  return { pheromones, narrative: db.prepare('DELETE FROM narrative').run().changes > 0 };
}

/** Deletes at most `limit` pheromones spent at `now`, and the narrative when its pull is. */
export function sweepSpentFeedback(db: Database.Database, now: number, halfLifeDays: number, limit: number): FeedbackCleared {
  const ms = halfLifeMs(halfLifeDays);
  const pheromones = db.prepare('DELETE FROM pheromones WHERE seq IN (SELECT seq FROM pheromones WHERE updated_at + half_lives * ? <= ? LIMIT ?)').run(ms, now, limit).changes;
  const narrative = db.prepare('DELETE FROM narrative WHERE updated_at + ? <= ?').run(NARRATIVE_HALF_LIVES * ms, now).changes > 0;
  return { pheromones, narrative };
}
