import { spaceView, type ArchiveResult, type Space } from '../core/views.js';
import type { Backend } from '../core/ports/backend.js';
import { type CallContext } from './access-guard.js';
import { archiverOf } from './archiving.js';
import type { SpaceGate } from './space-gate.js';
import type { SpaceRegistry } from './space-registry.js';

/**
 * Archive tiers with an audit trail: the space's own trail records who archived and restored
 * it (the archive entry travels inside the archive), so the history of a space survives its
 * time in cold storage.
 */
export class SpaceLifecycle {
  private readonly registry: SpaceRegistry;

  constructor(
    private readonly gate: SpaceGate,
    /** Whether the backend can pack a space away: asked before anything is written. */
    private readonly backend: Pick<Backend, 'archiver'>,
  ) {
    this.registry = gate.registry;
  }

  /** Archives a space (admins only): `SPACE_ARCHIVED` for requests until restored (or auto-restore). */
  async archive(name: string, call: CallContext = {}): Promise<ArchiveResult> {
    await this.gate.authorize(name, 'admin', call);
    const record = await this.gate.explained(call, () => this.registry.record(name));
    archiverOf(this.backend, 'archive', record.name); // refused before the trail says it was attempted
    // The refusals counted in the space go into the archive with the rest of its trail.
    await this.gate.guard.flushRefusals(record.name);
    // Written before the archive is made, so the entry is part of it; should archiving then
    // fail, the trail says an archive was attempted, which is true.
    await this.gate.record(record.name, { action: 'space.archive', ids: [], details: null }, call);
    const { bytes } = await this.registry.archive(record.name);
    return { space: spaceView(await this.registry.record(record.name)), archiveBytes: bytes };
  }

  /** Restores an archived space into its directory (admins only); the space is `idle` until used. */
  async restore(name: string, call: CallContext = {}): Promise<Space> {
    await this.gate.authorize(name, 'admin', call);
    archiverOf(this.backend, 'restore', (await this.gate.explained(call, () => this.registry.record(name))).name);
    await this.registry.restore(name);
    await this.gate.record(name, { action: 'space.restore', ids: [], details: null }, call);
    return spaceView(await this.registry.record(name));
  }

  /**
   * Closes spaces idle past the configured timeout every `intervalMs`, on an unref'd timer
   * (it never keeps the process alive); for the server process.
   */
  startIdleClosing(intervalMs?: number): void {
    this.registry.startIdleTimer(intervalMs);
  }
}
