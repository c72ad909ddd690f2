import { MemspaceError } from '../../core/errors.js';

/** Node socket errors that mean the database cannot be reached. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNABORTED']);

/**
 * SQLSTATE classes and codes that mean the server cannot serve now, not that the request is
 * wrong: connection exceptions (08), insufficient resources (53), operator intervention
 * (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now), system errors (58).
 */
function unavailable(code: string): boolean {
  return code.startsWith('08') || code.startsWith('53') || code.startsWith('58') || ['57P01', '57P02', '57P03'].includes(code);
}

/**
 * What a Citus coordinator reports (as an internal error, XX000) when it cannot reach a worker:
 * the worker is down, or restarted since this session's cached connection to it was opened
 * (Citus drops that connection, so the session's next transaction reconnects).
 */
const CITUS_UNREACHABLE = /connection to the remote node .* failed|failure on connection marked as essential|could not establish any connections to the node|connection not open/i;

/**
 * Translates a `pg` driver error into a {@link MemspaceError}, keeping the original as `cause`:
 * the one place that knows SQLSTATE codes. A row-level security violation (42501) is a bug in
 * this backend (the store always writes the space it is scoped to), so it is `INTERNAL`.
 */
export function translatePgError(error: unknown): MemspaceError {
  if (error instanceof MemspaceError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (code === '23505') return new MemspaceError('CONFLICT', 'already exists', undefined, { cause: error });
    if (code === '23503') return new MemspaceError('NOT_FOUND', 'a referenced memory does not exist in this space', undefined, { cause: error });
    if (NETWORK_CODES.has(code) || unavailable(code) || (code === 'XX000' && CITUS_UNREACHABLE.test(String((error as Error).message)))) {
      return new MemspaceError('BACKEND_UNAVAILABLE', 'database cannot serve this request; nothing was written', { postgres: code }, { cause: error });
    }
    // 22021 / 22P05: a NUL character, which Postgres text and jsonb cannot hold (SQLite can).
    if (code === '22021' || code === '22P05') {
      return new MemspaceError('VALIDATION_FAILED', 'text may not contain NUL (\\u0000) characters with the postgres backend', { postgres: code }, { cause: error });
    }
    if (code === '42501') return new MemspaceError('INTERNAL', 'internal storage error (permission or row-level security)', undefined, { cause: error });
  }
  // pg reports a dropped connection without a code.
  const message = error instanceof Error ? error.message : '';
  if (/Connection terminated|connection timeout|Client has encountered a connection error|Cannot use a pool after calling end/i.test(message)) {
    return new MemspaceError('BACKEND_UNAVAILABLE', 'database cannot serve this request; nothing was written', undefined, { cause: error });
  }
  return new MemspaceError('INTERNAL', 'internal storage error', undefined, { cause: error });
}
