import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MemspaceError } from '../../../src/core/errors.js';
import type { ContextRecord, MemoryRecord } from '../../../src/core/types.js';
import { SqliteSpaceStore } from '../../../src/store/sqlite/sqlite-space-store.js';
import { ctx, DIM, footprint, memory, unit } from './store-fixtures.js';

/*
 * A full disk and read-only storage, for real. First choice: a 2 MiB tmpfs (needs root and a
 * kernel that lets this process mount). The disk-budget path (SQLite's max_page_count, which
 * makes SQLite itself return SQLITE_FULL) runs always, so at least one real failure path runs
 * wherever the suite does; where mounting works both run. In CI (CI=true) the tmpfs cases must
 * run: there a mount that fails fails them, rather than a skip passing unnoticed.
 */

const ROOT = mkdtempSync(join(tmpdir(), 'memspace-full-'));
const MOUNT = join(ROOT, 'tmpfs');
mkdirSync(MOUNT);
const MOUNT_ERROR = tryMount();
const TMPFS = MOUNT_ERROR === undefined;
const IN_CI = process.env['CI'] === 'true';
console.info(`storage-failure: ${TMPFS ? 'real 2 MiB tmpfs and SQLite max_page_count' : 'SQLite max_page_count only (tmpfs mount not permitted here)'}`);

const stores: SqliteSpaceStore[] = [];

