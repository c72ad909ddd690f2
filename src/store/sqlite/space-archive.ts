import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3-multiple-ciphers';
import { isMemspaceError, MemspaceError } from '../../core/errors.js';
import tar from 'tar-stream';
import { CompressStream, DecompressStream } from 'zstd-napi';
import { damagedError, fsyncPath, isDamageCode, SPACE_DB, sqliteCodeOf } from './space-files.js';
import { useDatabaseKey } from './space-database.js';
import { type DatabaseFigures, readDatabaseFigures } from './space-inspect.js';
import { translateSqliteError } from './sqlite-errors.js';

/*
 * The archive of a cold space: `archive/<Name>.tar.zst`, a tar compressed with zstd (frame
 * checksum on) holding, in this order,
 *   manifest.json  what the archive is (see ArchiveManifest), first so that reading it is cheap;
 *   space.db       a consistent snapshot of the space's database (VACUUM INTO: one file, no WAL),
 *                  absent for a space whose database was never created.
 * Derived files (the vector snapshot and HNSW index) are left out: they are rebuilt from
 * space.db after a restore. Entry names are matched, never used as paths.
 */

/** Value of {@link ArchiveManifest.format}. */
export const ARCHIVE_FORMAT = 'memspace-space-archive';
/** Version of the layout this code writes and reads. */
export const ARCHIVE_VERSION = 1;
const MANIFEST = 'manifest.json';
/** Largest manifest read: a bound, so a damaged header cannot make us buffer gigabytes. */
const MAX_MANIFEST_BYTES = 1 << 20;

/** What an archive holds, as `manifest.json` says. */
export interface ArchiveManifest {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  /** The space's name as recorded in the catalogue. */
  name: string;
  /** When the archive was written, ISO-8601. */
  createdAt: string;
  /** The database snapshot, or null for a space that never had one (restored as new). */
  database: { file: string; bytes: number; sha256: string } | null;
  /** The space's figures at archive time (counts, sizes, last write: never content), so an archived space can be shown without unpacking it. */
  figures: DatabaseFigures;
  /** True when the database inside is encrypted (an encrypted space's); absent in archives of plain spaces. */
  encrypted?: true;
}

/**
 * Writes a consistent copy of the database `dbFile` to `target` (which must not exist) with
 * `VACUUM INTO`, checks it and reads its figures; with `key` (an encrypted space's), the copy
 * is encrypted under the same key. The source is opened read-write so that a WAL
 * left by a crash is applied to the copy like any reader would see it. A source or copy that
 * is corrupt is `BACKEND_UNAVAILABLE` with `details.damaged`.
 */
export function snapshotDatabase(name: string, dbFile: string, target: string, key?: string): DatabaseFigures {
  rmSync(target, { force: true });
  try {
    const source = new Database(dbFile, { fileMustExist: true });
    try {
      // An encrypted source writes its copy encrypted with the same key (SQLite3 Multiple Ciphers' VACUUM INTO).
      useDatabaseKey(source, key);
      source.pragma('busy_timeout = 5000');
      source.prepare('VACUUM INTO ?').run(target);
    } finally {
      source.close();
    }
    // The copy is in rollback-journal mode, so this read-only connection creates nothing beside it.
    const copy = new Database(target, { readonly: true, fileMustExist: true });
    try {
      useDatabaseKey(copy, key);
      const problems = (copy.pragma('quick_check') as { quick_check: string }[]).map((r) => r.quick_check).filter((r) => r !== 'ok');
      if (problems.length > 0) throw damagedError(name, `integrity check failed: ${problems.slice(0, 3).join('; ')}`);
      return readDatabaseFigures(copy);
    } finally {
      copy.close();
    }
  } catch (error) {
    rmSync(target, { force: true });
    if (isDamageCode(sqliteCodeOf(error))) throw damagedError(name, `database cannot be read (${sqliteCodeOf(error)})`, error);
    throw translateSqliteError(error);
  }
}

/**
 * Writes the archive of a space to `target` and fsyncs it: the manifest, then the snapshot
 * `snapshot` (null for a space without a database). The caller writes to a temporary name and
 * renames, so a complete archive is the only kind that ever carries the real name.
 */
export async function writeSpaceArchive(
  target: string,
  input: { name: string; snapshot: string | null; figures: DatabaseFigures; now: number; encrypted?: boolean },
): Promise<ArchiveManifest> {
  const database = input.snapshot === null ? null : { file: SPACE_DB, ...(await digestFile(input.snapshot)) };
  const manifest: ArchiveManifest = {
    format: ARCHIVE_FORMAT,
    version: ARCHIVE_VERSION,
    name: input.name,
    createdAt: new Date(input.now).toISOString(),
    database,
    figures: input.figures,
    ...(input.encrypted === true && { encrypted: true as const }),
  };
  const pack = tar.pack();
  const writing = pipeline(pack, new CompressStream({ compressionLevel: 3, checksumFlag: true }), createWriteStream(target));
  writing.catch(() => undefined); // awaited below; a failure while entries are still being added must not go unhandled
  try {
    const mtime = new Date(input.now);
    pack.entry({ name: MANIFEST, mode: 0o644, mtime }, JSON.stringify(manifest, null, 2));
    if (input.snapshot !== null && database !== null) {
      await pipeline(createReadStream(input.snapshot), pack.entry({ name: SPACE_DB, size: database.bytes, mode: 0o644, mtime }));
    }
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
    throw error;
  } finally {
    await writing;
  }
  fsyncPath(target);
  return manifest;
}

