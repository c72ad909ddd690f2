import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemspaceError } from '../../core/errors.js';
import type { Archiver } from '../../core/ports/archiver.js';
import type { SpaceRecord } from '../../core/types.js';
import { extractSpaceArchive, snapshotDatabase, writeSpaceArchive } from './space-archive.js';
import { damagedError, fsyncPath, NEW_MARKER, SPACE_DB, type SpaceFiles } from './space-files.js';
import { EMPTY_FIGURES } from './space-inspect.js';
import { translateSqliteError } from './sqlite-errors.js';
import type { SqliteSpaceCatalog } from './sqlite-space-catalog.js';

/**
 * Archive tiers of the embedded backend: a closed space's directory packed into one file
 * under `archive/`, and back. Each step spans the catalogue and the files, so the row's
 * `state` is the commit point, and what an interrupted step left is cleaned by the next call.
 * They assume one process works on a given space at a time (the registry of that process
 * serialises them); two processes archiving the same space at once are not coordinated.
 */
export class SqliteArchiver implements Archiver {
  constructor(
    private readonly spaces: SqliteSpaceCatalog,
    private readonly files: SpaceFiles,
    /** Clock of the times archives record, in epoch milliseconds. */
    private readonly now: () => number,
  ) {}

  /**
   * Steps, the catalogue row's state being the commit point: clean leftovers of an interrupted
   * run; snapshot the database with `VACUUM INTO`; write the archive under a temporary name,
   * fsync it, rename it, fsync `archive/`; set the state `archived`; remove the space's
   * directory. A crash before the state change leaves the space as it was (a stray archive of
   * a live space is removed by the next archive or restore call); after it, the archive is
   * complete and a stale directory is removed by the next call. A space whose database was
   * never created is archived as a manifest alone and comes back new.
   */
  async archive(name: string): Promise<{ bytes: number }> {
    const record = await this.requireSpace(name);
    this.removeLeftovers(record);
    if (record.state === 'archived') throw new MemspaceError('CONFLICT', `space "${record.name}" is already archived`, { space: record.name });
    const dbFile = this.files.db(record.name);
    const hasDb = existsSync(dbFile);
    if (!hasDb && !existsSync(this.files.marker(record.name))) {
      throw damagedError(record.name, existsSync(this.files.dir(record.name)) ? `${SPACE_DB} is missing` : 'space directory is missing');
    }
    mkdirSync(this.files.archiveDir, { recursive: true });
    const snapshot = this.files.snapshotTemp(record.name);
    const temp = this.files.archiveTemp(record.name);
    const target = this.files.archive(record.name);
    try {
      const figures = hasDb ? snapshotDatabase(record.name, dbFile, snapshot) : EMPTY_FIGURES;
      await writeSpaceArchive(temp, { name: record.name, snapshot: hasDb ? snapshot : null, figures, now: this.now() });
      renameSync(temp, target);
      fsyncPath(this.files.archiveDir);
    } catch (error) {
      this.files.removeTemps(record.name);
      throw translateFsError(error);
    } finally {
      rmSync(snapshot, { force: true });
    }
    this.spaces.setState(record.name, 'archived');
    rmSync(this.files.dir(record.name), { recursive: true, force: true });
    return { bytes: statSync(target).size };
  }

  /**
   * Extract into a temporary directory under `spaces/`, check the database's SHA-256, fsync,
   * replace whatever directory an interrupted run left, rename into place, fsync `spaces/`, set
   * the state `idle`, remove the archive. A crash before the state change leaves the space
   * archived with its archive intact; after it, a stray archive is removed by the next call. A
   * missing or damaged archive is `BACKEND_UNAVAILABLE` with `details.damaged`.
   */
  async restore(name: string): Promise<void> {
    const record = await this.requireSpace(name);
    this.removeLeftovers(record);
    if (record.state !== 'archived') throw new MemspaceError('CONFLICT', `space "${record.name}" is not archived`, { space: record.name });
    const archive = this.files.archive(record.name);
    if (!existsSync(archive)) throw damagedError(record.name, 'archive file is missing');
    const temp = this.files.restoreTemp(record.name);
    const dir = this.files.dir(record.name);
    try {
      mkdirSync(temp, { recursive: true });
      const manifest = await extractSpaceArchive(record.name, archive, temp);
      if (manifest.name.toLowerCase() !== record.name.toLowerCase()) throw damagedError(record.name, `the archive holds space "${manifest.name}"`);
      if (manifest.database === null) writeFileSync(join(temp, NEW_MARKER), '');
      fsyncPath(temp);
      rmSync(dir, { recursive: true, force: true });
      renameSync(temp, dir);
      fsyncPath(this.files.spacesDir);
    } catch (error) {
      rmSync(temp, { recursive: true, force: true });
      throw translateFsError(error);
    }
    this.spaces.setState(record.name, 'idle');
    rmSync(archive, { force: true });
  }

  private async requireSpace(name: string): Promise<SpaceRecord> {
    const record = await this.spaces.get(name);
    if (record === undefined) throw new MemspaceError('SPACE_NOT_FOUND', `space "${name}" not found`, { space: name });
    return record;
  }

  /**
   * Removes what an interrupted archive or restore left, judged by the committed state: temp
   * files always; for an archived space its directory (the archive is complete); for any
   * other its archive (the space's directory is the truth).
   */
  private removeLeftovers(record: SpaceRecord): void {
    this.files.removeTemps(record.name);
    if (record.state === 'archived') rmSync(this.files.dir(record.name), { recursive: true, force: true });
    else rmSync(this.files.archive(record.name), { force: true });
  }
}

/** File-system failures (disk full, read-only, permissions) mean the storage cannot serve now; other errors pass as they are. */
function translateFsError(error: unknown): MemspaceError {
  if (error instanceof MemspaceError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    return new MemspaceError('BACKEND_UNAVAILABLE', 'storage cannot serve this request; nothing was changed', { errno: code }, { cause: error });
  }
  return translateSqliteError(error);
}
