import { MemspaceError } from '../core/errors.js';
import {
  FederationCreateSchema,
  FederationPageQuerySchema,
  ParticipantJoinSchema,
  ReleaseRequestSchema,
  toMicro,
  fromMicro,
} from '../core/federations.js';
import {
  federationView,
  participantView,
  participationView,
  releaseView,
  type FederationView,
  type ParticipationView,
  type ReleaseView,
  type SpaceFederationsView,
} from '../core/federation-views.js';
import { uuidv7 } from '../core/ids.js';
import type { FederationRecord, FederationStore, ParticipantRecord } from '../core/ports/federation-store.js';
import type { SpaceCatalog } from '../core/ports/space-catalog.js';
import { validateSpaceName } from '../core/space-name.js';
import type { Isolation, JsonObject, SpaceRecord } from '../core/types.js';
import { parseWith } from '../core/validate.js';
import type { Page } from '../core/views.js';
import { principalOf, type CallContext, type Principal } from './access-guard.js';
import { FederationReleases, type ReleaseOptions } from './federation-releases.js';
import type { SpaceGate } from './space-gate.js';

/** Federations read per page while filtering a listing by what the caller may see. */
const LIST_SCAN_PAGE = 1000;

/** A federation as one caller may reach it. */
interface Reach {
  federation: FederationRecord;
  participants: ParticipantRecord[];
  operator: boolean;
  /** Current participations of spaces the caller administers. */
  mine: ParticipantRecord[];
}

/**
 * Federated insights under differential privacy (docs/federations.md). Operators (keys that
 * read every space) create federations and ask for releases; the admin of a `federated` space
 * opts it in with a privacy budget, and out again; anyone else cannot tell a federation exists.
 * Joins, withdrawals and releases are audited in each participant space.
 */
export class FederationService {
  private readonly runner: FederationReleases;

  constructor(
    private readonly store: FederationStore,
    private readonly spaces: Pick<SpaceCatalog, 'get'>,
    private readonly gate: SpaceGate,
    options: ReleaseOptions = {},
  ) {
    this.runner = new FederationReleases(store, spaces, gate, (p, record) => this.withdrawAudited(p.federationId, record, 'isolation'), options);
  }

  /** Creates a federation; operators only. */
  async create(input: unknown, call: CallContext = {}): Promise<FederationView> {
    const principal = principalOf(call);
    this.requireOperator(principal, 'create federations');
    const spec = parseWith(FederationCreateSchema, input, 'federation');
    const now = this.gate.now();
    const record: FederationRecord = {
      id: uuidv7(now),
      topic: spec.topic,
      mechanism: spec.mechanism,
      epsilonMicro: toMicro(spec.epsilonPerRelease),
      delta: spec.delta ?? null,
      minParticipants: spec.minParticipants,
      createdAt: now,
      createdBy: principal.keyId,
      releaseSeq: 0,
    };
    await this.store.create(record);
    return { ...federationView(record, 0), participantList: [] };
  }

  /** A page of the federations the caller may see, by id (creation order). */
  async list(query: unknown = {}, call: CallContext = {}): Promise<Page<FederationView>> {
    const { limit, cursor } = parseWith(FederationPageQuerySchema, query, 'federation listing');
    const principal = principalOf(call);
    const items: FederationView[] = [];
    let after = cursor;
    for (;;) {
      const rows = await this.store.list({ after, limit: LIST_SCAN_PAGE });
      for (const federation of rows) {
        const reach = await this.reachOf(federation, principal);
        if (reach === undefined) continue;
        if (items.length === limit) return { items, nextCursor: items[limit - 1]!.id };
        items.push(this.view(reach));
      }
      if (rows.length < LIST_SCAN_PAGE) return { items, nextCursor: null };
      after = rows[rows.length - 1]!.id;
    }
  }

  /** One federation; `NOT_FOUND` for a caller who is neither an operator nor the admin of a participant. */
  async get(id: string, call: CallContext = {}): Promise<FederationView> {
    return this.view(await this.reach(id, principalOf(call)));
  }

