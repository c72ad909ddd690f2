/**
 * What a row counts against a space's `quotas.maxBytes` (`SpaceStats.payloadBytes`): UTF-8
 * bytes of its texts and JSON, the stored bytes of a compressed context, 4 per vector
 * component. SQLite's usage triggers compute the same sums in SQL (its space-schema.ts);
 * PostgreSQL keeps each row's figure, so a delete subtracts exactly what the insert added.
 */
import type { ContextRecord, MemoryRecord } from '../../core/types.js';

/** Bytes a memory counts: content, metadata JSON, tags JSON and vector. */
export function memoryPayloadBytes(m: MemoryRecord): number {
  return utf8(m.content) + utf8(JSON.stringify(m.metadata)) + utf8(JSON.stringify(m.tags)) + 4 * m.embedding.length;
}

/** Bytes a context counts: its text as stored (`storedBytes`), summary, metadata JSON and vector. */
export function contextPayloadBytes(c: ContextRecord, storedBytes: number): number {
  return storedBytes + utf8(c.summary) + utf8(JSON.stringify(c.metadata)) + 4 * c.embedding.length;
}

function utf8(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
