/**
 * The inside of the archive thread (see archive-thread.ts): the file steps of an archive or a
 * restore, between the archiver's checks and its commit in the catalogue, one reply per job.
 * Every failure is answered as a `MemspaceError`'s fields, translated here, where its cause is.
 */
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { isMemspaceError, MemspaceError } from '../../core/errors.js';
import type { ArchiveJob, ArchiveJobReply, ArchiveJobRequest } from './archive-thread.js';
import { extractSpaceArchive, snapshotDatabase, writeSpaceArchive } from './space-archive.js';
import { damagedError, fsyncPath, NEW_MARKER, SpaceFiles } from './space-files.js';
import { EMPTY_FIGURES } from './space-inspect.js';
import { translateSqliteError } from './sqlite-errors.js';

/**
 * Snapshots the database with `VACUUM INTO`, writes the archive under a temporary name, fsyncs
 * it, renames it and fsyncs `archive/`. On failure the temporaries are removed; the space's own
 * files are never touched. Returns the archive's size.
 */
async function pack(files: SpaceFiles, job: ArchiveJob & { kind: 'pack' }): Promise<number> {
  const { name } = job;
  mkdirSync(files.archiveDir, { recursive: true });
  const snapshot = files.snapshotTemp(name);
  const temp = files.archiveTemp(name);
  const target = files.archive(name);
  try {
    const figures = job.hasDb ? snapshotDatabase(name, files.db(name), snapshot, job.keys?.database) : EMPTY_FIGURES;
    await writeSpaceArchive(temp, { name, snapshot: job.hasDb ? snapshot : null, figures, now: job.now, encrypted: job.keys !== undefined });
    renameSync(temp, target);
    fsyncPath(files.archiveDir);
  } catch (error) {
    files.removeTemps(name);
    throw translateFsError(error);
  } finally {
    rmSync(snapshot, { force: true });
  }
  return statSync(target).size;
}

/**
 * Extracts the archive into a temporary directory under `spaces/` (which checks the
 * database's SHA-256), fsyncs it, replaces whatever directory an interrupted run left, renames
 * it into place and fsyncs `spaces/`. On failure the temporary directory is removed and the
 * archive is left as it was.
 */
async function unpack(files: SpaceFiles, job: ArchiveJob & { kind: 'unpack' }): Promise<void> {
  const { name } = job;
  const temp = files.restoreTemp(name);
  const dir = files.dir(name);
  try {
    mkdirSync(temp, { recursive: true });
    const manifest = await extractSpaceArchive(name, files.archive(name), temp);
    if (manifest.name.toLowerCase() !== name.toLowerCase()) throw damagedError(name, `the archive holds space "${manifest.name}"`);
    if (manifest.database === null) writeFileSync(join(temp, NEW_MARKER), '');
    fsyncPath(temp);
    rmSync(dir, { recursive: true, force: true });
    renameSync(temp, dir);
    fsyncPath(files.spacesDir);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw translateFsError(error);
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

async function run(job: ArchiveJobRequest): Promise<ArchiveJobReply> {
  const files = new SpaceFiles(job.dataDir);
  try {
    const bytes = job.kind === 'pack' ? await pack(files, job) : (await unpack(files, job), 0);
    return { id: job.id, ok: true, bytes };
  } catch (error) {
    const e = isMemspaceError(error) ? error : translateFsError(error);
    return { id: job.id, ok: false, error: { code: e.code, message: e.message, details: e.details } };
  }
}

// Jobs of different spaces may overlap (the owner's registry serialises those of one space).
parentPort?.on('message', (job: ArchiveJobRequest) => void run(job).then((reply) => parentPort!.postMessage(reply)));
