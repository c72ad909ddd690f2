import { MemspaceError } from '../core/errors.js';
import type { Archiver } from '../core/ports/archiver.js';
import type { Backend } from '../core/ports/backend.js';

/** Why a backend without an archiver refuses: the only one, PostgreSQL, keeps a space's rows in shared tables. */
const NO_ARCHIVER = {
  archive: 'archiving is not supported by the postgres backend: a space has no files to pack',
  restore: 'restoring an archive is not supported by the postgres backend: a space has no files to pack',
} as const;

/**
 * The backend's archiver for `operation` on `space`; `VALIDATION_FAILED` when the backend has
 * none (archive tiers pack a space's files, and only the embedded backend has files per space).
 */
export function archiverOf(backend: Pick<Backend, 'archiver'>, operation: keyof typeof NO_ARCHIVER, space: string): Archiver {
  if (backend.archiver === undefined) throw new MemspaceError('VALIDATION_FAILED', NO_ARCHIVER[operation], { space });
  return backend.archiver;
}
