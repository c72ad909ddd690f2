import { MemspaceError } from './errors.js';

/**
 * Opaque page cursors: a position (a sequence number) under a one-letter key, base64url JSON.
 * One definition for every backend and listing, so a cursor means the same thing everywhere.
 */

/** The cursor of the page after the row at `seq`. */
export function encodeCursor(key: string, seq: number): string {
  return Buffer.from(JSON.stringify({ [key]: seq })).toString('base64url');
}

/** The position a cursor of {@link encodeCursor} holds; `VALIDATION_FAILED` for anything else. */
export function decodeCursor(key: string, cursor: string): number {
  try {
    const value = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>)[key];
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  } catch {
    // fall through to the error below
  }
  throw new MemspaceError('VALIDATION_FAILED', 'invalid cursor', { issues: [{ path: 'cursor', message: 'not a cursor this server issued' }] });
}
