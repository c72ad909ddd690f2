import { MemspaceError } from '../core/errors.js';
import { allows, ShareInputSchema } from '../core/grants.js';
import { uuidv7 } from '../core/ids.js';
import type { ShareRecord, ShareStore } from '../core/ports/share-store.js';
import type { SpaceCatalog } from '../core/ports/space-catalog.js';
import { spaceKey, validateSpaceName } from '../core/space-name.js';
import { parseWith } from '../core/validate.js';
import { iso, type ShareView } from '../core/views.js';
import { principalOf, type CallContext, type Principal } from './access-guard.js';
import type { SpaceGate } from './space-gate.js';

/** How a principal may read a space: by its own grant, or through a share (maybe limited to tags). */
export interface ReadAccess {
  via: ShareRecord | null;
  tags: string[] | null;
}

/**
 * Sharing: the admin of a space may let another space's readers, or one key, read it (only
 * memories with some tags, if given). Spaces of isolation `strict` refuse shares, and a share
 * stops working the moment its space turns strict. Every read through a share is audited in
 * the shared space.
 */
export class ShareService {
  constructor(
    private readonly shares: ShareStore,
    private readonly spaces: Pick<SpaceCatalog, 'get'>,
    private readonly gate: SpaceGate,
  ) {}

  /** Shares `space`, which takes admin there. */
  async create(space: string, input: unknown, call: CallContext = {}): Promise<ShareView> {
    const principal = principalOf(call);
    await this.gate.guard.authorize(principal, space, 'admin', call);
    const spec = parseWith(ShareInputSchema, input, 'share');
    const record = await this.spaceRecord(space);
    if (record.isolation === 'strict') {
      throw new MemspaceError('FORBIDDEN', `space "${record.name}" has isolation strict, which refuses shares; set isolation to shared first`, { space: record.name, isolation: 'strict' });
    }
    const toKey = spec.to.startsWith('key_') ? spec.to : null;
    const toSpace = toKey === null ? validateSpaceName(spec.to) : null;
    if (toSpace !== null && spaceKey(toSpace) === spaceKey(record.name)) {
      throw new MemspaceError('VALIDATION_FAILED', 'a space cannot be shared with itself', { issues: [{ path: 'to', message: 'the same space' }] });
    }
    const share: ShareRecord = {
      id: `shr_${uuidv7(this.gate.now()).replace(/-/g, '')}`,
      space: record.name,
      toSpace,
      toKey,
      role: 'read',
      tags: spec.tags ?? null,
      createdAt: this.gate.now(),
      createdBy: principal.keyId,
    };
    await this.shares.create(share);
    await this.gate.record(record.name, { action: 'share.create', ids: [share.id], details: { to: spec.to, tags: share.tags } }, call);
    return view(share);
  }

  /** Shares of `space`, for its admins. */
  async list(space: string, call: CallContext = {}): Promise<ShareView[]> {
    await this.gate.authorize(space, 'admin', call);
    const record = await this.spaceRecord(space);
    return (await this.shares.list(record.name)).map(view);
  }

  /**
   * Shares given to `space` by other spaces, for its readers: each lets them read the shared
   * space, so naming it tells them nothing the share does not (a search through it names its
   * hits' space too). A share that does not work (its space turned strict, or is gone) is left
   * out, since it gives no access and its space stays unseen. Listing reads no memory of the
   * shared space, so it writes nothing to that space's trail (reads through a share do).
   */
  async incoming(space: string, call: CallContext = {}): Promise<ShareView[]> {
    await this.gate.authorize(space, 'read', call);
    const record = await this.spaceRecord(space);
    const out: ShareView[] = [];
    for (const share of await this.shares.listTo(record.name)) {
      const from = await this.spaces.get(share.space);
      if (from !== undefined && from.isolation !== 'strict') out.push(view({ ...share, space: from.name }));
    }
    return out;
  }

  /** Deletes a share of `space`; `NOT_FOUND` when there is none with that id. */
  async delete(space: string, id: string, call: CallContext = {}): Promise<void> {
    await this.gate.authorize(space, 'admin', call);
    const record = await this.spaceRecord(space);
    if (!(await this.shares.delete(record.name, id))) throw new MemspaceError('NOT_FOUND', `share ${id} not found in this space`, { id });
    await this.gate.record(record.name, { action: 'share.delete', ids: [id], details: null }, call);
  }

  /**
   * How `principal` may read `space`: its own grant first, else a share to it or to a space it
   * can read. Neither is `SPACE_NOT_FOUND`, as for a space that does not exist.
   */
  async readAccess(principal: Principal, space: string): Promise<ReadAccess> {
    if (allows(await this.gate.guard.roleOf(principal, space), 'read')) return { via: null, tags: null };
    const record = await this.spaces.get(space);
    if (record !== undefined && record.isolation !== 'strict') {
      const usable: ShareRecord[] = [];
      for (const s of await this.shares.list(record.name)) {
        if ((s.toKey !== null && s.toKey === principal.keyId) || (s.toSpace !== null && (await this.gate.guard.canSeeSpace(principal, s.toSpace)))) usable.push(s);
      }
      // The widest share wins: one without tags reads everything.
      const open = usable.find((s) => s.tags === null);
      if (open) return { via: open, tags: null };
      if (usable.length > 0) return { via: usable[0]!, tags: [...new Set(usable.flatMap((s) => s.tags ?? []))] };
    }
    throw new MemspaceError('SPACE_NOT_FOUND', `space "${space}" not found`, { space });
  }

  private async spaceRecord(space: string) {
    const record = await this.spaces.get(validateSpaceName(space));
    if (record === undefined) throw new MemspaceError('SPACE_NOT_FOUND', `space "${space}" not found`, { space });
    return record;
  }
}

function view(s: ShareRecord): ShareView {
  return {
    id: s.id,
    space: s.space,
    to: s.toKey ?? s.toSpace ?? '',
    toKind: s.toKey !== null ? 'key' : 'space',
    role: s.role,
    tags: s.tags,
    createdAt: iso(s.createdAt),
  };
}
