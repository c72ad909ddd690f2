/**
 * Rows of the federation tables and their records, once for every backend (the columns are the
 * same; a backend says how its driver takes and returns JSON columns).
 */
import { MemspaceError } from '../../core/errors.js';
import type { FederationRecord, ParticipantRecord, ReleaseRecord, ReleaseSpend } from '../../core/ports/federation-store.js';
import type { JsonObject } from '../../core/types.js';
import type { JsonColumn } from './catalog-rows.js';

/** A `federations` row. */
export interface FederationRow {
  id: string;
  topic: string;
  mechanism: string;
  epsilon_micro: number;
  delta: number | null;
  min_participants: number;
  created_at: number;
  created_by: string | null;
  release_seq: number;
}

/** A `federation_participants` row. */
export interface ParticipantRow {
  federation_id: string;
  space: string;
  space_created_at: number;
  privacy: string;
  alias: string;
  budget_micro: number;
  spent_micro: number;
  joined_at: number;
  withdrawn_at: number | null;
  withdraw_reason: string | null;
  contributions: number;
  clipped: number;
  last_contribution_at: number | null;
}

/** A `federation_releases` row. */
export interface ReleaseRow<J> {
  id: string;
  federation_id: string;
  seq: number;
  kind: string;
  params: J;
  state: string;
  mechanism: string;
  epsilon_micro: number;
  delta: number | null;
  contributors: number;
  result: J | null;
  created_at: number;
  created_by: string | null;
}

/** The federation a row holds. */
export function federationFromRow(r: FederationRow): FederationRecord {
  return {
    id: r.id,
    topic: r.topic,
    mechanism: r.mechanism as FederationRecord['mechanism'],
    epsilonMicro: Number(r.epsilon_micro),
    delta: r.delta === null ? null : Number(r.delta),
    minParticipants: Number(r.min_participants),
    createdAt: Number(r.created_at),
    createdBy: r.created_by,
    releaseSeq: Number(r.release_seq),
  };
}

/** The participation a row holds. */
export function participantFromRow(r: ParticipantRow): ParticipantRecord {
  return {
    federationId: r.federation_id,
    space: r.space,
    spaceCreatedAt: Number(r.space_created_at),
    privacy: r.privacy as ParticipantRecord['privacy'],
    alias: r.alias,
    budgetMicro: Number(r.budget_micro),
    spentMicro: Number(r.spent_micro),
    joinedAt: Number(r.joined_at),
    withdrawnAt: r.withdrawn_at === null ? null : Number(r.withdrawn_at),
    withdrawReason: r.withdraw_reason as ParticipantRecord['withdrawReason'],
    contributions: Number(r.contributions),
    clipped: Number(r.clipped),
    lastContributionAt: r.last_contribution_at === null ? null : Number(r.last_contribution_at),
  };
}

/** The release a row holds. */
export function releaseFromRow<J>(r: ReleaseRow<J>, json: JsonColumn<J>): ReleaseRecord {
  return {
    id: r.id,
    federationId: r.federation_id,
    seq: Number(r.seq),
    kind: r.kind,
    params: json.decode(r.params) as JsonObject,
    state: r.state as ReleaseRecord['state'],
    mechanism: r.mechanism as ReleaseRecord['mechanism'],
    epsilonMicro: Number(r.epsilon_micro),
    delta: r.delta === null ? null : Number(r.delta),
    contributors: Number(r.contributors),
    result: r.result === null ? null : (json.decode(r.result) as JsonObject),
    createdAt: Number(r.created_at),
    createdBy: r.created_by,
  };
}

/**
 * The participations of `spend.spaces` that cannot pay for the release, checked against the
 * rows read inside the spend's transaction: `CONFLICT` for a space no longer active,
 * `QUOTA_EXCEEDED` when any would pass its budget. Both backends run this same check.
 */
export function checkSpend(spend: ReleaseSpend, rows: readonly ParticipantRow[]): void {
  const active = new Map(rows.filter((r) => r.withdrawn_at === null).map((r) => [r.space.toLowerCase(), r]));
  const missing = spend.spaces.filter((s) => !active.has(s.toLowerCase()));
  if (missing.length > 0) {
    throw new MemspaceError('CONFLICT', 'the participants of the federation changed during the release; ask again', { withdrawn: missing.length });
  }
  const over = spend.spaces.filter((s) => {
    const r = active.get(s.toLowerCase())!;
    return Number(r.spent_micro) + spend.release.epsilonMicro > Number(r.budget_micro);
  });
  if (over.length > 0) {
    throw new MemspaceError('QUOTA_EXCEEDED', `the release would overspend the privacy budget of ${over.length} participant(s); nothing was spent`, {
      quota: 'epsilonBudget',
      over: over.length,
    });
  }
}