/** Reads only the manifest of an archive (the first entry): a damaged or foreign file is `BACKEND_UNAVAILABLE` with `details.damaged`. */
export async function readArchiveManifest(name: string, file: string): Promise<ArchiveManifest> {
  let manifest: ArchiveManifest | undefined;
  await readArchive(name, file, async (entryName, stream) => {
    if (entryName !== MANIFEST) throw damagedError(name, `archive starts with "${entryName}", not ${MANIFEST}`);
    manifest = parseManifest(name, await readAll(stream, MAX_MANIFEST_BYTES));
    return 'stop';
  });
  if (manifest === undefined) throw damagedError(name, 'archive holds no manifest');
  return manifest;
}

/**
 * Extracts an archive into the directory `dir` (which exists and is empty), checks the
 * database against the manifest's size and SHA-256 and fsyncs it. Returns the manifest.
 * Anything wrong with the archive is `BACKEND_UNAVAILABLE` with `details.damaged`.
 */
export async function extractSpaceArchive(name: string, file: string, dir: string): Promise<ArchiveManifest> {
  let manifest: ArchiveManifest | undefined;
  let extracted = false;
  await readArchive(name, file, async (entryName, stream) => {
    if (manifest === undefined) {
      if (entryName !== MANIFEST) throw damagedError(name, `archive starts with "${entryName}", not ${MANIFEST}`);
      manifest = parseManifest(name, await readAll(stream, MAX_MANIFEST_BYTES));
      return 'continue';
    }
    if (entryName !== SPACE_DB || manifest.database === null || extracted) throw damagedError(name, `unexpected archive entry "${entryName}"`);
    const target = join(dir, SPACE_DB);
    const hash = createHash('sha256');
    let bytes = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    const out = createWriteStream(target);
    let writeFailed = false;
    out.once('error', () => {
      writeFailed = true;
    });
    try {
      await pipeline(stream, tap, out);
    } catch (error) {
      // Our own disk failing (full, read-only) says nothing about the archive, which stays good.
      if (writeFailed) throw new MemspaceError('BACKEND_UNAVAILABLE', `cannot write the restored files of space "${name}"`, { name }, { cause: error });
      throw error;
    }
    const sha256 = hash.digest('hex');
    if (bytes !== manifest.database.bytes || sha256 !== manifest.database.sha256) {
      throw damagedError(name, `archived database does not match its manifest (${bytes} bytes, sha256 ${sha256})`);
    }
    fsyncPath(target);
    extracted = true;
    return 'continue';
  });
  if (manifest === undefined) throw damagedError(name, 'archive holds no manifest');
  if (manifest.database !== null && !extracted) throw damagedError(name, `archive lacks ${SPACE_DB}`);
  return manifest;
}

/**
 * Streams the entries of an archive to `onEntry` in order, until it returns `stop` or the
 * archive ends. Every failure to decompress or untar (corrupt frame, checksum, truncation)
 * becomes `BACKEND_UNAVAILABLE` with `details.damaged`.
 */
async function readArchive(
  name: string,
  file: string,
  onEntry: (entryName: string, stream: NodeJS.ReadableStream) => Promise<'stop' | 'continue'>,
): Promise<void> {
  const extract = tar.extract();
  const feeding = pipeline(createReadStream(file), new DecompressStream(), extract);
  let feedError: unknown;
  feeding.catch((error: unknown) => {
    feedError = error;
  });
  let stopped = false;
  try {
    for await (const entry of extract) {
      if ((await onEntry(entry.header.name, entry as unknown as NodeJS.ReadableStream)) === 'stop') {
        stopped = true;
        break;
      }
    }
    if (!stopped) await feeding;
  } catch (error) {
    if (isMemspaceError(error)) throw error;
    throw damagedError(name, `archive cannot be read: ${describe(feedError ?? error)}`, feedError ?? error);
  } finally {
    if (stopped) extract.destroy(); // the rest of the archive is not needed; the feeding's premature close is expected
  }
}

function parseManifest(name: string, text: string): ArchiveManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw damagedError(name, 'archive manifest is not JSON', error);
  }
  const m = value as Partial<ArchiveManifest> | null;
  if (m === null || typeof m !== 'object' || m.format !== ARCHIVE_FORMAT) throw damagedError(name, 'not a memspace space archive');
  if (m.version !== ARCHIVE_VERSION) throw damagedError(name, `archive format version ${String(m.version)} is not supported (this build reads ${ARCHIVE_VERSION})`);
  const db = m.database;
  if (db !== null && (typeof db !== 'object' || db === undefined || typeof db.sha256 !== 'string' || typeof db.bytes !== 'number')) {
    throw damagedError(name, 'archive manifest lacks the database digest');
  }
  if (typeof m.figures !== 'object' || m.figures === null) throw damagedError(name, 'archive manifest lacks the figures');
  return m as ArchiveManifest;
}

async function readAll(stream: NodeJS.ReadableStream, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > limit) throw new Error(`entry larger than ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function digestFile(file: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return { bytes: statSync(file).size, sha256: hash.digest('hex') };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