  /** Opts `input.space` in (admin of that space); only spaces of isolation `federated` may join. */
  async join(id: string, input: unknown, call: CallContext = {}): Promise<ParticipationView> {
    const spec = parseWith(ParticipantJoinSchema, input, 'participant');
    const name = validateSpaceName(spec.space);
    await this.gate.authorize(name, 'admin', call);
    const federation = await this.federation(id);
    const record = await this.spaceRecord(name);
    if (record.isolation !== 'federated') {
      throw new MemspaceError(
        'FORBIDDEN',
        `space "${record.name}" has isolation ${record.isolation}; only spaces of isolation federated may join a federation (strict never contributes anywhere; shared consents to named readers, not to aggregates)`,
        { space: record.name, isolation: record.isolation },
      );
    }
    const budgetMicro = toMicro(spec.epsilonBudget);
    if (budgetMicro < federation.epsilonMicro) {
      throw new MemspaceError('VALIDATION_FAILED', `a budget below one release's epsilon (${fromMicro(federation.epsilonMicro)}) could never be spent`, {
        issues: [{ path: 'epsilonBudget', message: `at least ${fromMicro(federation.epsilonMicro)}` }],
      });
    }
    const now = this.gate.now();
    const joined = await this.store.join({
      federationId: federation.id,
      space: record.name,
      spaceCreatedAt: record.createdAt,
      privacy: spec.privacy,
      alias: `anonymous-${uuidv7(now).slice(-12)}`,
      budgetMicro,
      spentMicro: 0,
      joinedAt: now,
      withdrawnAt: null,
      withdrawReason: null,
      contributions: 0,
      clipped: 0,
      lastContributionAt: null,
    });
    await this.gate.record(
      record.name,
      {
        action: 'federation.join',
        ids: [federation.id],
        details: { privacy: joined.privacy, epsilonBudget: fromMicro(joined.budgetMicro), epsilonSpent: fromMicro(joined.spentMicro), epsilonPerRelease: fromMicro(federation.epsilonMicro) },
      },
      call,
    );
    return participationView(federation, joined);
  }

  /** Withdraws `space` (admin of that space); `NOT_FOUND` when it does not participate. */
  async leave(id: string, space: string, call: CallContext = {}): Promise<void> {
    const name = validateSpaceName(space);
    await this.gate.authorize(name, 'admin', call);
    const record = await this.spaceRecord(name);
    const federation = await this.federation(id);
    const current = (await this.store.participants(federation.id)).find((p) => isCurrent(p, record) && p.withdrawnAt === null);
    if (current === undefined) throw new MemspaceError('NOT_FOUND', `space "${record.name}" does not participate in federation ${id}`, { id, space: record.name });
    await this.withdrawAudited(federation.id, record, 'requested', call);
  }

  /** Computes one release (operators only): refused before anything is spent when too few can contribute or any budget is short. */
  async release(id: string, input: unknown, call: CallContext = {}): Promise<ReleaseView> {
    const principal = principalOf(call);
    const reach = await this.reach(id, principal);
    if (!reach.operator) this.requireOperator(principal, 'request releases');
    const request = parseWith(ReleaseRequestSchema, input, 'release');
    const raw = ((input as { params?: unknown }).params ?? {}) as JsonObject;
    return this.runner.run(reach.federation, request, { ...(request.params as unknown as JsonObject), ...('filter' in raw && { filter: raw['filter']! }) }, call);
  }

  /** A page of a federation's releases, oldest first, for whoever may see the federation. */
  async releases(id: string, query: unknown = {}, call: CallContext = {}): Promise<Page<ReleaseView>> {
    const { limit, cursor } = parseWith(FederationPageQuerySchema, query, 'release listing');
    const afterSeq = cursor === undefined ? 0 : Number.parseInt(cursor, 10);
    if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new MemspaceError('VALIDATION_FAILED', 'invalid cursor', { issues: [{ path: 'cursor', message: 'not a cursor of this listing' }] });
    const reach = await this.reach(id, principalOf(call));
    const rows = await this.store.releases(reach.federation.id, { afterSeq, limit: limit + 1 });
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    return { items: page.map(releaseView), nextCursor: more ? String(page[page.length - 1]!.seq) : null };
  }

  /** A space's participations, budgets and spends (admin of the space). */
  async ofSpace(space: string, call: CallContext = {}): Promise<SpaceFederationsView> {
    const name = validateSpaceName(space);
    await this.gate.authorize(name, 'admin', call);
    const record = await this.spaceRecord(name);
    const items: ParticipationView[] = [];
    let total = 0;
    for (const p of await this.store.participationsOf(record.name)) {
      if (!isCurrent(p, record)) continue;
      const federation = await this.store.get(p.federationId);
      if (federation === undefined) continue;
      items.push(participationView(federation, p));
      total += p.spentMicro;
    }
    return { space: record.name, totalEpsilonSpent: fromMicro(total), items };
  }

