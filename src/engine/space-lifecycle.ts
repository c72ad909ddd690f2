import { spaceView, type ArchiveResult, type Space } from '../core/views.js';
import type { CallContext } from './memory-service.js';
import type { SpaceRegistry } from './space-registry.js';

/**
 * Archive tiers with an audit trail: the space's own trail records who archived and restored
 * it (the archive entry travels inside the archive), so the history of a space survives its
 * time in cold storage.
 */
export class SpaceLifecycle {
  constructor(
    private readonly registry: SpaceRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  /** Archives a space: `SPACE_ARCHIVED` for requests until restored (or auto-restore). */
  async archive(name: string, ctx: CallContext = {}): Promise<ArchiveResult> {
    const record = await this.registry.record(name);
    // Written before the archive is made, so the entry is part of it; should archiving then
    // fail, the trail says an archive was attempted, which is true.
    await this.registry.use(record.name, ({ store }) =>
      store.appendAudit({ action: 'space.archive', ids: [], details: null }, { actor: ctx.actor ?? null, now: this.now(), requestId: ctx.requestId ?? null }),
    );
    const { bytes } = await this.registry.archive(record.name);
    return { space: spaceView(await this.registry.record(record.name)), archiveBytes: bytes };
  }

  /** Restores an archived space into its directory; the space is `idle` until used. */
  async restore(name: string, ctx: CallContext = {}): Promise<Space> {
    await this.registry.restore(name);
    await this.registry.use(name, ({ store }) =>
      store.appendAudit({ action: 'space.restore', ids: [], details: null }, { actor: ctx.actor ?? null, now: this.now(), requestId: ctx.requestId ?? null }),
    );
    return spaceView(await this.registry.record(name));
  }
}
