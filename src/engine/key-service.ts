import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ChangeBell } from '../core/change-bell.js';
import { MemspaceError } from '../core/errors.js';
import { holds, KeyCreateSchema, ROOT_GRANT, type Grant } from '../core/grants.js';
import { uuidv7 } from '../core/ids.js';
import type { KeyRecord, KeyStore } from '../core/ports/key-store.js';
import { parseWith } from '../core/validate.js';
import { iso, type CreatedKey, type KeyView } from '../core/views.js';
import { principalOf, type CallContext, type Principal } from './access-guard.js';

/** Shortest secret accepted as a root key given by the operator. */
const MIN_SECRET_LENGTH = 24;

/**
 * API keys: random secrets shown once and stored as SHA-256 hashes. A key may create, list and
 * revoke only keys whose every grant its own admin grants hold.
 */
export class KeyService {
  /** Rings a key's id when this process revokes it, so what was opened with the key ends at once. */
  private readonly revocations = new ChangeBell();

  constructor(
    private readonly keys: KeyStore,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * On first start (no key at all) creates the root key, with every grant: `given` when the
   * operator set one (for automation), else a fresh secret. Returns the secret once, or
   * undefined when keys already exist.
   */
  async ensureRootKey(given?: string): Promise<string | undefined> {
    if ((await this.keys.list()).length > 0) return undefined;
    if (given !== undefined && given.length < MIN_SECRET_LENGTH) {
      throw new MemspaceError('VALIDATION_FAILED', `the root key must be at least ${MIN_SECRET_LENGTH} characters`, {
        issues: [{ path: 'MEMSPACE_ROOT_KEY', message: 'too short' }],
      });
    }
    const secret = given ?? newSecret();
    await this.store({ name: 'root', grants: [ROOT_GRANT] }, secret);
    return secret;
  }

  /** Creates a key; the secret is in the result and nowhere else, ever. */
  async create(input: unknown, call: CallContext = {}): Promise<CreatedKey> {
    const by = principalOf(call);
    const spec = parseWith(KeyCreateSchema, input, 'key');
    for (const grant of spec.grants) {
      if (!holds(by.grants, grant, 'admin')) {
        throw new MemspaceError('FORBIDDEN', 'a key can only grant what its own admin grants cover', { grant });
      }
    }
    const secret = newSecret();
    const record = await this.store({ name: spec.name, grants: spec.grants, defaultSpace: spec.defaultSpace }, secret);
    return { ...view(record), key: secret };
  }

  /** The keys the caller administers (every grant held by its admin grants), oldest first. */
  async list(call: CallContext = {}): Promise<KeyView[]> {
    const by = principalOf(call);
    return (await this.keys.list()).filter((k) => administers(by, k)).map(view);
  }

  /** Revokes a key at once; `NOT_FOUND` for an unknown key or one the caller does not administer. */
  async revoke(id: string, call: CallContext = {}): Promise<void> {
    const by = principalOf(call);
    const key = (await this.keys.list()).find((k) => k.id === id && k.revokedAt === null);
    if (key === undefined || !administers(by, key) || !(await this.keys.revoke(id, this.now()))) {
      throw new MemspaceError('NOT_FOUND', `key ${id} not found`, { id });
    }
    this.revocations.ring(id);
  }

  /** Calls `fn` when this process revokes the key `keyId`, until the returned function is called. */
  onRevoked(keyId: string, fn: () => void): () => void {
    return this.revocations.listen(keyId, fn);
  }

  /**
   * Resolves while the key of `principal` is live; `UNAUTHENTICATED` once it is revoked, by this
   * process or another on the same catalogue. For what outlives the call that authenticated it
   * (a change stream). Keys are never deleted, so a principal with no stored key is one an
   * embedding program made itself (or the local principal), and stays live.
   */
  async ensureLive(principal: Principal): Promise<void> {
    const key = await this.keys.findById(principal.keyId);
    if (key !== undefined && key.revokedAt !== null) throw new MemspaceError('UNAUTHENTICATED', 'this API key was revoked');
  }

  /** The principal a secret stands for; `UNAUTHENTICATED` for an unknown or revoked key. */
  async authenticate(secret: string): Promise<Principal> {
    const hash = sha256(secret);
    const key = await this.keys.findByHash(hash);
    // The look-up is by hash, so timing reveals nothing of the secret; compare again in constant time anyway.
    if (key === undefined || key.revokedAt !== null || !timingSafeEqual(Buffer.from(key.hash, 'hex'), Buffer.from(hash, 'hex'))) {
      throw new MemspaceError('UNAUTHENTICATED', 'unknown or revoked API key');
    }
    return { keyId: key.id, name: key.name, grants: key.grants, defaultSpace: key.defaultSpace };
  }

  private async store(spec: { name: string; grants: Grant[]; defaultSpace?: string | undefined }, secret: string): Promise<KeyRecord> {
    const record: KeyRecord = {
      id: `key_${uuidv7(this.now()).replace(/-/g, '')}`,
      name: spec.name,
      hash: sha256(secret),
      grants: spec.grants,
      defaultSpace: spec.defaultSpace ?? null,
      createdAt: this.now(),
      revokedAt: null,
    };
    await this.keys.create(record);
    return record;
  }
}

function administers(by: Principal, key: KeyRecord): boolean {
  return key.grants.every((g) => holds(by.grants, g, 'admin'));
}

function newSecret(): string {
  return `msk_${randomBytes(32).toString('base64url')}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function view(k: KeyRecord): KeyView {
  return { id: k.id, name: k.name, grants: k.grants, defaultSpace: k.defaultSpace, createdAt: iso(k.createdAt), revokedAt: k.revokedAt === null ? null : iso(k.revokedAt) };
}

/** The key of an `Authorization` value, `Bearer <key>` or `Token <key>`; anything else is `UNAUTHENTICATED`. Every front end reads keys with it. */
export function keyOfAuthorization(authorization: string): string {
  const match = /^(?:Bearer|Token)\s+(\S+)\s*$/i.exec(authorization);
  if (match) return match[1]!;
  throw new MemspaceError('UNAUTHENTICATED', 'the Authorization header must be "Bearer <key>" or "Token <key>"');
}
