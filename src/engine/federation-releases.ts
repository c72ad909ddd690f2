import { MemspaceError } from '../core/errors.js';
import { andFilters, columnCondition, type FilterNode } from '../core/filter.js';
import { fromMicro, type ReleaseRequest } from '../core/federations.js';
import { releaseView, type ReleaseView } from '../core/federation-views.js';
import { uuidv7 } from '../core/ids.js';
import { contributionBuilder, emptyContribution, type Contribution } from '../core/insight-contributions.js';
import { aggregate } from '../core/insight-release.js';
import type { FederationRecord, FederationStore, ParticipantRecord } from '../core/ports/federation-store.js';
import type { SpaceCatalog } from '../core/ports/space-catalog.js';
import type { UniformSource } from '../core/privacy.js';
import type { JsonObject, SpaceRecord } from '../core/types.js';
import { principalOf, type CallContext } from './access-guard.js';
import { notExpiredAt } from './memory-filters.js';
import type { SpaceGate } from './space-gate.js';

/** Options of the release runner. */
export interface ReleaseOptions {
  /** Randomness of the noise. @default the CSPRNG (core/privacy.ts) */
  uniform?: UniformSource;
  /** Most memories of one space a contribution reads (oldest first); the bound on a contribution holds whatever it reads. @default 100000 */
  maxMemoriesPerSpace?: number;
}

/** A participant that may contribute to a release, with its space's current record. */
interface Eligible {
  participant: ParticipantRecord;
  record: SpaceRecord;
}

/** What decides who contributes: participants found eligible, and those left out by what the catalogue says. */
interface Roll {
  eligible: Eligible[];
  skipped: { archived: number; dimension: number };
  dimension: number;
}

const PAGE = 1000;

/**
 * Computes one release of a federation: decides from the catalogue alone who contributes (so
 * that neither the decision nor a refusal depends on any space's content), charges every
 * contributor's budget in one catalogue transaction before anything is read, computes each
 * space's clipped contribution inside that space, aggregates with noise, stores the result and
 * audits the release in every contributing space.
 */
export class FederationReleases {
  private readonly maxMemories: number;

  constructor(
    private readonly store: FederationStore,
    private readonly spaces: Pick<SpaceCatalog, 'get'>,
    private readonly gate: SpaceGate,
    /** Withdraws a participant whose space is no longer `federated` (audited in the space). */
    private readonly withdrawForIsolation: (p: ParticipantRecord, record: SpaceRecord) => Promise<void>,
    private readonly options: ReleaseOptions = {},
  ) {
    this.maxMemories = options.maxMemoriesPerSpace ?? 100_000;
  }

  /** Runs the release `request` (`rawParams` as asked, for the record) of `federation`. */
  async run(federation: FederationRecord, request: ReleaseRequest, rawParams: JsonObject, call: CallContext): Promise<ReleaseView> {
    const roll = await this.rollCall(federation, request);
    this.checkBudgets(federation, roll.eligible);
    const now = this.gate.now();
    const release = await this.store.spend({
      federationId: federation.id,
      spaces: roll.eligible.map((e) => e.participant.space),
      release: {
        id: uuidv7(now),
        federationId: federation.id,
        kind: request.kind,
        params: rawParams,
        state: 'pending',
        mechanism: federation.mechanism,
        epsilonMicro: federation.epsilonMicro,
        delta: federation.delta,
        contributors: roll.eligible.length,
        result: null,
        createdAt: now,
        createdBy: principalOf(call).keyId,
      },
    });
    // The spend is durable: from here on, a failure keeps it (the conservative side).
    let outcome: { result: JsonObject; clipped: boolean[] };
    try {
      outcome = await this.compute(federation, request, roll);
    } catch (error) {
      await this.store.complete(release.id, { state: 'failed', result: null, contributions: [], at: this.gate.now() });
      throw error;
    }
    const at = this.gate.now();
    const contributions = roll.eligible.map((e, i) => ({ space: e.participant.space, clipped: outcome.clipped[i]! }));
    await this.store.complete(release.id, { state: 'done', result: outcome.result, contributions, at });
    await this.auditRelease(federation, release.id, request.kind, roll.eligible, call);
    return releaseView({ ...release, state: 'done', result: outcome.result });
  }

  /** Who contributes, from the catalogue: present, same space as joined, still `federated`, not archived, of the federation's dimension. */
  private async rollCall(federation: FederationRecord, request: ReleaseRequest): Promise<Roll> {
    const eligible: Eligible[] = [];
    const skipped = { archived: 0, dimension: 0 };
    for (const participant of await this.store.participants(federation.id)) {
      if (participant.withdrawnAt !== null) continue;
      const record = await this.spaces.get(participant.space);
      if (record === undefined || record.createdAt !== participant.spaceCreatedAt) {
        await this.store.withdraw(federation.id, participant.space, this.gate.now(), 'deleted');
        continue;
      }
      if (record.isolation !== 'federated') {
        await this.withdrawForIsolation(participant, record);
        continue;
      }
      if (record.state === 'archived') {
        skipped.archived += 1;
        continue;
      }
      eligible.push({ participant, record });
    }
    let dimension = 0;
    let kept = eligible;
    if (request.kind === 'centroid') {
      dimension = commonDimension(eligible.map((e) => e.record.dimension));
      kept = eligible.filter((e) => e.record.dimension === dimension);
      skipped.dimension = eligible.length - kept.length;
    }
    if (kept.length < federation.minParticipants) {
      throw new MemspaceError('CONFLICT', `only ${kept.length} participant(s) can contribute; this federation releases nothing below ${federation.minParticipants}; nothing was spent`, {
        minParticipants: federation.minParticipants,
        eligible: kept.length,
        skipped,
      });
    }
    return { eligible: kept, skipped, dimension };
  }

