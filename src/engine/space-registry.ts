import { MemspaceError } from '../core/errors.js';
import type { Backend } from '../core/ports/catalog-store.js';
import type { SpaceStore } from '../core/ports/space-store.js';
import { DEFAULT_SPACE, spaceKey, validateSpaceName } from '../core/space-name.js';
import type { SpaceRecord } from '../core/types.js';

/** What code holds while it works on one space: the space's record and its storage. */
export interface SpaceHandle {
  readonly record: SpaceRecord;
  readonly store: SpaceStore;
}

/** Options of the registry. */
export interface SpaceRegistryOptions {
  /** Most spaces open at once; the least recently used idle one is closed past it. @default 256 */
  maxOpenSpaces?: number;
  /** Spaces never closed for room. The `default` space is always pinned. @default [] */
  pinned?: readonly string[];
}

interface OpenEntry {
  record: SpaceRecord;
  store: Promise<SpaceStore>;
  users: number;
  drained: (() => void)[];
}

/**
 * The only way to reach a space's data: validates the name, finds the space in the catalogue,
 * opens its storage on first use and closes the least recently used ones past the cap.
 * Startup opens nothing, so it costs the same for ten spaces or a hundred thousand.
 */
export class SpaceRegistry {
  private readonly open = new Map<string, OpenEntry>(); // insertion order = recency
  private readonly maxOpen: number;
  private readonly pinned: Set<string>;

  constructor(
    readonly backend: Backend,
    options: SpaceRegistryOptions = {},
  ) {
    this.maxOpen = Math.max(1, options.maxOpenSpaces ?? 256);
    this.pinned = new Set([DEFAULT_SPACE, ...(options.pinned ?? [])].map(spaceKey));
  }

  /** Number of spaces whose storage is open. */
  get openCount(): number {
    return this.open.size;
  }

  /** True when the space's storage is open in this process. */
  isOpen(name: string): boolean {
    return this.open.has(spaceKey(name));
  }

  /** The catalogue record of a space; `INVALID_SPACE` or `SPACE_NOT_FOUND` otherwise. */
  async record(name: string): Promise<SpaceRecord> {
    validateSpaceName(name, { allowSystem: true });
    const entry = this.open.get(spaceKey(name));
    if (entry) return entry.record;
    const record = await this.backend.getSpace(name);
    if (record === undefined) throw new MemspaceError('SPACE_NOT_FOUND', `space "${name}" not found`, { space: name });
    return record;
  }

  /** Runs `fn` with the open space; the space stays open until `fn` settles. */
  async use<T>(name: string, fn: (handle: SpaceHandle) => Promise<T>): Promise<T> {
    const key = spaceKey(validateSpaceName(name, { allowSystem: true }));
    let entry = this.open.get(key);
    if (entry) {
      this.open.delete(key); // re-insert: most recently used last
      this.open.set(key, entry);
    } else {
      const record = await this.record(name);
      entry = this.open.get(key); // another caller may have opened it meanwhile
      if (!entry) {
        entry = { record, store: this.backend.openSpace(record), users: 0, drained: [] };
        this.open.set(key, entry);
        entry.store.catch(() => this.open.delete(key));
      }
    }
    entry.users += 1;
    try {
      const store = await entry.store;
      await this.evict();
      return await fn({ record: entry.record, store });
    } finally {
      entry.users -= 1;
      if (entry.users === 0) for (const resolve of entry.drained.splice(0)) resolve();
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
    if (!entry) return;
    if (entry.users > 0) await new Promise<void>((resolve) => entry.drained.push(resolve));
    if (this.open.get(key) !== entry) return;
    this.open.delete(key);
    await (await entry.store.catch(() => undefined))?.close();
  }

  /** Closes every open space. */
  async close(): Promise<void> {
    await Promise.all([...this.open.keys()].map((key) => this.closeSpace(key)));
  }

  private async evict(): Promise<void> {
    if (this.open.size <= this.maxOpen) return;
    for (const [key, entry] of this.open) {
      if (this.open.size <= this.maxOpen) break;
      if (entry.users > 0 || this.pinned.has(key)) continue;
      this.open.delete(key);
      await (await entry.store.catch(() => undefined))?.close();
    }
  }
}
