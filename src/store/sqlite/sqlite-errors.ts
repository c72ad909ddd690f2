import { MemspaceError } from '../../core/errors.js';

/** SQLite result codes that mean the storage cannot serve right now, not that the request is wrong. */
const UNAVAILABLE = new Set(['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_NOMEM', 'SQLITE_CORRUPT', 'SQLITE_NOTADB']);

/** Translates a driver error into a {@link MemspaceError}, keeping the original as `cause`. */
export function translateSqliteError(error: unknown): MemspaceError {
  if (error instanceof MemspaceError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (code.startsWith('SQLITE_CONSTRAINT_UNIQUE') || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      return new MemspaceError('CONFLICT', 'already exists', undefined, { cause: error });
    }
    if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
      return new MemspaceError('NOT_FOUND', 'a referenced memory does not exist in this space', undefined, { cause: error });
    }
    // Extended codes (SQLITE_IOERR_FSYNC, SQLITE_READONLY_DBMOVED, ...) share their primary code's meaning.
    if ([...UNAVAILABLE].some((c) => code === c || code.startsWith(`${c}_`))) {
      return new MemspaceError('BACKEND_UNAVAILABLE', 'storage cannot serve this request; nothing was written', { sqlite: code }, { cause: error });
    }
  }
  return new MemspaceError('INTERNAL', 'internal storage error', undefined, { cause: error });
}

/** Runs `fn`, translating any driver error. */
export function sqlite<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw translateSqliteError(error);
  }
}
