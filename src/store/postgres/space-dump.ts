/**
 * A space's full dump, page by page, and its restore: rows of a part in their own sequence,
 * and the same rows written back verbatim (ids, times). What a restore records besides its
 * rows (change events, history, audit) is the mutation recorder's.
 */
import { MemspaceError } from '../../core/errors.js';
import { enforceLimits } from '../../core/storage-limits.js';
import type { DumpChunk, MemoryRecord, StorageLimits } from '../../core/types.js';
import type { PreparedContext } from '../common/context-codec.js';
import { checkDumpRequest, decodeDumpRows, type DumpPart, takePage } from '../common/pages.js';
import { memoryPayloadBytes } from '../common/payload-bytes.js';
import { FEEDBACK_PAGE_SQL, putFeedback } from './feedback-state.js';
import { enforceProjectQuota } from './project-quota.js';
import { CONTEXT_COLUMNS, fromRow, insertMemoriesQuery, MEMORIES_PER_INSERT, MEMORY_COLUMNS, vectorParam } from './space-rows.js';
import type { Db, SpaceWrite } from './space-tx.js';

/** Each part's rows, in its own sequence. */
const PAGE_SQL: Readonly<Record<DumpPart, string>> = {
  memories: `SELECT ${MEMORY_COLUMNS}, m.embedding::text AS embedding FROM memories m WHERE m.space_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3`,
  history: 'SELECT * FROM history WHERE space_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
  relations: 'SELECT * FROM relations WHERE space_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
  contexts: `SELECT ${CONTEXT_COLUMNS} FROM contexts WHERE space_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
  audit: 'SELECT * FROM audit WHERE space_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
  ...FEEDBACK_PAGE_SQL,
};

/** Reads and decodes rows of `part` after seq `after`, oldest first, in one statement (one snapshot). */
export async function readDumpPage(db: Db, spaceId: string, part: DumpPart, after: number, limit: number): Promise<{ chunk: DumpChunk; next: number | null }> {
  checkDumpRequest(part, after, limit);
  const page = takePage((await db.query<{ seq: number }>(PAGE_SQL[part], [spaceId, after, limit + 1])).rows, limit);
  return { chunk: await decodeDumpRows(part, page.rows, fromRow), next: page.next };
}

/**
 * Inserts memories with the next memory seqs, counting them and their payload bytes in the
 * state row; with `limits`, checks them first, before anything is written. An id the space
 * already holds (or one given twice) is `CONFLICT` naming it; the caller's transaction then takes
 * back whatever was inserted. The id check is the insert itself (`ON CONFLICT ... DO NOTHING`,
 * then counting what came back): no round trip of its own.
 */
export async function writeMemoryRows(w: SpaceWrite, memories: readonly MemoryRecord[], limits?: StorageLimits): Promise<void> {
  const seen = new Set<string>();
  for (const { id } of memories) {
    if (seen.has(id)) throw new MemspaceError('CONFLICT', `memory ${id} appears twice in this batch`, { id });
    seen.add(id);
  }
  const s = w.state;
  const before = { memories: s.memories, payloadBytes: s.payloadBytes };
  const sized = memories.map((memory) => ({ memory, payloadBytes: memoryPayloadBytes(memory) }));
  const firstSeq = s.memorySeq + 1;
  s.memorySeq += memories.length;
  s.memories += memories.length;
  s.payloadBytes += sized.reduce((sum, m) => sum + m.payloadBytes, 0);
  // The locked state row makes the figures exact; the project's lock, its total.
  enforceLimits(before, s, limits);
  await enforceProjectQuota(w, limits?.project, before, s);
  for (let start = 0; start < sized.length; start += MEMORIES_PER_INSERT) {
    const chunk = sized.slice(start, start + MEMORIES_PER_INSERT);
    const inserted = await w.db.query<{ id: string }>(insertMemoriesQuery(w.spaceId, chunk, firstSeq + start));
    if (inserted.rows.length < chunk.length) {
      const added = new Set(inserted.rows.map((r) => r.id));
      const id = chunk.find((m) => !added.has(m.memory.id))!.memory.id;
      throw new MemspaceError('CONFLICT', `memory ${id} already exists in this space`, { id });
    }
  }
}

/** Inserts one prepared context with the next context seq, counting it; `CONFLICT` when its id exists. */
export async function writeContextRow(w: SpaceWrite, c: PreparedContext): Promise<void> {
  const { record: r, encoded: e } = c;
  const inserted = await w.db.query(
    `INSERT INTO contexts (space_id, id, seq, content, summary, metadata, embedding, created_at, original_bytes, stored_bytes, payload_bytes)
     VALUES ($1, $2, $3, $4, $5, $6, $7::vector, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
    [w.spaceId, r.id, w.state.contextSeq + 1, e.stored, r.summary, JSON.stringify(r.metadata), vectorParam(r.embedding), r.createdAt, e.originalBytes, e.storedBytes, c.payloadBytes],
  );
  if (inserted.rowCount === 0) throw new MemspaceError('CONFLICT', `context ${r.id} already exists in this space`, { id: r.id });
  w.state.contextSeq += 1;
  w.state.contexts += 1;
  w.state.payloadBytes += c.payloadBytes;
}

/**
 * Writes a chunk's rows verbatim inside the caller's write: memories, then relations (whose
 * ends must exist), then contexts, then the feedback state (over what the space holds). Any
 * failure throws, and the transaction takes every row of the chunk back.
 */
export async function writeDumpChunk(w: SpaceWrite, chunk: DumpChunk, contexts: readonly PreparedContext[]): Promise<void> {
  await writeMemoryRows(w, chunk.memories ?? []);
  for (const r of chunk.relations ?? []) {
    // A missing end fails the foreign key (NOT_FOUND); an id present is CONFLICT.
    const inserted = await w.db.query(
      `INSERT INTO relations (space_id, id, seq, from_id, to_id, type, weight, metadata, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (space_id, id) DO NOTHING`,
      [w.spaceId, r.id, w.state.relationSeq + 1, r.from, r.to, r.type, r.weight, JSON.stringify(r.metadata), r.createdAt],
    );
    if (inserted.rowCount === 0) throw new MemspaceError('CONFLICT', `relation ${r.id} already exists in this space`, { id: r.id });
    w.state.relationSeq += 1;
    w.state.relations += 1;
  }
  for (const c of contexts) await writeContextRow(w, c);
  await putFeedback(w.db, w.spaceId, chunk.pheromones ?? [], chunk.narrative ?? []);
}
