import type { ChangeBell } from '../change-bell.js';
import type { Grant } from '../grants.js';
import type { SpaceRecord, SpaceStats } from '../types.js';
import type { SpaceStore } from './space-store.js';

/**
 * The system catalogue plus the factory of per-space stores. Space names are compared
 * case-insensitively; look-ups return the record under the name as it was created.
 */
export interface Backend {
  /**
   * Rung with a space's key whenever its change feed may have grown: by this process's writes,
   * and (for a shared database) by other servers'. Change streams wait on it between reads.
   */
  readonly changeBell: ChangeBell;
  /** Records a new space and creates its storage; a name taken in any case is `CONFLICT`. */
  createSpace(record: SpaceRecord): Promise<void>;
  /** The record of `name` (any case), or undefined. */
  getSpace(name: string): Promise<SpaceRecord | undefined>;
  /** Spaces ordered by name, optionally with a name prefix, after a name (for paging). */
  listSpaces(options: { prefix?: string | undefined; after?: string | undefined; limit: number }): Promise<SpaceRecord[]>;
  /** Replaces the mutable fields of a space's record. */
  updateSpace(record: SpaceRecord): Promise<void>;
  /** Removes a space's record and every byte of its storage; false when it did not exist. The space must be closed. */
  deleteSpace(name: string): Promise<boolean>;
  /**
   * Opens the storage of an existing space. Storage that is missing or cannot be opened is
   * `BACKEND_UNAVAILABLE` with `details.damaged: true`; the registry then marks the space `damaged`.
   */
  openSpace(record: SpaceRecord): Promise<SpaceStore>;
  /**
   * Figures of a space that is not open in this process, read from its files without opening
   * it for use (no index load, no writes): what health and `memspace status` show for idle spaces.
   * `BACKEND_UNAVAILABLE` with `details.damaged: true` when its storage cannot be read.
   */
  inspectSpace(record: SpaceRecord): Promise<ClosedSpaceStats>;
  /**
   * Moves a closed space into one compressed file under `archive/` and removes its directory;
   * the catalogue's `state: archived` is the commit point, so a crash at any step leaves either
   * the space as it was or the archive complete. Returns the archive's size.
   */
  archiveSpace(name: string): Promise<{ bytes: number }>;
  /** Brings an archived space back into its directory (state `idle`) and removes the archive file. */
  restoreSpace(name: string): Promise<void>;
  /** Stores a new API key (its hash only); `CONFLICT` when the id or hash exists. */
  createKey(record: KeyRecord): Promise<void>;
  /** The key with this hash, revoked or not. */
  findKeyByHash(hash: string): Promise<KeyRecord | undefined>;
  /** Every key, oldest first. */
  listKeys(): Promise<KeyRecord[]>;
  /** Marks a key revoked; false when there is no such live key. */
  revokeKey(id: string, at: number): Promise<boolean>;
  /** Stores a share of a space. */
  createShare(record: ShareRecord): Promise<void>;
  /** Shares of one space (as the source), oldest first. */
  listShares(space: string): Promise<ShareRecord[]>;
  /** Deletes a share of `space`; false when there is none with that id. */
  deleteShare(space: string, id: string): Promise<boolean>;
  /** Closes the catalogue. Open space stores are closed by their owner first. */
  close(): Promise<void>;
}

/** Read access to one space given to another space's readers or to one key; optionally only memories with some tags. */
export interface ShareRecord {
  id: string;
  space: string;
  toSpace: string | null;
  toKey: string | null;
  role: 'read';
  tags: string[] | null;
  createdAt: number;
  createdBy: string | null;
}

/** An API key as the catalogue keeps it: never the key itself, only its SHA-256. */
export interface KeyRecord {
  id: string;
  name: string;
  hash: string;
  grants: Grant[];
  defaultSpace: string | null;
  createdAt: number;
  revokedAt: number | null;
}

/** Figures of a closed space: those of {@link SpaceStats} that need no open index. */
export type ClosedSpaceStats = Omit<SpaceStats, 'vectorIndex'>;
