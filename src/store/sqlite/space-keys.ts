/**
 * The keys of encrypted spaces on the embedded backend. Each encrypted space has a random
 * 256-bit key of its own, kept in the catalogue (`space_keys`) only wrapped by the master key
 * (AES-256-GCM, random IV, the space's name and the format version as additional data), never
 * in the space's directory: a copy of a space's files holds no key, and deleting the wrapped
 * key (crypto-shredding) makes every copy unreadable. The catalogue also keeps a fingerprint of
 * the master key, so a wrong master key is told apart from a damaged space. docs/encryption.md
 * describes the whole scheme.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import type Database from 'better-sqlite3-multiple-ciphers';
import { MemspaceError } from '../../core/errors.js';
import { spaceKey } from '../../core/space-name.js';
import { openCatalog } from './catalog-db.js';
import { damagedError } from './space-files.js';

/** Bytes of a master key and of a space key. */
export const KEY_BYTES = 32;

/** Version byte of a wrapped key; bound into its additional data. */
const WRAP_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FINGERPRINT_LABEL = 'memspace master key check';

/** The cipher SQLite3 Multiple Ciphers encrypts space databases with (ChaCha20-Poly1305 per page; docs/encryption.md says why). */
export const DATABASE_CIPHER = 'chacha20';

/**
 * A space's keys for its files, derived from the space key with HKDF-SHA256 so that no two
 * uses share a key: the database's (given to SQLite as a raw key) and the vector snapshot's.
 * Passed to search threads and the archive thread in messages, never written anywhere.
 */
export interface SpaceFileKeys {
  /** Raw key of the SQLite3 Multiple Ciphers database, 64 hex digits. */
  database: string;
  /** AES-256-GCM key of `vectors.bin`, 64 hex digits. */
  snapshot: string;
}

/** The file keys of a space key. */
export function deriveFileKeys(spaceKeyBytes: Buffer): SpaceFileKeys {
  const derive = (info: string): string => Buffer.from(hkdfSync('sha256', spaceKeyBytes, Buffer.alloc(0), info, KEY_BYTES)).toString('hex');
  return { database: derive('memspace space.db v1'), snapshot: derive('memspace vectors.bin v1') };
}

/**
 * Parses a master key: 64 hex digits or the base64 of 32 bytes (surrounding white space is
 * ignored, so a key file may end with a newline). Undefined when it is neither.
 */
export function parseMasterKey(text: string): Buffer | undefined {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(value)) {
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length === KEY_BYTES) return bytes;
  }
  return undefined;
}

/** HMAC-SHA256 of a fixed label under the master key: tells which master key wrapped the catalogue's keys without revealing it. */
export function masterFingerprint(master: Buffer): string {
  return createHmac('sha256', master).update(FINGERPRINT_LABEL).digest('hex');
}

/** Additional data of a wrapped key: the version and the space's name, so a wrapped key moved to another space's row does not unwrap. */
function wrapAad(name: string): Buffer {
  return Buffer.from(`memspace space key v${WRAP_VERSION}\0${spaceKey(name)}`, 'utf8');
}

/** Wraps a space key under the master key: version ‖ IV ‖ ciphertext ‖ tag. */
export function wrapSpaceKey(master: Buffer, name: string, key: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', master, iv);
  cipher.setAAD(wrapAad(name));
  const body = Buffer.concat([cipher.update(key), cipher.final()]);
  return Buffer.concat([Buffer.from([WRAP_VERSION]), iv, body, cipher.getAuthTag()]);
}