afterAll(async () => {
  for (const s of stores) await s.close();
  if (TMPFS) {
    try {
      execFileSync('umount', [MOUNT], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', MOUNT], { stdio: 'pipe' }); // still busy: detach, the kernel frees it once released
    }
  }
  rmSync(ROOT, { recursive: true, force: true });
});

/** Mounts the tmpfs; returns why it could not, or undefined once mounted. */
function tryMount(): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', MOUNT], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Fails a tmpfs case that runs without its tmpfs (in CI, where it is not skipped). */
function requireTmpfs(): void {
  if (!TMPFS) throw new Error(`CI=true: the tmpfs cases must run, but mounting a tmpfs failed (run as root where mount is permitted): ${MOUNT_ERROR}`);
}

function remount(options: string): void {
  execFileSync('mount', ['-o', `remount,${options}`, MOUNT], { stdio: 'pipe' });
}

function open(file: string, options: ConstructorParameters<typeof SqliteSpaceStore>[2] = {}): SqliteSpaceStore {
  const store = new SqliteSpaceStore(file, DIM, options);
  stores.push(store);
  return store;
}

/** Rejects with BACKEND_UNAVAILABLE, a translated SQLite storage error. */
async function expectUnavailable(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the write should have failed').toBeInstanceOf(MemspaceError);
  expect((error as MemspaceError).code).toBe('BACKEND_UNAVAILABLE');
  expect((error as MemspaceError).details?.['sqlite']).toMatch(/^SQLITE_(FULL|IOERR|READONLY|CANTOPEN)/);
}

const text = (n: number, seed: string): string => Array.from({ length: n }, (_, i) => `${seed}-${i * 7919} `).join('');
// About 2 KB each: a full disk refuses any write, and the 2 MiB tmpfs must hold every write that succeeds.
const bigMemory = (id: string, extra: Partial<MemoryRecord> = {}): MemoryRecord => memory(id, { content: text(200, id), ...extra });
const bigContext = (id: string, hashes = 500): ContextRecord => ({
  id,
  // Hashes do not compress, so the context takes real space (44 bytes a hash).
  content: Array.from({ length: hashes }, (_, i) => createHash('sha256').update(`${id}${i}`).digest('base64')).join(''),
  summary: 's',
  metadata: {},
  embedding: unit(1),
  createdAt: 1,
  originalBytes: 0,
  storedBytes: 0,
});

/** Fills the file system holding `path` to the last byte. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(256 * 1024, 7);
  try {
    for (let size = chunk.length; size > 0; ) {
      try {
        writeSync(fd, chunk, 0, size);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        size >>= 1;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Empties the WAL through a second connection, so the next write must allocate new space: a
 * WAL keeps the space of frames a failed transaction wrote, and would quietly reuse it.
 */
function emptyWal(file: string): void {
  const db = new Database(file);
  try {
    const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    expect(r!.busy).toBe(0);
  } finally {
    db.close();
  }
}

describe('storage failures', () => {
  it.skipIf(!TMPFS && !IN_CI)('on a real full tmpfs: every write fails whole as BACKEND_UNAVAILABLE, and the same store writes again once space returns', async () => {
    requireTmpfs();
    const dir = join(MOUNT, 'space');
    mkdirSync(dir);
    const file = join(dir, 'space.db');
    const ballast = join(MOUNT, 'ballast');
    // A stopped clock: the store's own checkpoints (at least a second apart) must not move the WAL under the test.
    const store = open(file, { create: true, now: () => 0 });
    await store.insertMemories(Array.from({ length: 20 }, (_, i) => memory(`expired${i}`, { expiresAt: 5 })), ctx());
    await store.insertMemories([memory('a'), memory('b')], ctx());
    await store.insertRelation({ id: 'r', from: 'a', to: 'expired0', type: 't', weight: 1, metadata: {}, createdAt: 1 }, ctx());

    /** Runs `attempt` on a full disk (it must fail and change nothing), then again with space back (it must succeed). */
    const onFullDisk = async (attempt: () => Promise<unknown>, check: () => Promise<void>): Promise<void> => {
      emptyWal(file);
      fillDisk(ballast);
      const before = await footprint(store);
      await expectUnavailable(attempt());
      expect(await footprint(store)).toEqual(before);
      await check();
      rmSync(ballast);
      await attempt();
    };

    // Group commit: two callers in one transaction, one of which alone might have fitted.
    let group: PromiseSettledResult<void>[] = [];
    await onFullDisk(
      async () => {
        group = await Promise.allSettled([store.insertMemories([memory('small')], ctx()), store.insertMemories(Array.from({ length: 10 }, (_, i) => bigMemory(`g${i}`)), ctx())]);
        const failed = group.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
      },
      async () => {
        expect(group.map((r) => r.status)).toEqual(['rejected', 'rejected']);
        expect(await store.getMemories(['small', 'g0', 'g9'])).toEqual([]);
      },
    );
    expect((await store.getMemories(['small', 'g0', 'g9'])).length).toBe(3);

    await onFullDisk(
      () => store.sweepExpired(10, null, 100, ctx()),
      async () => expect((await store.getMemories(['expired0'])).length).toBe(1),
    );
    expect(await store.getMemories(['expired0', 'expired19'])).toEqual([]);
    expect(await store.listRelations(['a'], 'both', undefined)).toEqual([]);

    await onFullDisk(
      () => store.restore({ memories: Array.from({ length: 5 }, (_, i) => bigMemory(`restored${i}`)), contexts: [bigContext('rc')] }, 1),
      async () => {
        expect(await store.getMemories(['restored0'])).toEqual([]);
        expect(await store.getContext('rc')).toBeUndefined();
      },
    );
    await onFullDisk(
      () => store.insertContext(bigContext('c'), ctx()),
      async () => expect(await store.getContext('c')).toBeUndefined(),
    );

    // More room for the whole file system: more than the old limit can hold now fits.
    remount('size=64m');
    await store.insertMemories(Array.from({ length: 300 }, (_, i) => bigMemory(`after${i}`)), ctx());
    expect((await store.stats()).memories).toBeGreaterThan(300);
    expect(await store.integrityCheck()).toEqual([]);
    expect(await store.verifyAudit()).toMatchObject({ ok: true });
  });

  it.skipIf(!TMPFS && !IN_CI)('on read-only tmpfs: opening or writing is BACKEND_UNAVAILABLE, and the space works again once writable', async () => {
    requireTmpfs();
    for (const s of stores) await s.close(); // a file open for writing keeps the remount from happening
    const dir = join(MOUNT, 'ro');
    mkdirSync(dir);
    const file = join(dir, 'space.db');
    const first = open(file, { create: true });
    await first.insertMemories([memory('a')], ctx());
    await first.close();

    remount('ro');
    try {
      let store: SqliteSpaceStore | undefined;
      try {
        store = open(file);
      } catch (error) {
        console.info('storage-failure: read-only tmpfs refused the open');
        expect(error).toBeInstanceOf(MemspaceError);
        expect((error as MemspaceError).code).toBe('BACKEND_UNAVAILABLE');
      }
      if (store !== undefined) {
        console.info('storage-failure: read-only tmpfs opened the database read-only');
        // SQLite opened the file read-only: reads work, writes are refused.
        expect((await store.getMemories(['a'])).length).toBe(1);
        await expectUnavailable(store.insertMemories([memory('b')], ctx()));
        await expectUnavailable(store.sweepExpired(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 10, ctx()));
        expect((await store.getMemories(['a'])).length).toBe(1);
        await store.close();
      }
    } finally {
      remount('rw');
    }
    const again = open(file);
    await again.insertMemories([memory('b')], ctx());
    expect((await again.getMemories(['a', 'b'])).length).toBe(2);
    await again.close();
  });

  it('on a full disk budget (SQLite max_page_count): writes fail whole as BACKEND_UNAVAILABLE, and the same store writes again once the budget is raised', async () => {
    const dir = mkdtempSync(join(ROOT, 'budget-'));
    const store = open(join(dir, 'space.db'), { create: true, maxPageCount: 100_000 });
    await store.insertMemories([memory('a'), memory('b')], ctx());
    // Pin the budget to the pages in use: a write that grows the database is a full disk. Each
    // write below needs far more pages than the few that FTS segment merges leave free.
    const inUse = store.setMaxPageCount(1);
    expect(inUse).toBeGreaterThan(1);

    const onFullBudget = async (attempt: () => Promise<unknown>, check: () => Promise<void>): Promise<void> => {
      store.setMaxPageCount(1);
      const before = await footprint(store);
      await expectUnavailable(attempt());
      expect(await footprint(store)).toEqual(before);
      await check();
      store.setMaxPageCount(100_000);
      await attempt();
    };

    let group: PromiseSettledResult<void>[] = [];
    await onFullBudget(
      async () => {
        group = await Promise.allSettled([store.insertMemories([memory('small')], ctx()), store.insertMemories(Array.from({ length: 10 }, (_, i) => memory(`g${i}`, { content: text(2000, `g${i}`) })), ctx())]);
        const failed = group.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
      },
      async () => {
        expect(group.map((r) => r.status)).toEqual(['rejected', 'rejected']);
        expect(await store.getMemories(['small', 'g0'])).toEqual([]);
      },
    );
    expect((await store.getMemories(['small', 'g0', 'g9'])).length).toBe(3);

    await onFullBudget(
      () => store.restore({ memories: Array.from({ length: 5 }, (_, i) => memory(`restored${i}`, { content: text(2000, `r${i}`) })), contexts: [bigContext('rc', 5000)] }, 1),
      async () => expect(await store.getMemories(['restored0'])).toEqual([]),
    );
    await onFullBudget(
      () => store.insertContext(bigContext('c', 5000), ctx()),
      async () => expect(await store.getContext('c')).toBeUndefined(),
    );
    await onFullBudget(
      () => store.updateMemory(bigMemory('a', { content: text(20_000, 'grown') }), ctx()),
      async () => expect((await store.getMemories(['a']))[0]!.content).toBe('content of a'),
    );
    expect(await store.integrityCheck()).toEqual([]);
    expect(await store.verifyAudit()).toMatchObject({ ok: true });
  });
});
