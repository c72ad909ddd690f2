/**
 * Federations as every interface shows them. Who sees what (docs/federations.md): operators see
 * every participant, by name (by alias for `anonymized` ones), with budget and reputation; the
 * admin of a participant space sees the federation, the number of participants, and its own
 * participation only.
 */
import { fromMicro } from './federations.js';
import type { FederationRecord, ParticipantRecord, ReleaseRecord, WithdrawReason } from './ports/federation-store.js';
import type { Mechanism } from './privacy.js';
import type { JsonObject } from './types.js';
import { iso } from './views.js';

/** A participant's track record: how often it contributed, and how often the bound cut its contribution. */
export interface ReputationView {
  contributions: number;
  clipped: number;
  /** `clipped / contributions`, 0 before the first contribution: a high rate marks an outlier (or an attempt to steer the aggregate). */
  clippedRate: number;
  lastContributionAt: string | null;
}

/** Where a participation stands: status, privacy budget and track record. */
export interface ParticipationState {
  status: 'active' | 'withdrawn';
  withdrawReason: WithdrawReason | null;
  epsilonBudget: number;
  epsilonSpent: number;
  epsilonRemaining: number;
  joinedAt: string;
  withdrawnAt: string | null;
  reputation: ReputationView;
}

/** A participant as an operator sees it. */
export interface ParticipantView extends ParticipationState {
  /** The space's name, or its alias when it joined as `anonymized`. */
  name: string;
  anonymized: boolean;
}

/** One space's participation, as the space's admin sees it. */
export interface ParticipationView extends ParticipationState {
  federation: string;
  topic: string;
  mechanism: Mechanism;
  epsilonPerRelease: number;
  space: string;
  privacy: ParticipantRecord['privacy'];
}

/** A federation. `participantList` only for operators; `yours` only for participant admins. */
export interface FederationView {
  id: string;
  topic: string;
  mechanism: Mechanism;
  epsilonPerRelease: number;
  delta: number | null;
  minParticipants: number;
  /** Active participants. */
  participants: number;
  releases: number;
  createdAt: string;
  participantList?: ParticipantView[];
  yours?: ParticipationView[];
}

/** A space's participations and the ε spent across all its federations (sequential composition adds them up). */
export interface SpaceFederationsView {
  space: string;
  totalEpsilonSpent: number;
  items: ParticipationView[];
}

/** One release: the aggregate and the figures of its noise; never anything per space. */
export interface ReleaseView {
  id: string;
  federation: string;
  seq: number;
  kind: string;
  params: JsonObject;
  state: ReleaseRecord['state'];
  mechanism: Mechanism;
  epsilon: number;
  delta: number | null;
  contributors: number;
  result: JsonObject | null;
  createdAt: string;
}

/** A participant's reputation. */
export function reputationView(p: ParticipantRecord): ReputationView {
  return {
    contributions: p.contributions,
    clipped: p.clipped,
    clippedRate: p.contributions === 0 ? 0 : p.clipped / p.contributions,
    lastContributionAt: p.lastContributionAt === null ? null : iso(p.lastContributionAt),
  };
}

function account(p: ParticipantRecord) {
  return {
    status: p.withdrawnAt === null ? ('active' as const) : ('withdrawn' as const),
    withdrawReason: p.withdrawReason,
    epsilonBudget: fromMicro(p.budgetMicro),
    epsilonSpent: fromMicro(p.spentMicro),
    epsilonRemaining: fromMicro(Math.max(0, p.budgetMicro - p.spentMicro)),
    joinedAt: iso(p.joinedAt),
    withdrawnAt: p.withdrawnAt === null ? null : iso(p.withdrawnAt),
    reputation: reputationView(p),
  };
}

/** A participant as operators see it: an `anonymized` one by its alias only. */
export function participantView(p: ParticipantRecord): ParticipantView {
  const anonymized = p.privacy === 'anonymized';
  return { name: anonymized ? p.alias : p.space, anonymized, ...account(p) };
}

/** A participation as its space's admin sees it. */
export function participationView(f: FederationRecord, p: ParticipantRecord): ParticipationView {
  return {
    federation: f.id,
    topic: f.topic,
    mechanism: f.mechanism,
    epsilonPerRelease: fromMicro(f.epsilonMicro),
    space: p.space,
    privacy: p.privacy,
    ...account(p),
  };
}

/** A federation with its count of active participants, without any participant named. */
export function federationView(f: FederationRecord, active: number): FederationView {
  return {
    id: f.id,
    topic: f.topic,
    mechanism: f.mechanism,
    epsilonPerRelease: fromMicro(f.epsilonMicro),
    delta: f.delta,
    minParticipants: f.minParticipants,
    participants: active,
    releases: f.releaseSeq,
    createdAt: iso(f.createdAt),
  };
}

/** A release as everyone allowed to see it sees it. */
export function releaseView(r: ReleaseRecord): ReleaseView {
  return {
    id: r.id,
    federation: r.federationId,
    seq: r.seq,
    kind: r.kind,
    params: r.params,
    state: r.state,
    mechanism: r.mechanism,
    epsilon: fromMicro(r.epsilonMicro),
    delta: r.delta,
    contributors: r.contributors,
    result: r.result,
    createdAt: iso(r.createdAt),
  };
}
