import { consolidationHealth } from '../core/consolidation-health.js';
import { feedbackHealth } from '../core/feedback-api.js';
import { isMemspaceError } from '../core/errors.js';
import type { SpaceRecord } from '../core/types.js';
import { iso, type ServiceHealth, type SpaceHealth } from '../core/views.js';
import { principalOf, type CallContext } from './access-guard.js';
import type { SpaceGate } from './space-gate.js';
import type { SpaceRegistry, SpaceRegistryStats } from './space-registry.js';

/**
 * Health figures of spaces, for operators. Asking about an idle space never opens it: its
 * figures, consolidation's among them, are read from its files, so a health check of every
 * space costs no registry slot.
 */
export class HealthService {
  private readonly registry: SpaceRegistry;
  private readonly now: () => number;

  constructor(private readonly gate: SpaceGate) {
    this.registry = gate.registry;
    this.now = gate.now;
  }

  /** Counters of the open-space registry, for the process's metrics. */
  registryStats(): SpaceRegistryStats {
    return this.registry.stats();
  }

  /**
   * Liveness and readiness; with registry pressure (open spaces, the cap, damaged spaces) for
   * an operator only, since how busy the process is says something of other tenants.
   */
  async health(call: CallContext = {}): Promise<ServiceHealth> {
    const full = await this.fullHealth();
    return this.gate.guard.isOperator(principalOf(call)) ? full : { status: full.status, live: full.live, ready: full.ready };
  }

  private async fullHealth(): Promise<ServiceHealth> {
    const stats = this.registry.stats();
    let ready = true;
    try {
      await this.registry.backend.spaces.list({ limit: 1 });
    } catch {
      ready = false;
    }
    const damaged = this.registry.damagedCount();
    return { status: ready && damaged === 0 ? 'ok' : 'degraded', live: true, ready, openSpaces: stats.open, maxOpenSpaces: stats.cap, damagedSpaces: damaged };
  }

  /**
   * Figures of one space, for its readers (`registry` for operators only); `SPACE_NOT_FOUND`
   * when it does not exist.
   */
  async spaceHealth(name: string, call: CallContext = {}): Promise<SpaceHealth> {
    const principal = principalOf(call);
    await this.gate.guard.authorize(principal, name, 'read', call);
    const health = await this.figures(name);
    return this.gate.guard.isOperator(principal) ? health : { ...health, registry: null };
  }

  private async figures(name: string): Promise<SpaceHealth> {
    const record = await this.registry.record(name);
    const { open, cap } = this.registry.stats();
    const base = {
      name: record.name,
      registry: { open, cap },
      quotas: record.quotas,
      retentionDays: record.retentionDays,
    };
    const empty = { memories: null, bytes: null, payloadBytes: null, walBytes: null, walLagMs: null, indexLag: null, lastWriteAt: null, consolidation: null, feedback: null };
    if (record.state === 'archived') return { ...base, ...empty, state: 'archived', open: false };
    const now = this.now();
    const live = await this.registry.ifOpen(record.name, async ({ store }) => ({
      ...(await store.stats()),
      consolidation: consolidationHealth(await store.consolidationStats(now), await store.decayedCount()),
      feedback: feedbackHealth(await store.feedbackStats(), now),
    }));
    if (live !== undefined) {
      return {
        ...base,
        state: 'active',
        open: true,
        memories: live.memories,
        bytes: live.bytes,
        payloadBytes: live.payloadBytes,
        walBytes: live.walBytes,
        walLagMs: this.walLag(live.uncheckpointedSince),
        indexLag: live.vectorIndex.lag,
        lastWriteAt: live.lastWriteAt === null ? null : iso(live.lastWriteAt),
        consolidation: live.consolidation,
        feedback: live.feedback,
      };
    }
    try {
      const figures = await this.registry.backend.spaces.inspect(record);
      const consolidation = await this.registry.backend.spaces.inspectConsolidation(record, now);
      return {
        ...base,
        state: this.closedState(record),
        open: false,
        memories: figures.memories,
        bytes: figures.bytes,
        payloadBytes: figures.payloadBytes,
        walBytes: figures.walBytes,
        walLagMs: this.walLag(figures.uncheckpointedSince),
        indexLag: null,
        lastWriteAt: figures.lastWriteAt === null ? null : iso(figures.lastWriteAt),
        consolidation: consolidation === null ? null : consolidationHealth(consolidation, consolidation.decayed),
        // Read when the space is open only: a closed space's state is not worth opening it for.
        feedback: null,
      };
    } catch (error) {
      const reason = isMemspaceError(error) ? error.message : 'storage cannot be read';
      return { ...base, ...empty, state: 'damaged', open: false, error: this.registry.damageOf(record.name) ?? reason };
    }
  }

  private closedState(record: SpaceRecord): SpaceHealth['state'] {
    return record.state === 'active' ? 'idle' : record.state;
  }

  private walLag(since: number | null): number {
    return since === null ? 0 : Math.max(0, this.now() - since);
  }
}
