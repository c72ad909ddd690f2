import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SpaceStore } from '../../src/core/ports/space-store.js';
import { type SpaceHandle, SpaceRegistry, type SpaceRegistryOptions } from '../../src/engine/space-registry.js';
import { SqliteBackend } from '../../src/store/sqlite/sqlite-backend.js';
import { memoryRow, spaceRecord, unit, writeCtx } from '../support/space-records.js';
import { tempDir } from '../support/temp-memspace.js';

/*
 * The registry over the real embedded backend: LRU cap, pinning, idle closes on an injected
 * clock, archived and damaged spaces, the onOpen hook, ifOpen, and the test: thousands
 * of spaces used in turn hold a bounded number of file descriptors and a bounded heap.
 */

let dataDir: string;
let backend: SqliteBackend;
let registry: SpaceRegistry | undefined;
let clock = 1_000_000;

function makeRegistry(options: SpaceRegistryOptions = {}): SpaceRegistry {
  registry = new SpaceRegistry(backend, { now: () => clock, ...options });
  return registry;
}

async function create(...names: string[]): Promise<void> {
  for (const name of names) await backend.spaces.create(spaceRecord(name));
}

const touch = (r: SpaceRegistry, name: string): Promise<number> => r.use(name, async ({ store }) => (await store.stats()).memories);
const dbFile = (name: string): string => join(backend.spaceDir(name), 'space.db');
const code = (c: string) => expect.objectContaining({ code: c });

