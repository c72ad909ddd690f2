/**
 * Where the HNSW index files of a space live: the one place that decides it. The index
 * (hnsw-index.ts), the worker that builds it (ann-worker.js) and the search threads that map it
 * (search-replica.ts) are all handed the directory chosen here.
 *
 * - A plain space keeps them beside its database, in the data directory: they outlive the
 *   process, and a space that opens again checks its index rather than building it.
 * - An encrypted space keeps them in RAM. usearch maps its file and searches the vectors in it
 *   in place, so the file cannot be encrypted, and nothing of an encrypted space may be written
 *   in plain to persistent storage. They go to a directory of this backend on a memory-backed
 *   file system, `/dev/shm/memspace-<pid>-<random>/<database uid>/` (mode 0700), made when the
 *   first build starts and removed when the space closes, when the backend closes and when the
 *   process exits; a backend that starts removes those of processes that died. Nothing there
 *   survives a close, so the index is built again after each open.
 * - An encrypted space where no memory-backed file system is found keeps no index: it is searched
 *   exactly, and its `stats.vectorIndex` says why.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where memory-backed index directories are made unless told otherwise. */
export const DEFAULT_RAM_BASE = '/dev/shm';

/** `statfs` types of the file systems that keep files in RAM only: tmpfs and ramfs. */
const MEMORY_FS_TYPES = new Set([0x01021994, 0x858458f6]);

/** Names of the RAM directories of memspace processes: `memspace-<pid>-<random>`. */
const ROOT_NAME = /^memspace-(\d+)-[0-9a-f]+$/;

/** A space's directory is named by its database uid (set by its first migration: 32 hex digits). */
const UID = /^[0-9a-f]{1,64}$/;

/** The directory of one space's index files. */
export interface IndexDir {
  /** The directory's path. */
  readonly path: string;
  /** True when it is in RAM: it does not outlive the space's close, so the index is rebuilt after each open. */
  readonly inRam: boolean;
  /** Makes the directory if it is missing, before a build writes into it. */
  prepare(): void;
  /** Removes the directory and every file in it when it is in RAM (the space has closed); nothing otherwise. */
  release(): void;
}

/** Where a space's index files go: a directory, or none and why. */
export type IndexPlace = { dir: IndexDir; reason?: undefined } | { dir?: undefined; reason: string };

/**
 * The place of the index files of the space whose database is `file` (its uid `uid`): beside the
 * database for a plain space, in `ram` for an encrypted one, or none when `ram` is missing or
 * unavailable.
 */
export function indexPlace(space: { file: string; uid: string; encrypted: boolean }, ram: RamIndexRoot | undefined): IndexPlace {
  if (!space.encrypted) return { dir: diskDir(dirname(space.file)) };
  if (ram === undefined) return { reason: 'an encrypted space keeps its index in RAM only, and no memory-backed directory was given: exact search' };
  if (ram.unavailable !== undefined) return { reason: ram.unavailable };
  if (!UID.test(space.uid)) return { reason: 'the database has no uid to name its index directory: exact search' };
  return { dir: ram.spaceDir(space.uid) };
}

function diskDir(path: string): IndexDir {
  return {
    path,
    inRam: false,
    prepare: () => undefined, // the space's own directory, which exists while the space is open
    release: () => undefined, // kept: the next open checks it instead of building
  };
}

/** Roots made by this process and not removed yet, for the exit hook. */
const liveRoots = new Set<string>();
let exitHook = false;

/** Removes, when the process exits (its event loop empty, or `process.exit`), the RAM directories of backends that were not closed. */
function removeAtExit(root: string): void {
  liveRoots.add(root);
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const dir of liveRoots) rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * The RAM directory of one backend, where its encrypted spaces keep their index files:
 * `<base>/memspace-<pid>-<random>`, named at construction, made (mode 0700) by the first build.
 * The pid in the name lets a later process find the directories of processes that died
 * (killed, or the machine's power cut: a tmpfs is empty after a reboot anyway).
 */
export class RamIndexRoot {
  /** Why encrypted spaces keep no index: `base` is missing or not a memory-backed file system. Undefined when they can. */
  readonly unavailable: string | undefined;
  /** The directory of this backend. */
  readonly path: string;
  private closed = false;

  constructor(readonly base: string = DEFAULT_RAM_BASE) {
    this.unavailable = notMemoryBacked(base);
    this.path = join(base, `memspace-${process.pid}-${randomBytes(8).toString('hex')}`);
    if (this.unavailable === undefined) removeStaleRoots(base);
  }

  /** The directory of the space whose database uid is `uid`. */
  spaceDir(uid: string): IndexDir {
    const path = join(this.path, uid);
    return {
      path,
      inRam: true,
      prepare: () => {
        this.makeRoot();
        mkdirIfMissing(path);
      },
      release: () => {
        try {
          rmSync(path, { recursive: true, force: true });
        } catch {
          // Not worth failing a close for: it goes with the backend's directory, at the latest when the process exits.
        }
      },
    };
  }

  /** Removes the directory and everything in it; later builds are refused. */
  close(): void {
    this.closed = true;
    rmSync(this.path, { recursive: true, force: true });
    liveRoots.delete(this.path);
  }

  /**
   * Makes the root, readable by this user only. Its name has 64 random bits, so no other user
   * can have made it first; should one exist anyway, it is used only if it is a directory of this
   * user that no one else may enter.
   */
  private makeRoot(): void {
    if (this.closed) throw new Error('the backend is closed');
    mkdirIfMissing(this.path);
    const stat = lstatSync(this.path);
    const mine = process.getuid === undefined || stat.uid === process.getuid();
    if (!stat.isDirectory() || !mine || (stat.mode & 0o077) !== 0) throw new Error(`${this.path} is not a private directory of this user`);
    removeAtExit(this.path);
  }
}

function mkdirIfMissing(path: string): void {
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** Why `base` cannot hold index files of encrypted spaces, or undefined when it can. */
function notMemoryBacked(base: string): string | undefined {
  let type: number;
  try {
    type = statfsSync(base).type;
  } catch {
    return `no memory-backed file system for the index of an encrypted space (${base} is missing): exact search`;
  }
  if (!MEMORY_FS_TYPES.has(type)) return `no memory-backed file system for the index of an encrypted space (${base} is not tmpfs): exact search`;
  return undefined;
}

/**
 * Removes the RAM directories that processes of this user left behind when they died. A live
 * process's directory is left alone; so is one of a pid this process cannot signal (another
 * user's, which it could not remove anyway).
 */
function removeStaleRoots(base: string): void {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(ROOT_NAME.exec(name)?.[1]);
    if (!Number.isSafeInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    try {
      const stat = lstatSync(join(base, name));
      if (stat.isDirectory() && (process.getuid === undefined || stat.uid === process.getuid())) rmSync(join(base, name), { recursive: true, force: true });
    } catch {
      // Removed meanwhile by another process starting, or not ours: either way not ours to clean.
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