/** Unwraps what {@link wrapSpaceKey} wrote; undefined when the master key, the name or the bytes do not match. */
export function unwrapSpaceKey(master: Buffer, name: string, wrapped: Buffer): Buffer | undefined {
  if (wrapped.length !== 1 + IV_BYTES + KEY_BYTES + TAG_BYTES || wrapped[0] !== WRAP_VERSION) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', master, wrapped.subarray(1, 1 + IV_BYTES));
    decipher.setAAD(wrapAad(name));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_BYTES));
    return Buffer.concat([decipher.update(wrapped.subarray(1 + IV_BYTES, wrapped.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** How the configured master key relates to the catalogue. */
export type MasterKeyState =
  /** No master key was given. */
  | 'absent'
  /** Given, and the catalogue has no fingerprint yet (no encrypted space was ever created). */
  | 'new'
  /** Given, and it is the one the catalogue's keys are wrapped with. */
  | 'matches'
  /** Given, but another master key wrapped the catalogue's keys. */
  | 'differs';

/** The catalogue's space keys, under one master key (or none). */
export class SpaceKeyring {
  readonly state: MasterKeyState;

  constructor(
    private readonly catalog: Database.Database,
    private readonly master: Buffer | undefined,
    private readonly now: () => number,
  ) {
    this.state = master === undefined ? 'absent' : fingerprintState(catalog, master);
  }

  /**
   * Refuses to serve a catalogue that has encrypted spaces without a master key: they could
   * only fail, and a server that starts anyway hides the mistake until someone reads them.
   */
  assertUsable(): void {
    if (this.master !== undefined) return;
    const count = this.catalog.prepare('SELECT count(*) FROM spaces WHERE encryption = 1').pluck().get() as number;
    if (count > 0) {
      throw new MemspaceError(
        'VALIDATION_FAILED',
        `${count} encrypted space${count === 1 ? ' in this data directory needs' : 's in this data directory need'} the master key: set MEMSPACE_MASTER_KEY or MEMSPACE_MASTER_KEY_FILE`,
        { variable: 'MEMSPACE_MASTER_KEY', encryptedSpaces: count },
      );
    }
  }

  /**
   * Creates, wraps and stores the key of the new encrypted space `name`; call inside the
   * catalogue transaction that inserts its row. Without a usable master key nothing is created
   * and the error is the caller's (`VALIDATION_FAILED`).
   */
  createKey(name: string): void {
    const master = this.requireMaster(name);
    const stored = this.catalog.prepare('SELECT count(*) FROM space_keys').pluck().get() as number;
    if (this.fingerprint() !== masterFingerprint(master)) {
      // Another master key wrapped the keys there are: a new space must not be wrapped differently.
      if (stored > 0) throw refusal(name, 'the master key given is not the one this data directory\'s space keys are wrapped with');
      this.setFingerprint(master);
    }
    this.catalog.prepare('DELETE FROM space_keys WHERE name = ?').run(name); // a leftover of an interrupted delete
    this.catalog.prepare('INSERT INTO space_keys (name, wrapped, created_at) VALUES (?, ?, ?)').run(name, wrapSpaceKey(master, name, randomBytes(KEY_BYTES)), this.now());
  }

  /**
   * The file keys of the encrypted space `name`. A missing master key, a master key that is not
   * the catalogue's, or a wrapped key that does not unwrap make the space damaged
   * (`BACKEND_UNAVAILABLE`, `details.damaged`) with the reason, and touch no other space.
   */
  fileKeys(name: string): SpaceFileKeys {
    if (this.master === undefined) throw damagedError(name, 'the space is encrypted and no master key is configured (MEMSPACE_MASTER_KEY)');
    if (this.state === 'differs') throw damagedError(name, 'the master key does not unwrap this space key (it is not the master key this data directory was encrypted with)');
    const row = this.catalog.prepare('SELECT wrapped FROM space_keys WHERE name = ?').get(name) as { wrapped: Buffer } | undefined;
    if (row === undefined) throw damagedError(name, 'the key of this encrypted space is missing from the catalogue (deleted: its data cannot be read)');
    const key = unwrapSpaceKey(this.master, name, row.wrapped);
    if (key === undefined) throw damagedError(name, 'the master key does not unwrap this space key');
    try {
      return deriveFileKeys(key);
    } finally {
      key.fill(0);
    }
  }

  /**
   * Deletes the wrapped key of `name` (crypto-shredding); call in a transaction that commits
   * before the files are removed, then {@link shredCatalogWal}. Returns the keys deleted (0 or 1).
   */
  deleteKey(name: string): number {
    return this.catalog.prepare('DELETE FROM space_keys WHERE name = ?').run(name).changes;
  }

  private requireMaster(name: string): Buffer {
    if (this.master === undefined) throw refusal(name, 'no master key is configured: set MEMSPACE_MASTER_KEY or MEMSPACE_MASTER_KEY_FILE to create encrypted spaces');
    return this.master;
  }

  private fingerprint(): string | undefined {
    return this.catalog.prepare(`SELECT value FROM keyring WHERE key = 'master_fingerprint'`).pluck().get() as string | undefined;
  }

  private setFingerprint(master: Buffer): void {
    this.catalog.prepare(`INSERT INTO keyring (key, value) VALUES ('master_fingerprint', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(masterFingerprint(master));
  }
}

/**
 * Checkpoints the catalogue into its main file and empties its WAL, so the pages that held a
 * deleted key (overwritten there thanks to `secure_delete`) leave no older copy in the WAL. Best
 * effort: while another connection reads, part of the WAL stays until the next checkpoint.
 */
export function shredCatalogWal(catalog: Database.Database): void {
  try {
    catalog.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // A busy catalogue is checkpointed later by SQLite itself; the key is deleted either way.
  }
}

function fingerprintState(catalog: Database.Database, master: Buffer): MasterKeyState {
  const stored = catalog.prepare(`SELECT value FROM keyring WHERE key = 'master_fingerprint'`).pluck().get() as string | undefined;
  if (stored === undefined) return 'new';
  const given = Buffer.from(masterFingerprint(master), 'hex');
  const kept = Buffer.from(stored, 'hex');
  return kept.length === given.length && timingSafeEqual(kept, given) ? 'matches' : 'differs';
}

function refusal(name: string, reason: string): MemspaceError {
  return new MemspaceError('VALIDATION_FAILED', `cannot create the encrypted space "${name}": ${reason}`, { name, encryption: true, reason });
}

/** What {@link rewrapSpaceKeys} did. */
export interface MasterKeyRotation {
  /** Space keys rewrapped. */
  rewrapped: number;
}

/**
 * Rewraps every space key of the catalogue from master key `current` to `next` in one
 * transaction, and records `next`'s fingerprint; no space's data is read or written. Refuses,
 * changing nothing, when `current` is not the catalogue's master key or a wrapped key does not
 * unwrap with it.
 */
export function rewrapSpaceKeys(catalog: Database.Database, current: Buffer, next: Buffer): MasterKeyRotation {
  return catalog.transaction(() => {
    const state = fingerprintState(catalog, current);
    if (state === 'differs') throw new MemspaceError('VALIDATION_FAILED', 'the current master key is not the one this data directory\'s space keys are wrapped with; nothing was changed', { reason: 'master key mismatch' });
    const rows = catalog.prepare('SELECT name, wrapped FROM space_keys').all() as { name: string; wrapped: Buffer }[];
    const update = catalog.prepare('UPDATE space_keys SET wrapped = ? WHERE name = ?');
    for (const row of rows) {
      const key = unwrapSpaceKey(current, row.name, row.wrapped);
      if (key === undefined) throw new MemspaceError('VALIDATION_FAILED', `the key of space "${row.name}" does not unwrap with the current master key; nothing was changed`, { name: row.name });
      update.run(wrapSpaceKey(next, row.name, key), row.name);
      key.fill(0);
    }
    catalog.prepare(`INSERT INTO keyring (key, value) VALUES ('master_fingerprint', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(masterFingerprint(next));
    return { rewrapped: rows.length };
  }).immediate();
}

/**
 * `memspace keys rotate-master` on the data directory `dataDir`: rewraps every space key from
 * `current` to `next` ({@link rewrapSpaceKeys}) and empties the catalogue's WAL of the old
 * wrappings. It takes the catalogue in exclusive locking mode, so it refuses (`CONFLICT`) while
 * any other process, a running server included, has the data directory open: a server would
 * otherwise keep unwrapping with the old key.
 */
export function rotateMasterKeyOf(dataDir: string, current: Buffer, next: Buffer): MasterKeyRotation {
  let catalog: Database.Database | undefined;
  try {
    catalog = openCatalog(join(dataDir, 'catalog.db'), { exclusive: true });
    catalog.pragma('busy_timeout = 0');
    catalog.exec('BEGIN EXCLUSIVE; COMMIT'); // takes the exclusive lock now, or fails while another process holds the catalogue
  } catch (error) {
    catalog?.close();
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) {
      throw new MemspaceError('CONFLICT', `the data directory ${dataDir} is in use by another process (a running server?): stop it, then rotate the master key`, { dataDir });
    }
    throw error;
  }
  try {
    const rotation = rewrapSpaceKeys(catalog, current, next);
    shredCatalogWal(catalog);
    return rotation;
  } finally {
    catalog.close();
  }
}
