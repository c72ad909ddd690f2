import { closeSync, fsyncSync, openSync, readdirSync, rmSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { MemspaceError } from '../../core/errors.js';

/**
 * Where the files of a space live in the data directory, and the helpers the lifecycle steps
 * (create, open, archive, restore, delete) share. Temporary names carry a `~`, a character no
 * space name may hold, so they can never collide with a space's directory or archive.
 */
export class SpaceFiles {
  /** `<data>/spaces`: one directory per space. */
  readonly spacesDir: string;
  /** `<data>/archive`: one `<Name>.tar.zst` per archived space. */
  readonly archiveDir: string;

  constructor(
    /** The data directory, which also tells a worker thread where the files are. */
    readonly dataDir: string,
  ) {
    this.spacesDir = join(dataDir, 'spaces');
    this.archiveDir = join(dataDir, 'archive');
  }

  /** Directory of a space's files; the name was validated, so it cannot leave `spaces/`. */
  dir(name: string): string {
    return join(this.spacesDir, name);
  }

  /** The space's database. */
  db(name: string): string {
    return join(this.dir(name), SPACE_DB);
  }

  /** Marker of a space whose database was never created (see {@link NEW_MARKER}). */
  marker(name: string): string {
    return join(this.dir(name), NEW_MARKER);
  }

  /** The archive of an archived space. */
  archive(name: string): string {
    return join(this.archiveDir, `${name}.tar.zst`);
  }

  /** Where an archive is written before the rename that makes it complete. */
  archiveTemp(name: string): string {
    return join(this.archiveDir, `${name}~archive.tmp`);
  }

  /** The consistent copy of the database that goes into an archive. */
  snapshotTemp(name: string): string {
    return join(this.archiveDir, `${name}~snapshot.db`);
  }

  /** Where an archive is extracted before the rename that puts the space back. */
  restoreTemp(name: string): string {
    return join(this.spacesDir, `${name}~restore.tmp`);
  }

  /** Removes the temporary files of an interrupted archive or restore of this space. */
  removeTemps(name: string): void {
    for (const path of [this.archiveTemp(name), this.snapshotTemp(name), this.restoreTemp(name)]) rmSync(path, { recursive: true, force: true });
  }
}

/** File name of a space's database inside its directory. */
export const SPACE_DB = 'space.db';

/**
 * An empty file in a space directory whose database does not exist yet: creating a space costs
 * a catalogue row and this directory, and the database is made on first open. Without the
 * marker, a directory without `space.db` is damaged (the file was lost), not new.
 */
export const NEW_MARKER = '.new';

/** Storage of `name` that is missing or unreadable: `BACKEND_UNAVAILABLE` with `details.damaged`. */
export function damagedError(name: string, reason: string, cause?: unknown): MemspaceError {
  return new MemspaceError('BACKEND_UNAVAILABLE', `storage of space "${name}" is damaged: ${reason}`, { name, damaged: true, reason }, { cause });
}

/**
 * The SQLite result code behind an error: a driver error's own `code`, or the one a
 * translated {@link MemspaceError} keeps in `details.sqlite` or its cause.
 */
export function sqliteCodeOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return code;
    const detail = (e as { details?: { sqlite?: unknown } }).details?.sqlite;
    if (typeof detail === 'string') return detail;
  }
  return undefined;
}

/**
 * True when a SQLite error means the file itself is bad (corrupt, not a database, unreadable),
 * as opposed to a passing condition: `SQLITE_CANTOPEN` is what running out of file descriptors
 * looks like, and busy, locked, full or out-of-memory pass too, so none of those marks a space damaged.
 */
export function isDamageCode(code: string | undefined): boolean {
  return code !== undefined && ['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_IOERR'].some((c) => code === c || code.startsWith(`${c}_`));
}

/** Flushes a file or directory to disk; a directory's fsync makes the names in it (creates, renames, removals) durable. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The regular files of a directory with their stats; undefined when the directory does not exist. */
export function listFiles(dir: string): Map<string, Stats> | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const files = new Map<string, Stats>();
  for (const name of names) {
    try {
      const stat = statSync(join(dir, name));
      if (stat.isFile()) files.set(name, stat);
    } catch {
      // Removed between the listing and the stat (an index generation being replaced): not there.
    }
  }
  return files;
}

/**
 * Total size of the files under a space's directory: the database, its WAL and shared-memory
 * files, and the derived vector index files. Files that vanish while it counts (a WAL
 * truncated, an index generation replaced) count as nothing.
 */
export function directoryBytes(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += directoryBytes(path);
    else total += fileBytes(path);
  }
  return total;
}

/** Size of a file, 0 when it does not exist. */
export function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
