/**
 * The `space_state` row of a space in PostgreSQL: what it holds, how transactions read it (see
 * space-tx.ts: every transaction reads it as it opens, a write locks it), and the figures it
 * gives the catalogue.
 */
import type { ClosedSpaceStats } from '../../core/ports/space-catalog.js';

/**
 * The `space_state` row of a space: its counts, the next value of each of its sequences and the
 * head of its audit chain, as a writer holds it locked. (A space's lifecycle state is
 * `SpaceState` in core, kept in the catalogue.)
 */
export interface SpaceCounters {
  memories: number;
  relations: number;
  contexts: number;
  payloadBytes: number;
  changeSeq: number;
  memorySeq: number;
  historySeq: number;
  relationSeq: number;
  contextSeq: number;
  auditSeq: number;
  auditHash: string | null;
  lastWriteAt: number | null;
}

/** Reads the state row, without locking. */
export const STATE_SQL = `SELECT memories, relations, contexts, payload_bytes AS "payloadBytes", change_seq AS "changeSeq",
  memory_seq AS "memorySeq", history_seq AS "historySeq", relation_seq AS "relationSeq", context_seq AS "contextSeq",
  audit_seq AS "auditSeq", audit_hash AS "auditHash", last_write_at AS "lastWriteAt" FROM space_state WHERE space_id = $1`;

/** Reads and locks the state row: what every write transaction starts with. */
export const LOCK_STATE_SQL = `${STATE_SQL} FOR UPDATE`;

/**
 * The figures of a space from its state row (undefined: a space without one yet). `bytes` is
 * the payload: table pages are shared by every space, so there is no file size to give.
 */
export function stateFigures(s: SpaceCounters | undefined): ClosedSpaceStats {
  return {
    memories: s?.memories ?? 0,
    relations: s?.relations ?? 0,
    contexts: s?.contexts ?? 0,
    bytes: s?.payloadBytes ?? 0,
    payloadBytes: s?.payloadBytes ?? 0,
    walBytes: 0,
    uncheckpointedSince: null,
    lastWriteAt: s?.lastWriteAt ?? null,
    lastSeq: s?.changeSeq ?? 0,
  };
}
