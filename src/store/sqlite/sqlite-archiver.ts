import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { MemspaceError } from '../../core/errors.js';
import type { Archiver } from '../../core/ports/archiver.js';
import type { SpaceRecord } from '../../core/types.js';
import type { ArchiveThread } from './archive-thread.js';
import { damagedError, SPACE_DB, type SpaceFiles } from './space-files.js';
import type { SqliteSpaceCatalog } from './sqlite-space-catalog.js';

/**
 * Archive tiers of the embedded backend: a closed space's directory packed into one file
 * under `archive/`, and back. Each step spans the catalogue and the files, so the row's
 * `state` is the commit point, and what an interrupted step left is cleaned by the next call.
 * They assume one process works on a given space at a time (the registry of that process
 * serialises them); two processes archiving the same space at once are not coordinated. The
 * heavy file steps (snapshot, compression, extraction, fsync) run in a worker thread
 * (archive-thread.ts), so the server answers other requests meanwhile.
 */
export class SqliteArchiver implements Archiver {
  constructor(
    private readonly spaces: SqliteSpaceCatalog,
    private readonly files: SpaceFiles,
    /** Clock of the times archives record, in epoch milliseconds. */
    private readonly now: () => number,
    /** Where the file steps run, off the event loop. */
    private readonly thread: ArchiveThread,
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
    await this.removeLeftovers(record);
    if (record.state === 'archived') throw new MemspaceError('CONFLICT', `space "${record.name}" is already archived`, { space: record.name });
    const hasDb = existsSync(this.files.db(record.name));
    if (!hasDb && !existsSync(this.files.marker(record.name))) {
      throw damagedError(record.name, existsSync(this.files.dir(record.name)) ? `${SPACE_DB} is missing` : 'space directory is missing');
    }
    const keys = this.spaces.fileKeys(record);
    const { bytes } = await this.thread.run({ kind: 'pack', dataDir: this.files.dataDir, name: record.name, hasDb, now: this.now(), keys });
    this.spaces.setState(record.name, 'archived');
    await rm(this.files.dir(record.name), { recursive: true, force: true });
    return { bytes };
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
    await this.removeLeftovers(record);
    if (record.state !== 'archived') throw new MemspaceError('CONFLICT', `space "${record.name}" is not archived`, { space: record.name });
    if (!existsSync(this.files.archive(record.name))) throw damagedError(record.name, 'archive file is missing');
    await this.thread.run({ kind: 'unpack', dataDir: this.files.dataDir, name: record.name });
    this.spaces.setState(record.name, 'idle');
    await rm(this.files.archive(record.name), { force: true });
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
  private async removeLeftovers(record: SpaceRecord): Promise<void> {
    this.files.removeTemps(record.name);
    if (record.state === 'archived') await rm(this.files.dir(record.name), { recursive: true, force: true });
    else await rm(this.files.archive(record.name), { force: true });
  }
}
