import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ChangeBell } from '../core/change-bell.js';
import { isMemspaceError, MemspaceError } from '../core/errors.js';
import { allows, holds, KeyCreateSchema, KeyPatchSchema, ROOT_GRANT, type Grant, type WhoAmI } from '../core/grants.js';
import { uuidv7 } from '../core/ids.js';
import type { KeyRecord, KeyStore } from '../core/ports/key-store.js';
import { parseWith } from '../core/validate.js';
import { iso, type CreatedKey, type KeyView, type Page, type Space } from '../core/views.js';
import { principalOf, type CallContext, type Principal } from './access-guard.js';
import type { SpaceGate } from './space-gate.js';

/** Shortest secret accepted as a root key given by the operator. */
const MIN_SECRET_LENGTH = 24;

/** Spaces per page when {@link KeyService.whoami} counts the visible ones: the listing's largest page. */
const COUNT_PAGE = 1000;

/** What keys need of spaces: a key's default space must be one its grants reach, and whoami counts what it sees. */
export interface KeySpaces {
  /** The guard, the registry (does a space exist) and the audit trails of spaces. */
  readonly gate: SpaceGate;
  /** A page of the spaces the caller can see: the space listing, whose rules whoami counts with. */
  list(query: unknown, call: CallContext): Promise<Page<Space>>;
}

/**
 * API keys: random secrets shown once and stored as SHA-256 hashes. A key may create, list and
 * revoke only keys whose every grant its own admin grants hold.
 */
export class KeyService {
  /** Rings a key's id when this process revokes it, so what was opened with the key ends at once. */
  private readonly revocations = new ChangeBell();

  constructor(
    private readonly keys: KeyStore,
    private readonly spaces: KeySpaces,
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

  /**
   * Changes a key's default ("current") space: the space its requests reach when they name none.
   * A key may change its own, and a key may change those it administers. The new default must
   * exist and be readable by the changed key's own grants: a space the caller cannot see is
   * `SPACE_NOT_FOUND` exactly as a missing one, and a space the caller sees but the changed key
   * does not is `FORBIDDEN`. A revoked or unknown key, or one the caller may not change, is
   * `NOT_FOUND`. The change is recorded (`key.update`, old and new default) in the audit trails
   * of the old and the new default space, and the next request with the key sees it.
   */
  async update(id: string, input: unknown, call: CallContext = {}): Promise<KeyView> {
    const by = principalOf(call);
    const patch = parseWith(KeyPatchSchema, input, 'key update');
    const key = await this.keys.findById(id);
    if (key === undefined || key.revokedAt !== null || (key.id !== by.keyId && !administers(by, key))) {
      throw new MemspaceError('NOT_FOUND', `key ${id} not found`, { id });
    }
    const to = patch.defaultSpace === null ? null : await this.reachableDefault(key, patch.defaultSpace, call);
    if (!(await this.keys.setDefaultSpace(key.id, to))) throw new MemspaceError('NOT_FOUND', `key ${id} not found`, { id });
    const from = key.defaultSpace;
    if (from !== to) {
      const event = { action: 'key.update', ids: [key.id], details: { key: key.id, name: key.name, defaultSpace: { from, to } } };
      // The trails of both spaces: the owner of each learns that a key's requests now land there, or no longer do.
      for (const space of new Set([from, to].filter((s): s is string => s !== null))) await this.recordIn(space, event, call);
    }
    return view({ ...key, defaultSpace: to });
  }

  /**
   * The calling key (`GET /v1/whoami`): id, name, grants, default space, and how many spaces it
   * can see, counted with the listing's own rules, so it never counts a space it could not list.
   */
  async whoami(call: CallContext = {}): Promise<WhoAmI> {
    const by = principalOf(call);
    let visibleSpaces = 0;
    let cursor: string | null = null;
    do {
      const page: Page<Space> = await this.spaces.list({ limit: COUNT_PAGE, ...(cursor !== null && { cursor }) }, call);
      visibleSpaces += page.items.length;
      cursor = page.nextCursor;
    } while (cursor !== null);
    return { id: by.keyId, name: by.name, grants: [...by.grants], defaultSpace: by.defaultSpace, visibleSpaces };
  }

  /**
   * `name` as the catalogue spells it, once the caller may see it (the guard decides, before
   * anything is looked up, and counts a refusal as every refusal), the key's own grants read it,
   * and it exists.
   */
  private async reachableDefault(key: KeyRecord, name: string, call: CallContext): Promise<string> {
    const gate = this.spaces.gate;
    await gate.authorize(name, 'read', call);
    if (key.id !== principalOf(call).keyId && !allows(await gate.guard.roleOf(principalOfKey(key), name), 'read')) {
      throw new MemspaceError('FORBIDDEN', `key ${key.id} has no grant that reads space "${name}": it cannot be its default space`, { id: key.id, space: name });
    }
    return (await gate.registry.record(name)).name;
  }

  /** Appends `event` to a space's trail when it still has one: a space deleted or archived since has nobody to tell. */
  private async recordIn(space: string, event: { action: string; ids: string[]; details: KeyUpdateDetails }, call: CallContext): Promise<void> {
    try {
      const record = await this.spaces.gate.registry.record(space);
      if (record.state !== 'archived') await this.spaces.gate.record(record.name, event, call);
    } catch (error) {
      if (!isMemspaceError(error) || !['SPACE_NOT_FOUND', 'SPACE_ARCHIVED', 'INVALID_SPACE'].includes(error.code)) throw error;
    }
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
    return principalOfKey(key);
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

/** What a key's requests carry: read from the catalogue on every request, so a changed default applies to the next one. */
function principalOfKey(key: KeyRecord): Principal {
  return { keyId: key.id, name: key.name, grants: key.grants, defaultSpace: key.defaultSpace };
}

/** What a `key.update` entry records. */
type KeyUpdateDetails = { key: string; name: string; defaultSpace: { from: string | null; to: string | null } };

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
