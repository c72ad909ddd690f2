import { MemspaceError } from '../core/errors.js';
import type { Backend } from '../core/ports/backend.js';
import type { SpaceStore } from '../core/ports/space-store.js';
import { DEFAULT_SPACE, spaceKey, validateSpaceName } from '../core/space-name.js';
import { AUTO_RESTORE_SETTING, restoreSpaceHint, spaceArchivedMessage } from '../core/suggest.js';
import type { SpaceRecord } from '../core/types.js';
import { archiverOf } from './archiving.js';
import { OpenFailures } from './open-failures.js';

/** What code holds while it works on one space: the space's record and its storage. */
export interface SpaceHandle {
  readonly record: SpaceRecord;
  readonly store: SpaceStore;
}

/** Options of the registry. */
export interface SpaceRegistryOptions {
  /** Most spaces open at once; the least recently used idle one is closed past it. @default 256 */
  maxOpenSpaces?: number;
  /** Spaces never closed for room nor for idleness. The `default` space is always pinned. @default [] */
  pinned?: readonly string[];
  /**
   * A space nobody has used for longer than this is closed by {@link SpaceRegistry.closeIdle}
   * (run by the timer of {@link SpaceRegistry.startIdleTimer}); 0 never closes for idleness.
   * @default 300000 (5 minutes)
   */
  idleTimeoutMs?: number;
  /** Clock, in epoch milliseconds, for idleness. @default Date.now */
  now?: () => number;
  /** Using an archived space restores it first instead of failing with `SPACE_ARCHIVED`. @default false */
  autoRestore?: boolean;
  /**
   * Runs once each time a space's storage opens, before any caller uses it (for instance to
   * sweep what expired while the space was closed). It must work through the handle it is
   * given: a call to the registry for the same space from inside it would wait for itself.
   * When it fails, the store is closed and the use that opened it fails.
   * @default undefined (nothing runs)
   */
  onOpen?: (handle: SpaceHandle) => Promise<void>;
}

/** Counters of a registry, for metrics. Counts are since the registry was made. */
export interface SpaceRegistryStats {
  /** Spaces whose storage is open (or opening) now. */
  open: number;
  /** {@link SpaceRegistryOptions.maxOpenSpaces}. */
  cap: number;
  /** Successful opens of a space's storage. */
  opens: number;
  /** Spaces closed to stay within the cap. */
  evictions: number;
  /** Spaces closed for idleness. */
  idleCloses: number;
  /** Opens that failed (damaged storage, descriptors exhausted, a failing `onOpen`). */
  openFailures: number;
}

/** Default {@link SpaceRegistryOptions.idleTimeoutMs}. */
export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;

interface OpenEntry {
  record: SpaceRecord;
  /** Settles once the storage is open and `onOpen` ran; rejects when either failed. */
  ready: Promise<SpaceStore>;
  /** Set once `ready` resolved. */
  store: SpaceStore | undefined;
  users: number;
  /** Clock time when the last user left (or the first arrived), for idleness. */
  lastUsed: number;
  drained: (() => void)[];
}

const noop = (): void => undefined;

/**
 * The only way to reach a space's data: validates the name, finds the space in the catalogue,
 * opens its storage on first use and closes the least recently used ones past the cap, and
 * those idle for too long. Startup opens nothing, so it costs the same for ten spaces or a
 * hundred thousand; a closed space holds nothing here beyond, after a failed open, the reason.
 *
 * Lifecycle operations (archive, restore) on a space are serialised with its uses: a use that
 * arrives meanwhile waits until the operation is over and then sees the new state.
 */
export class SpaceRegistry {
  private readonly open = new Map<string, OpenEntry>(); // insertion order = recency
  /** Closes in progress, so that a new open of the same space waits for the old store to let go. */
  private readonly closing = new Map<string, Promise<void>>();
  /** Archive or restore in progress per space; uses wait for it. */
  private readonly busy = new Map<string, Promise<unknown>>();
  /** Last open failure per space, cleared by the next successful open. */
  private readonly failures: OpenFailures;
  private readonly maxOpen: number;
  private readonly pinned: Set<string>;
  private readonly idleTimeoutMs: number;
  private readonly now: () => number;
  private readonly autoRestore: boolean;
  private readonly onOpen: ((handle: SpaceHandle) => Promise<void>) | undefined;
  private idleTimer: ReturnType<typeof setInterval> | undefined;
  private readonly counters = { opens: 0, evictions: 0, idleCloses: 0, openFailures: 0 };

