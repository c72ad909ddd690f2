/**
 * Pages of rows, the same for every backend: a query asks one row more than the page holds,
 * which tells whether a next page exists without counting; listings hand out opaque cursors
 * (core/cursor.ts), dumps the last seq of the page.
 */
import { decodeCursor, encodeCursor } from '../../core/cursor.js';
import { MemspaceError } from '../../core/errors.js';
import { type AuditTextRow, auditFromTextRow } from '../../core/audit.js';
import type { ListOptions, Page } from '../../core/ports/space-store.js';
import type { DumpChunk, MemoryRecord } from '../../core/types.js';
import type { ContextRow, HistoryRow, MemoryRow, NarrativeRow, PheromoneRow, RelationRow, RowMappers } from './space-rows.js';

/** One part of a dump. */
export type DumpPart = keyof DumpChunk;

const DUMP_PARTS: ReadonlySet<string> = new Set<DumpPart>(['memories', 'history', 'relations', 'contexts', 'audit', 'pheromones', 'narrative']);

/** Rows of a page and the seq a next page starts after, null on the last page. */
export interface RowPage<R> {
  rows: R[];
  next: number | null;
}

/** The first `limit` of `rows` (read with a limit of `limit + 1`), and where the next page starts. */
export function takePage<R extends { seq: number }>(rows: R[], limit: number): RowPage<R> {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { rows: page, next: more ? page[page.length - 1]!.seq : null };
}

/** The seq a listing continues after (from its cursor), undefined for the first page. */
export function listAfter(options: Pick<ListOptions, 'cursor'>): number | undefined {
  return options.cursor === undefined ? undefined : decodeCursor('s', options.cursor);
}

/** A page of memories from rows read with a limit of `limit + 1`, with the cursor of the next page. */
export function memoryPage<R extends { seq: number }>(rows: R[], limit: number, map: (row: R) => MemoryRecord): Page<MemoryRecord> {
  const page = takePage(rows, limit);
  return { items: page.rows.map(map), nextCursor: page.next === null ? null : encodeCursor('s', page.next) };
}

/** Checks a dump page request: a known part, an integer cursor, a positive integer limit; `VALIDATION_FAILED` otherwise. */
export function checkDumpRequest(part: string, after: number, limit: number): void {
  if (!DUMP_PARTS.has(part)) throw new MemspaceError('VALIDATION_FAILED', `unknown dump part ${part}`);
  if (!Number.isSafeInteger(limit) || limit < 1 || !Number.isSafeInteger(after)) {
    throw new MemspaceError('VALIDATION_FAILED', 'a dump page needs an integer cursor and a positive integer limit', { after, limit });
  }
}

/** The records of a dump page's rows; contexts are decompressed off the event loop. */
export async function decodeDumpRows<J, V>(part: DumpPart, rows: readonly unknown[], fromRow: RowMappers<J, V>): Promise<DumpChunk> {
  switch (part) {
    case 'memories':
      return { memories: (rows as MemoryRow<J, V>[]).map(fromRow.memory) };
    case 'history':
      return { history: (rows as HistoryRow<J>[]).map(fromRow.history) };
    case 'relations':
      return { relations: (rows as RelationRow<J>[]).map(fromRow.relation) };
    case 'audit':
      return { audit: (rows as AuditTextRow[]).map(auditFromTextRow) };
    case 'contexts':
      return { contexts: await Promise.all((rows as ContextRow<J, V>[]).map(fromRow.context)) };
    case 'pheromones':
      return { pheromones: (rows as PheromoneRow[]).map(fromRow.pheromone) };
    case 'narrative':
      return { narrative: (rows as NarrativeRow<V>[]).map(fromRow.narrative) };
  }
}