  /** Refuses, before anything is charged or read, a release that would overspend any contributor. */
  private checkBudgets(federation: FederationRecord, eligible: readonly Eligible[]): void {
    const over = eligible.filter((e) => e.participant.spentMicro + federation.epsilonMicro > e.participant.budgetMicro);
    if (over.length === 0) return;
    throw new MemspaceError('QUOTA_EXCEEDED', `the release would overspend the privacy budget of ${over.length} participant(s); nothing was spent`, {
      quota: 'epsilonBudget',
      epsilon: fromMicro(federation.epsilonMicro),
      participants: over.map((e) => ({
        name: e.participant.privacy === 'anonymized' ? e.participant.alias : e.participant.space,
        epsilonRemaining: fromMicro(Math.max(0, e.participant.budgetMicro - e.participant.spentMicro)),
      })),
    });
  }

  /** Every contributor's clipped contribution, read in its own space, and the noised aggregate. */
  private async compute(federation: FederationRecord, request: ReleaseRequest, roll: Roll): Promise<{ result: JsonObject; clipped: boolean[] }> {
    const filter = andFilters(releaseFilter(request), notExpiredAt(this.gate.now()));
    const contributions: Contribution[] = [];
    let unavailable = 0;
    for (const { record } of roll.eligible) {
      try {
        contributions.push(await this.contribution(record.name, request, filter, federation, roll.dimension));
      } catch (error) {
        // A space that cannot be read (damaged storage) contributes the neutral value and is still charged.
        if (!(error instanceof MemspaceError) || error.code === 'INTERNAL') throw error;
        contributions.push(emptyContribution(request, roll.dimension));
        unavailable += 1;
      }
    }
    const k = Math.max(2, paramK(request) ?? federation.minParticipants);
    const released = aggregate(request, contributions, {
      mechanism: federation.mechanism,
      epsilon: fromMicro(federation.epsilonMicro),
      delta: federation.delta,
      k,
      dimension: roll.dimension,
      ...(this.options.uniform !== undefined && { uniform: this.options.uniform }),
    });
    const result: JsonObject = { ...released, skipped: roll.skipped, unavailable };
    return { result, clipped: contributions.map((c) => c.clipped) };
  }

  /** One space's contribution, read through the registry as a system read of that one space. */
  private contribution(space: string, request: ReleaseRequest, filter: FilterNode, federation: FederationRecord, dimension: number): Promise<Contribution> {
    return this.gate.registry.use(space, async ({ store }) => {
      const builder = contributionBuilder(request, federation.mechanism, dimension);
      let cursor: string | undefined;
      let read = 0;
      do {
        const page = await store.listMemories({ filter, limit: Math.min(PAGE, this.maxMemories - read), cursor, order: 'asc' });
        for (const memory of page.items) builder.add(memory);
        read += page.items.length;
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined && read < this.maxMemories);
      return builder.finish();
    });
  }

  /** `federation.release` in every contributor's trail: counts and ε, never content nor other participants. */
  private async auditRelease(federation: FederationRecord, releaseId: string, kind: string, eligible: readonly Eligible[], call: CallContext): Promise<void> {
    for (const { participant } of eligible) {
      const spent = participant.spentMicro + federation.epsilonMicro;
      await this.gate.record(
        participant.space,
        {
          action: 'federation.release',
          ids: [federation.id, releaseId],
          details: {
            kind,
            contributors: eligible.length,
            epsilon: fromMicro(federation.epsilonMicro),
            epsilonSpent: fromMicro(spent),
            epsilonRemaining: fromMicro(Math.max(0, participant.budgetMicro - spent)),
          },
        },
        call,
      );
    }
  }
}

/** The memories a release reads in each space: its filter, and for a centroid its tag. */
function releaseFilter(request: ReleaseRequest): FilterNode | undefined {
  const tag = request.kind === 'centroid' && request.params.tag !== undefined ? columnCondition('tags', 'eq', request.params.tag) : undefined;
  return andFilters(request.params.filter, tag);
}

function paramK(request: ReleaseRequest): number | undefined {
  return request.kind === 'histogram' || request.kind === 'terms' ? request.params.k : undefined;
}

/** The dimension most participants have (the smaller on a tie): a centroid needs one vector length. */
function commonDimension(dimensions: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const d of dimensions) counts.set(d, (counts.get(d) ?? 0) + 1);
  let best = 0;
  let bestCount = 0;
  for (const [d, n] of counts) if (n > bestCount || (n === bestCount && d < best)) [best, bestCount] = [d, n];
  return best;
}
