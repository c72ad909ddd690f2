import type { ParticipantPrivacy } from '../federations.js';
import type { Mechanism } from '../privacy.js';
import type { JsonObject } from '../types.js';

/** A federation: a topic on which opted-in spaces contribute to differentially private releases. */
export interface FederationRecord {
  id: string;
  topic: string;
  mechanism: Mechanism;
  /** ε each release spends from every contributing participant, in millionths. */
  epsilonMicro: number;
  /** δ of the Gaussian mechanism; null for Laplace. */
  delta: number | null;
  minParticipants: number;
  createdAt: number;
  createdBy: string | null;
  /** Releases numbered so far (the last release's seq). */
  releaseSeq: number;
}

/** Why a participant stopped contributing. */
export type WithdrawReason = 'requested' | 'isolation' | 'deleted';

/** One space's participation in one federation, with its privacy account and reputation. */
export interface ParticipantRecord {
  federationId: string;
  space: string;
  /** Creation time of the space that joined: a later space of the same name is not this participant. */
  spaceCreatedAt: number;
  privacy: ParticipantPrivacy;
  /** A random name shown instead of the space's where names are not shown. */
  alias: string;
  /** Total ε the space allows this federation to spend, in millionths. */
  budgetMicro: number;
  /** ε spent so far, in millionths; never decreases, not even by withdrawing and joining again. */
  spentMicro: number;
  joinedAt: number;
  withdrawnAt: number | null;
  withdrawReason: WithdrawReason | null;
  /** Releases the space contributed to. */
  contributions: number;
  /** Of those, how many clipped its contribution at the bound. */
  clipped: number;
  lastContributionAt: number | null;
}

/** State of a release: spent and being computed, computed, or failed after the spend. */
export type ReleaseState = 'pending' | 'done' | 'failed';

/** One release of a federation, stored with its result. */
export interface ReleaseRecord {
  id: string;
  federationId: string;
  /** 1, 2, 3, ... within the federation. */
  seq: number;
  kind: string;
  params: JsonObject;
  state: ReleaseState;
  mechanism: Mechanism;
  epsilonMicro: number;
  delta: number | null;
  /** Participants that contributed (and spent). */
  contributors: number;
  /** The released aggregate, noise and counts; null until computed. */
  result: JsonObject | null;
  createdAt: number;
  createdBy: string | null;
}

/** A release about to be computed: the spend of its contributors and its pending record, made durable together. */
export interface ReleaseSpend {
  federationId: string;
  /** The spaces that contribute, each charged the release's ε. */
  spaces: readonly string[];
  /** The pending release; its seq is assigned by the store. */
  release: Omit<ReleaseRecord, 'seq'>;
}

/** What a computed release records: its outcome, and each contributor's reputation. */
export interface ReleaseOutcome {
  state: 'done' | 'failed';
  result: JsonObject | null;
  /** Contributors, and whether each one's contribution was clipped. */
  contributions: readonly { space: string; clipped: boolean }[];
  at: number;
}

/**
 * Federations, their participants and releases, in the catalogue. Space names compare
 * case-insensitively. Budget spends are atomic: {@link FederationStore.spend} checks every
 * contributor and charges all or none in one catalogue transaction.
 */
export interface FederationStore {
  /** Stores a new federation. */
  create(record: FederationRecord): Promise<void>;
  /** A federation by id, or undefined. */
  get(id: string): Promise<FederationRecord | undefined>;
  /** Federations by id (ids sort by creation), after `after`, at most `limit`. */
  list(options: { after?: string | undefined; limit: number }): Promise<FederationRecord[]>;
  /** Every participation record of a federation, active or withdrawn, by join time. */
  participants(federationId: string): Promise<ParticipantRecord[]>;
  /** Every participation record of a space, in any federation. */
  participationsOf(space: string): Promise<ParticipantRecord[]>;
  /**
   * Records a participation: a new row, or a withdrawn one active again with the new budget and
   * privacy, its spend and reputation kept (a space of the same name created since replaces it
   * whole). `CONFLICT` when the space participates already.
   */
  join(record: ParticipantRecord): Promise<ParticipantRecord>;
  /** Marks an active participation withdrawn; false when there was none. */
  withdraw(federationId: string, space: string, at: number, reason: WithdrawReason): Promise<boolean>;
  /** Deletes every participation record of a space (the space is gone); returns how many. */
  forgetSpace(space: string): Promise<number>;
  /**
   * In one transaction: checks that every space of `spend.spaces` is an active participant whose
   * spent ε plus the release's stays within its budget, charges each, and stores the pending
   * release with the next seq. Nothing is charged when any check fails: `QUOTA_EXCEEDED`
   * (`details.quota: 'epsilonBudget'`, the spaces over) or `CONFLICT` (a space no longer active).
   */
  spend(spend: ReleaseSpend): Promise<ReleaseRecord>;
  /** Stores a release's outcome and its contributors' reputation, in one transaction. */
  complete(releaseId: string, outcome: ReleaseOutcome): Promise<void>;
  /** A federation's releases by seq, after `afterSeq`, at most `limit`. */
  releases(federationId: string, options: { afterSeq?: number | undefined; limit: number }): Promise<ReleaseRecord[]>;
}