/** A promise and its resolver, to hold a use open as long as a test needs. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

beforeEach(() => {
  dataDir = tempDir('memspace-registry-');
  backend = new SqliteBackend({ dataDir, sync: 'normal', annThreshold: Number.POSITIVE_INFINITY });
  clock = 1_000_000;
});
afterEach(async () => {
  await registry?.close();
  registry = undefined;
  await backend.close();
  rmSync(dataDir, { recursive: true, force: true });
  vi.useRealTimers();
});

describe('LRU and pinning', () => {
  it('keeps at most maxOpenSpaces open, closing the least recently used for real', async () => {
    await create('a', 'b', 'c', 'd', 'e');
    const r = makeRegistry({ maxOpenSpaces: 3 });
    for (const name of ['a', 'b', 'c', 'a', 'd', 'e']) await touch(r, name);
    expect(r.openNames()).toEqual(['a', 'd', 'e']);
    expect(r.stats()).toEqual({ open: 3, cap: 3, opens: 5, evictions: 2, idleCloses: 0, openFailures: 0 });
    // A clean close checkpoints and removes the WAL: the evicted stores really let go.
    expect(existsSync(`${dbFile('b')}-wal`)).toBe(false);
    expect(existsSync(`${dbFile('a')}-wal`)).toBe(true);
  });

  it('never evicts pinned spaces (default always) nor spaces in use', async () => {
    await create('default', 'pin', 'busy', 'x', 'y', 'z');
    const r = makeRegistry({ maxOpenSpaces: 3, pinned: ['PIN'] });
    await touch(r, 'default');
    await touch(r, 'pin');
    const hold = deferred();
    const busy = r.use('busy', () => hold.promise);
    for (const name of ['x', 'y', 'z']) await touch(r, name);
    expect(r.isOpen('default') && r.isOpen('pin') && r.isOpen('busy')).toBe(true);
    hold.resolve();
    await busy;
    await touch(r, 'x');
    expect(r.isOpen('busy')).toBe(false);
    expect(r.isOpen('default') && r.isOpen('pin')).toBe(true);
  });
});

describe('idle closes', () => {
  it('closes spaces unused for longer than idleTimeoutMs by the clock, never pinned or busy ones', async () => {
    await create('default', 'old', 'recent', 'held');
    const r = makeRegistry({ idleTimeoutMs: 1_000 });
    for (const name of ['default', 'old', 'recent']) await touch(r, name);
    const hold = deferred();
    const held = r.use('held', () => hold.promise);
    clock += 600;
    await touch(r, 'recent');
    clock += 500; // old: 1,100 ms idle; recent: 500 ms; held: in use
    expect(await r.closeIdle()).toBe(1);
    expect(r.openNames().sort()).toEqual(['default', 'held', 'recent']);
    clock += 10_000;
    expect(await r.closeIdle()).toBe(1); // recent; held is still in use, default is pinned
    hold.resolve();
    await held;
    clock += 1_001;
    expect(await r.closeIdle()).toBe(1);
    expect(r.openNames()).toEqual(['default']);
    expect(r.stats().idleCloses).toBe(3);
  });

  it('idleTimeoutMs 0 never closes for idleness', async () => {
    await create('s');
    const r = makeRegistry({ idleTimeoutMs: 0 });
    await touch(r, 's');
    clock += 10 ** 9;
    expect(await r.closeIdle()).toBe(0);
    expect(r.isOpen('s')).toBe(true);
  });

  it('the idle timer calls closeIdle', async () => {
    await create('s');
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const r = makeRegistry({ idleTimeoutMs: 1_000 });
    await touch(r, 's');
    r.startIdleTimer(100);
    clock += 2_000;
    await vi.advanceTimersByTimeAsync(100);
    await vi.waitFor(() => expect(r.isOpen('s')).toBe(false));
    r.stopIdleTimer();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ifOpen runs only on an open space, without opening it or moving it in the LRU or the idle clock', async () => {
    await create('a', 'b');
    const r = makeRegistry({ idleTimeoutMs: 1_000 });
    expect(await r.ifOpen('a', () => 'ran')).toBeUndefined();
    expect(r.isOpen('a')).toBe(false);
    await touch(r, 'a');
    await touch(r, 'b');
    clock += 1_001;
    expect(await r.ifOpen('a', async ({ store }) => (await store.stats()).memories)).toBe(0);
    expect(r.openNames()).toEqual(['a', 'b']);
    expect(await r.closeIdle()).toBe(2); // the look did not count as a use
    expect(r.stats().opens).toBe(2);
  });
});

describe('archived spaces', () => {
  it('a use of an archived space is SPACE_ARCHIVED until restored', async () => {
    await create('cold');
    const r = makeRegistry();
    await r.use('cold', ({ store }) => store.insertMemories([memoryRow('m', 'kept', 0)], writeCtx()));
    expect(await r.archive('cold')).toEqual({ bytes: expect.any(Number) });
    expect(r.isOpen('cold')).toBe(false);
    await expect(touch(r, 'cold')).rejects.toThrowError(expect.objectContaining({ code: 'SPACE_ARCHIVED', details: expect.objectContaining({ space: 'cold' }) }));
    await expect(r.archive('cold')).rejects.toThrowError(code('CONFLICT'));
    await r.restore('cold');
    expect(await touch(r, 'cold')).toBe(1);
    await expect(r.restore('cold')).rejects.toThrowError(code('CONFLICT'));
  });

  it('autoRestore restores on use', async () => {
    await create('cold');
    const r = makeRegistry({ autoRestore: true });
    await r.use('cold', ({ store }) => store.insertMemories([memoryRow('m', 'kept', 0)], writeCtx()));
    await r.archive('cold');
    const [a, b] = await Promise.all([touch(r, 'cold'), touch(r, 'COLD')]);
    expect([a, b]).toEqual([1, 1]);
    expect((await backend.spaces.get('cold'))?.state).toBe('idle');
  });

  it('archive waits for current users; uses arriving meanwhile wait and then see it archived', async () => {
    await create('busy');
    const r = makeRegistry();
    const hold = deferred();
    const using = r.use('busy', () => hold.promise);
    await vi.waitFor(() => expect(r.isOpen('busy')).toBe(true));
    const archiving = r.archive('busy');
    const late = touch(r, 'busy');
    late.catch(() => undefined);
    expect((await backend.spaces.get('busy'))?.state).toBe('idle');
    hold.resolve();
    await using;
    await archiving;
    await expect(late).rejects.toThrowError(code('SPACE_ARCHIVED'));
  });

  it('refuses to archive a pinned space', async () => {
    await create('default', 'keep');
    const r = makeRegistry({ pinned: ['keep'] });
    await expect(r.archive('default')).rejects.toThrowError(code('VALIDATION_FAILED'));
    await expect(r.archive('Keep')).rejects.toThrowError(code('VALIDATION_FAILED'));
  });
});

describe('damaged spaces', () => {
  it('marks a space whose file is corrupt damaged, keeps serving the others, and recovers once repaired', async () => {
    await create('bad', 'good');
    const r = makeRegistry();
    await r.use('bad', ({ store }) => store.insertMemories([memoryRow('m', 'kept', 0)], writeCtx()));
    await r.closeSpace('bad');
    const good = join(dataDir, 'good-copy.db');
    copyFileSync(dbFile('bad'), good);
    const updatedAt = (await backend.spaces.get('bad'))!.updatedAt;
    const fd = openSync(dbFile('bad'), 'r+');
    writeSync(fd, Buffer.alloc(100, 0x5a), 0, 100, 0);
    closeSync(fd);

    const failure = { code: 'BACKEND_UNAVAILABLE', details: expect.objectContaining({ space: 'bad', damaged: true }) };
    await expect(touch(r, 'bad')).rejects.toThrowError(expect.objectContaining(failure));
    expect((await backend.spaces.get('bad'))?.state).toBe('damaged');
    expect(r.damageOf('bad')).toMatch(/SQLITE_NOTADB/);
    expect(r.damagedCount()).toBe(1);
    expect(r.isOpen('bad')).toBe(false);
    expect(await touch(r, 'good')).toBe(0);
    await expect(touch(r, 'bad')).rejects.toThrowError(expect.objectContaining(failure)); // retried, still broken
    expect(r.stats().openFailures).toBe(2);

    copyFileSync(good, dbFile('bad'));
    expect(await touch(r, 'bad')).toBe(1);
    expect(await backend.spaces.get('bad')).toMatchObject({ state: 'idle', updatedAt });
    expect(r.damageOf('bad')).toBeUndefined();
    expect(r.damagedCount()).toBe(0);
  });

  it('a missing directory is damaged too', async () => {
    await create('gone');
    const r = makeRegistry();
    rmSync(backend.spaceDir('gone'), { recursive: true });
    await expect(touch(r, 'gone')).rejects.toThrowError(expect.objectContaining({ code: 'BACKEND_UNAVAILABLE', details: expect.objectContaining({ damaged: true }) }));
    expect((await backend.spaces.get('gone'))?.state).toBe('damaged');
  });
});

describe('onOpen', () => {
  it('runs once per open, before any caller uses the space', async () => {
    await create('a', 'b');
    const seen: string[] = [];
    const r = makeRegistry({
      maxOpenSpaces: 1,
      onOpen: async ({ record, store }) => {
        seen.push(record.name);
        await store.insertMemories([memoryRow(`hook${seen.length}`, 'from the hook', 0)], writeCtx());
      },
    });
    const counts = await Promise.all([touch(r, 'a'), touch(r, 'a'), touch(r, 'a')]);
    expect(counts).toEqual([1, 1, 1]); // every caller saw the hook's write
    await touch(r, 'b'); // evicts a
    await touch(r, 'a');
    expect(seen).toEqual(['a', 'b', 'a']);
  });

  it('a failing hook closes the store and fails the use; the next use tries again', async () => {
    await create('flaky');
    let fail = true;
    let opened: SpaceStore | undefined;
    const r = makeRegistry({
      onOpen: async ({ store }: SpaceHandle) => {
        opened = store;
        if (fail) throw new Error('hook failed');
      },
    });
    await expect(touch(r, 'flaky')).rejects.toThrowError('hook failed');
    expect(r.isOpen('flaky')).toBe(false);
    await expect(opened!.stats()).rejects.toThrowError(); // closed
    expect(existsSync(`${dbFile('flaky')}-wal`)).toBe(false);
    fail = false;
    expect(await touch(r, 'flaky')).toBe(0);
  });
});

/** Open file descriptors of this process. */
const fds = (): number => readdirSync('/proc/self/fd').length;

