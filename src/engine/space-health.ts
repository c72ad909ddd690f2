import { z } from 'zod';
import { consolidationHealth } from '../core/consolidation-health.js';
import { feedbackHealth } from '../core/feedback-api.js';
import { isMemspaceError } from '../core/errors.js';
import type { SpaceRecord } from '../core/types.js';
import { parseWith } from '../core/validate.js';
import type { HealthHistory, SpaceHealthRow } from '../core/health-views.js';
import { iso, type Page, type ServiceHealth, type Space, type SpaceHealth } from '../core/views.js';
import { principalOf, type CallContext } from './access-guard.js';
import { HealthSampler } from './health-samples.js';
import type { SpaceGate } from './space-gate.js';
import type { SpaceRegistry, SpaceRegistryStats } from './space-registry.js';

/** The options of `GET /v1/health/spaces`: the space listing's, with a smaller default page (each row reads a space's figures). */
export const SpacesHealthQuerySchema = z.strictObject({
  prefix: z.string().max(64).optional(),
  limit: z.number().int().min(1).max(1000).default(50),
  cursor: z.string().max(64).optional(),
});

/** What the health service needs beyond the gate: the space listing, whose visibility rules its listing keeps. */
export interface HealthServiceDeps {
  list(query: unknown, call: CallContext): Promise<Page<Space>>;
}

/**
 * Health figures of spaces, for operators. Asking about an idle space never opens it: its
 * figures, consolidation's among them, are read from its files, so a health check of every
 * space costs no registry slot.
 */
export class HealthService {
  private readonly registry: SpaceRegistry;
  private readonly now: () => number;
  /** The process's samples of its open spaces over the last hour; started by the engine (memspace.ts). */
  readonly sampler: HealthSampler;

  constructor(
    private readonly gate: SpaceGate,
    private readonly deps: HealthServiceDeps = { list: async () => ({ items: [], nextCursor: null }) },
  ) {
    this.registry = gate.registry;
    this.now = gate.now;
    this.sampler = new HealthSampler(gate.registry, gate.now);
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

  /**
   * A page of the spaces the caller can see (the listing's rules: a space outside the key's
   * grants is neither shown nor counted), each with its cheap figures. Never opens a space.
   */
  async spacesHealth(query: unknown, call: CallContext = {}): Promise<Page<SpaceHealthRow>> {
    const { prefix, limit, cursor } = parseWith(SpacesHealthQuerySchema, query, 'query');
    const page = await this.deps.list({ prefix, limit, cursor }, call);
    const rows = await Promise.all(
      page.items.map(async (space): Promise<SpaceHealthRow | undefined> => {
        // A space deleted since the listing read it is left out.
        const health = await this.figures(space.name, false).catch((error: unknown) => (isMemspaceError(error) && error.code === 'SPACE_NOT_FOUND' ? undefined : Promise.reject(error)));
        if (health === undefined) return undefined;
        const { name, state, open, memories, bytes, payloadBytes, indexLag, lastWriteAt, quotas, retentionDays, error } = health;
        return { name, description: space.description, project: space.project, state, open, memories, bytes, payloadBytes, indexLag, lastWriteAt, quotas, retentionDays, ...(error !== undefined && { error }) };
      }),
    );
    return { items: rows.filter((r) => r !== undefined), nextCursor: page.nextCursor };
  }

  /**
   * A space's samples over the last hour, for its readers; empty for a space never sampled (not
   * open since the process started, or sampling off). `SPACE_NOT_FOUND` for a missing space and
   * for one the key cannot see alike.
   */
  async history(name: string, call: CallContext = {}): Promise<HealthHistory> {
    await this.gate.guard.authorize(principalOf(call), name, 'read', call);
    const record = await this.gate.explained(call, () => this.registry.record(name));
    return { space: record.name, intervalMs: this.sampler.intervalMs, samples: this.sampler.samplesOf(record.name) };
  }

  /** Figures of a space; `full` adds consolidation's and feedback's, which cost a read of the space's database. */
  private async figures(name: string, full = true): Promise<SpaceHealth> {
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
      consolidation: full ? consolidationHealth(await store.consolidationStats(now), await store.decayedCount()) : null,
      feedback: full ? feedbackHealth(await store.feedbackStats(), now) : null,
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
      const consolidation = full ? await this.registry.backend.spaces.inspectConsolidation(record, now) : null;
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