  constructor(
    readonly backend: Backend,
    options: SpaceRegistryOptions = {},
  ) {
    this.maxOpen = Math.max(1, options.maxOpenSpaces ?? 256);
    this.pinned = new Set([DEFAULT_SPACE, ...(options.pinned ?? [])].map(spaceKey));
    this.idleTimeoutMs = Math.max(0, options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
    this.now = options.now ?? Date.now;
    this.autoRestore = options.autoRestore ?? false;
    this.onOpen = options.onOpen;
    this.failures = new OpenFailures(backend.spaces);
  }

  /** Number of spaces whose storage is open. */
  get openCount(): number {
    return this.open.size;
  }

  /** True when the space's storage is open in this process. */
  isOpen(name: string): boolean {
    return this.openRecord(name) !== undefined;
  }

  /** Names of the open spaces, least recently used first. */
  openNames(): string[] {
    return [...this.open.values()].map((e) => e.record.name);
  }

  /** Counters for metrics. */
  stats(): SpaceRegistryStats {
    return { open: this.open.size, cap: this.maxOpen, ...this.counters };
  }

  /** Why the last open of this space in this process failed; undefined when it did not (or it opened since). */
  damageOf(name: string): string | undefined {
    return this.failures.reasonOf(name);
  }

  /** Spaces whose last open in this process found their storage damaged. */
  damagedCount(): number {
    return this.failures.damagedCount();
  }

  /** The record of a space while it is open in this process, without waiting; undefined otherwise. */
  openRecord(name: string): SpaceRecord | undefined {
    return this.open.get(spaceKey(name))?.record;
  }

  /** The catalogue record of a space; `INVALID_SPACE` or `SPACE_NOT_FOUND` otherwise. */
  async record(name: string): Promise<SpaceRecord> {
    validateSpaceName(name, { allowSystem: true });
    return this.openRecord(name) ?? this.lookup(name);
  }

  /**
   * Runs `fn` with the open space; the space stays open until `fn` settles. Opens it first if
   * need be: an archived space is `SPACE_ARCHIVED` (or is restored, with `autoRestore`), and
   * storage that cannot be opened is `BACKEND_UNAVAILABLE` (a damaged one is marked `damaged` in
   * the catalogue and retried at the next use).
   */
  async use<T>(name: string, fn: (handle: SpaceHandle) => Promise<T>): Promise<T> {
    const key = spaceKey(validateSpaceName(name, { allowSystem: true }));
    const entry = await this.acquire(key, name);
    try {
      const store = await entry.ready;
      await this.evict();
      return await fn({ record: entry.record, store });
    } finally {
      this.release(entry, true);
    }
  }

  /**
   * Runs `fn` with the space only if its storage is open right now; otherwise returns undefined
   * without opening it. Neither the LRU order nor the idle clock moves, so asking about a space
   * (health, metrics) never keeps it open.
   */
  async ifOpen<T>(name: string, fn: (handle: SpaceHandle) => Promise<T> | T): Promise<T | undefined> {
    const entry = this.open.get(spaceKey(name));
    if (entry?.store === undefined) return undefined;
    entry.users += 1;
    try {
      return await fn({ record: entry.record, store: entry.store });
    } finally {
      this.release(entry, false);
    }
  }

  /** Replaces the cached record of an open space after its catalogue row changed. */
  refresh(record: SpaceRecord): void {
    const entry = this.open.get(spaceKey(record.name));
    if (entry) entry.record = record;
  }

  /** Waits until nobody uses the space, then closes it. */
  async closeSpace(name: string): Promise<void> {
    const key = spaceKey(name);
    const entry = this.open.get(key);
    if (!entry) return this.closing.get(key);
    // A loop: a new user may arrive between the last one leaving and this close resuming.
    while (entry.users > 0) await new Promise<void>((resolve) => entry.drained.push(resolve));
    if (this.open.get(key) !== entry) return this.closing.get(key);
    return this.closeEntry(key, entry);
  }

  /**
   * Archives a space: waits for its current users, closes it and moves its storage into one
   * compressed file (`Archiver.archive`); uses arriving meanwhile wait and then see it
   * archived. `VALIDATION_FAILED` for a pinned space, `CONFLICT` when already archived. Must
   * not be called from inside a use of the same space, which it would wait for.
   */
  async archive(name: string): Promise<{ bytes: number }> {
    // The space is claimed before the first await, so every use that starts after this call waits.
    const key = spaceKey(validateSpaceName(name, { allowSystem: true }));
    if (this.pinned.has(key)) {
      throw new MemspaceError('VALIDATION_FAILED', `space "${name}" is pinned and cannot be archived`, {
        issues: [{ path: 'space', message: 'pinned space' }],
      });
    }
    return this.exclusive(key, async () => {
      const record = await this.lookup(name);
      await this.closeSpace(record.name);
      return archiverOf(this.backend, 'archive', record.name).archive(record.name);
    });
  }

  /** Restores an archived space to `idle` (`Archiver.restore`); `CONFLICT` when it is not archived. */
  async restore(name: string): Promise<void> {
    const key = spaceKey(validateSpaceName(name, { allowSystem: true }));
    await this.exclusive(key, async () => {
      const record = await this.lookup(name);
      await archiverOf(this.backend, 'restore', record.name).restore(record.name);
    });
  }

  /**
   * Closes every open space that nobody uses and that was last used more than
   * `idleTimeoutMs` ago by the clock; pinned spaces stay. Returns how many it closed.
   */
  async closeIdle(): Promise<number> {
    if (this.idleTimeoutMs === 0) return 0;
    const cutoff = this.now() - this.idleTimeoutMs;
    const idle = [...this.open].filter(([key, e]) => e.users === 0 && e.store !== undefined && e.lastUsed < cutoff && !this.pinned.has(key));
    let closed = 0;
    for (const [key, entry] of idle) {
      if (this.open.get(key) !== entry || entry.users > 0) continue; // used again meanwhile
      this.counters.idleCloses += 1;
      closed += 1;
      await this.closeEntry(key, entry).catch(noop); // a store that fails to close is gone all the same
    }
    return closed;
  }

  /**
   * Runs {@link closeIdle} every `intervalMs` on an unref'd timer (it never keeps the process
   * alive); for the server process. Calling it again replaces the timer.
   * @param intervalMs @default a quarter of `idleTimeoutMs`, at least one second
   */
  startIdleTimer(intervalMs?: number): void {
    this.stopIdleTimer();
    if (this.idleTimeoutMs === 0) return;
    const every = intervalMs ?? Math.max(1000, Math.floor(this.idleTimeoutMs / 4));
    this.idleTimer = setInterval(() => void this.closeIdle().catch(noop), every);
    this.idleTimer.unref();
  }

  /** Stops the timer of {@link startIdleTimer}. */
  stopIdleTimer(): void {
    if (this.idleTimer !== undefined) clearInterval(this.idleTimer);
    this.idleTimer = undefined;
  }

  /** Stops the idle timer and closes every open space. */
  async close(): Promise<void> {
    this.stopIdleTimer();
    await Promise.all([...this.open.values()].map((entry) => this.closeSpace(entry.record.name)));
    await Promise.all([...this.closing.values()]);
  }

  /**
   * The entry of an open (or opening) space with one more user, after any archive or restore
   * in progress. The last check and the increment happen with no await between them, so a
   * close cannot slip in.
   */
  private async acquire(key: string, name: string): Promise<OpenEntry> {
    for (;;) {
      const busy = this.busy.get(key);
      if (busy !== undefined) {
        await busy.catch(noop);
        continue;
      }
      const open = this.open.get(key);
      if (open !== undefined) {
        this.open.delete(key); // re-insert: most recently used last
        this.open.set(key, open);
        open.users += 1;
        open.lastUsed = this.now();
        return open;
      }
      const record = await this.lookup(name);
      if (this.busy.has(key) || this.open.has(key)) continue; // the world moved while we looked
      if (record.state === 'archived') {
        if (!this.autoRestore) throw new MemspaceError('SPACE_ARCHIVED', spaceArchivedMessage(record.name), { space: record.name, hint: restoreSpaceHint(record.name), setting: AUTO_RESTORE_SETTING });
        await this.exclusive(key, async () => {
          const current = await this.lookup(record.name);
          if (current.state === 'archived') await archiverOf(this.backend, 'restore', current.name).restore(current.name);
        });
        continue;
      }
      const entry = this.startOpen(key, record);
      entry.users += 1;
      return entry;
    }
  }

  private startOpen(key: string, record: SpaceRecord): OpenEntry {
    // `ready` is assigned on the next line: openStore reads the entry only after its first await.
    const entry = { record, store: undefined, users: 0, lastUsed: this.now(), drained: [] } as Omit<OpenEntry, 'ready'> as OpenEntry;
    entry.ready = this.openStore(key, entry);
    this.open.set(key, entry);
    // Registered before any caller awaits `ready`, so a failed entry is gone before they see the
    // error and the next use tries again.
    entry.ready.catch(() => {
      if (this.open.get(key) === entry) this.open.delete(key);
    });
    return entry;
  }

  private async openStore(key: string, entry: OpenEntry): Promise<SpaceStore> {
    await this.closing.get(key); // the previous store of this space lets go of its files first
    let store: SpaceStore;
    try {
      store = await this.backend.spaces.open(entry.record);
    } catch (error) {
      this.counters.openFailures += 1;
      throw await this.failures.storageFailed(entry.record, error);
    }
    try {
      entry.record = await this.failures.opened(entry.record);
      await this.onOpen?.({ record: entry.record, store });
    } catch (error) {
      this.counters.openFailures += 1;
      this.failures.openHookFailed(entry.record.name, error);
      await store.close().catch(noop);
      throw error;
    }
    this.counters.opens += 1;
    entry.store = store;
    return store;
  }

  private release(entry: OpenEntry, touch: boolean): void {
    entry.users -= 1;
    if (touch) entry.lastUsed = this.now();
    if (entry.users === 0) for (const resolve of entry.drained.splice(0)) resolve();
  }

  /** Removes an entry and closes its store; a new open of the space waits for the close. */
  private closeEntry(key: string, entry: OpenEntry): Promise<void> {
    this.open.delete(key);
    const closed = (async () => {
      const store = await entry.ready.catch(() => undefined);
      await store?.close();
    })();
    const settled = closed.catch(noop).finally(() => {
      if (this.closing.get(key) === settled) this.closing.delete(key);
    });
    this.closing.set(key, settled);
    return closed;
  }

  private async evict(): Promise<void> {
    if (this.open.size <= this.maxOpen) return;
    for (const [key, entry] of [...this.open]) {
      if (this.open.size <= this.maxOpen) break;
      if (entry.users > 0 || this.pinned.has(key) || this.open.get(key) !== entry) continue;
      this.counters.evictions += 1;
      await this.closeEntry(key, entry).catch(noop);
    }
  }

  /** Runs `fn` while no use or other lifecycle operation of the space proceeds. */
  private async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    for (let busy = this.busy.get(key); busy !== undefined; busy = this.busy.get(key)) await busy.catch(noop);
    const run = fn();
    this.busy.set(key, run);
    try {
      return await run;
    } finally {
      if (this.busy.get(key) === run) this.busy.delete(key);
    }
  }

  private async lookup(name: string): Promise<SpaceRecord> {
    const record = await this.backend.spaces.get(name);
    if (record === undefined) throw new MemspaceError('SPACE_NOT_FOUND', `space "${name}" not found`, { space: name });
    return record;
  }
}
