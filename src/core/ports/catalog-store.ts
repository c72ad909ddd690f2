import type { Grant } from '../grants.js';
import type { SpaceRecord } from '../types.js';
import type { SpaceStore } from './space-store.js';

/**
 * The system catalogue plus the factory of per-space stores. Space names are compared
 * case-insensitively; look-ups return the record under the name as it was created.
 */
export interface Backend {
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
  /** Opens the storage of an existing space. */
  openSpace(record: SpaceRecord): Promise<SpaceStore>;
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