/** A full collection when V8 lets us ask for one. */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return () => undefined;
  }
}

describe('the issue: 5,000 spaces used in turn', () => {
  it('hold a bounded number of file descriptors and a bounded heap', { timeout: 180_000 }, async () => {
    // tmpfs when there is one: the test measures descriptors and heap, not the disk's fsync latency.
    await backend.close();
    rmSync(dataDir, { recursive: true, force: true });
    dataDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'memspace-5k-'));
    backend = new SqliteBackend({ dataDir, sync: 'normal', annThreshold: Number.POSITIVE_INFINITY });
    const cap = 50;
    const r = makeRegistry({ maxOpenSpaces: cap });
    const gc = collector();
    const baseline = fds();
    const heap = (): number => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const marks: Record<number, { fds: number; heap: number; ms: number }> = {};
    const started = performance.now();
    let createMs = 0;
    for (let i = 1; i <= 5_000; i++) {
      const name = `s${i}`;
      const t0 = performance.now();
      await backend.spaces.create(spaceRecord(name));
      createMs += performance.now() - t0;
      const hits = await r.use(name, async ({ store }) => {
        await store.insertMemories([memoryRow(`m${i}`, `memory of space ${i}`, i)], writeCtx());
        return store.vectorSearch(unit(i), undefined, 3, 10_000);
      });
      expect(hits.map((h) => h.id)).toEqual([`m${i}`]);
      if (i === 1_000 || i === 5_000) marks[i] = { fds: fds(), heap: heap(), ms: performance.now() - started };
    }
    const at1k = marks[1_000]!;
    const at5k = marks[5_000]!;
    console.info(
      `5,000 spaces: ${(at5k.ms / 1000).toFixed(1)} s in all (createSpace ${(createMs / 5000).toFixed(2)} ms each); ` +
        `fds baseline ${baseline}, at 1k ${at1k.fds}, at 5k ${at5k.fds}; heap at 1k ${(at1k.heap / 2 ** 20).toFixed(1)} MiB, at 5k ${(at5k.heap / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(r.openCount).toBe(cap);
    // In WAL mode an open space holds its database, WAL and shared-memory files: 3 descriptors, 4 with slack.
    expect(at1k.fds).toBeLessThanOrEqual(baseline + cap * 4 + 32);
    expect(at5k.fds).toBeLessThanOrEqual(baseline + cap * 4 + 32);
    expect(at5k.fds - at1k.fds).toBeLessThanOrEqual(16);
    expect(at5k.heap - at1k.heap).toBeLessThan(64 * 2 ** 20);
    expect(r.stats()).toMatchObject({ open: cap, opens: 5_000, evictions: 5_000 - cap, openFailures: 0 });
  });
});