  /**
   * Withdraws `space` from every federation at once when its isolation is no longer
   * `federated`, with a `federation.withdraw` entry in its trail per federation. For the
   * service that changes a space's isolation; a release re-reads every participant's isolation
   * anyway, so a change made elsewhere withdraws the space at the next release.
   */
  async onIsolationChanged(space: string, isolation: Isolation): Promise<void> {
    if (isolation === 'federated') return;
    const record = await this.spaces.get(space);
    if (record === undefined) return;
    for (const p of await this.store.participationsOf(record.name)) {
      if (p.withdrawnAt === null && isCurrent(p, record)) await this.withdrawAudited(p.federationId, { ...record, isolation }, 'isolation');
    }
  }

  /** Forgets a deleted space's participations; releases also treat a missing space as withdrawn. */
  async onSpaceDeleted(space: string): Promise<void> {
    await this.store.forgetSpace(space);
  }

  private async withdrawAudited(federationId: string, record: SpaceRecord, reason: 'requested' | 'isolation', call: CallContext = {}): Promise<void> {
    if (!(await this.store.withdraw(federationId, record.name, this.gate.now(), reason))) return;
    const p = (await this.store.participants(federationId)).find((x) => x.space.toLowerCase() === record.name.toLowerCase());
    await this.gate.record(
      record.name,
      {
        action: 'federation.withdraw',
        ids: [federationId],
        details: { reason, ...(reason === 'isolation' && { isolation: record.isolation }), epsilonSpent: fromMicro(p?.spentMicro ?? 0), epsilonBudget: fromMicro(p?.budgetMicro ?? 0) },
      },
      call,
    );
  }

  /** The federation and how `principal` reaches it; `NOT_FOUND` when it may not see it. */
  private async reach(id: string, principal: Principal): Promise<Reach> {
    const federation = await this.store.get(id);
    const reach = federation === undefined ? undefined : await this.reachOf(federation, principal);
    if (reach === undefined) throw new MemspaceError('NOT_FOUND', `federation ${id} not found`, { id });
    return reach;
  }

  private async reachOf(federation: FederationRecord, principal: Principal): Promise<Reach | undefined> {
    const participants = await this.store.participants(federation.id);
    const operator = this.gate.guard.isOperator(principal);
    const mine: ParticipantRecord[] = [];
    for (const p of participants) {
      const record = await this.spaces.get(p.space);
      if (record === undefined || this.gate.guard.roleIn(principal, p.space, record.project) !== 'admin') continue;
      if (isCurrent(p, record)) mine.push(p);
    }
    if (!operator && mine.length === 0) return undefined;
    return { federation, participants, operator, mine };
  }

  private view(reach: Reach): FederationView {
    const active = reach.participants.filter((p) => p.withdrawnAt === null).length;
    const base = federationView(reach.federation, active);
    return {
      ...base,
      ...(reach.operator && { participantList: reach.participants.map(participantView) }),
      // Not for operators: their list already shows everyone, and names anonymized participants by alias only.
      ...(!reach.operator && { yours: reach.mine.map((p) => participationView(reach.federation, p)) }),
    };
  }

  private async federation(id: string): Promise<FederationRecord> {
    const federation = await this.store.get(id);
    if (federation === undefined) throw new MemspaceError('NOT_FOUND', `federation ${id} not found`, { id });
    return federation;
  }

  private async spaceRecord(name: string): Promise<SpaceRecord> {
    const record = await this.spaces.get(name);
    if (record === undefined) throw new MemspaceError('SPACE_NOT_FOUND', `space "${name}" not found`, { space: name });
    return record;
  }

  private requireOperator(principal: Principal, what: string): void {
    if (!this.gate.guard.isOperator(principal)) throw new MemspaceError('FORBIDDEN', `only an operator key (one that reads every space) may ${what}`);
  }
}

/** True when `p` is a participation of the space `record` is (not of an earlier space of the same name). */
function isCurrent(p: ParticipantRecord, record: SpaceRecord): boolean {
  return p.space.toLowerCase() === record.name.toLowerCase() && p.spaceCreatedAt === record.createdAt;
}
