import type { Grant } from '../grants.js';

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

/** The API keys of the catalogue. */
export interface KeyStore {
  /** Stores a new API key (its hash only); `CONFLICT` when the id or hash exists. */
  create(record: KeyRecord): Promise<void>;
  /** The key with this hash, revoked or not. */
  findByHash(hash: string): Promise<KeyRecord | undefined>;
  /** The key with this id, revoked or not. */
  findById(id: string): Promise<KeyRecord | undefined>;
  /** Every key, oldest first. */
  list(): Promise<KeyRecord[]>;
  /** Marks a key revoked; false when there is no such live key. */
  revoke(id: string, at: number): Promise<boolean>;
  /** Sets a live key's default space (null: none); false when there is no such live key. */
  setDefaultSpace(id: string, defaultSpace: string | null): Promise<boolean>;
}
