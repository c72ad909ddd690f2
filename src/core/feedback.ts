/**
 * Feedback that shapes ranking, per space (docs/feedback.md): the rules, pure.
 *
 * - A **pheromone** is a memory's (or a caller's document's) reinforcement: each signal deposits
 *   {@link SIGNAL_DEPOSITS} (times the request's weight) onto what is left of it after
 *   exponential decay with the space's half-life, within ±{@link MAX_PHEROMONE}.
 * - The **narrative** is an exponential moving average of the embeddings of what was helpful and
 *   of the queries it helped, at the space's rate: what the space has lately been about. Its pull
 *   fades with the same half-life from its last update.
 * - A search or rerank with weights adds at most {@link ADAPTIVE_CAP} × (wf × feedback + wn ×
 *   narrative) to a candidate's score: feedback can lift or sink a candidate by a bounded amount,
 *   never make one out of nothing, and it fades to nothing without use.
 */
import { normalize } from './ranking.js';
import type { AuditEvent, FeedbackSettings } from './types.js';

/** What a caller reports of a result. */
export type FeedbackSignal = 'used' | 'helpful' | 'wrong';

/** The deposit of each signal, before the request's weight. */
export const SIGNAL_DEPOSITS: Readonly<Record<FeedbackSignal, number>> = Object.freeze({ helpful: 1, used: 0.5, wrong: -1 });
/** Bound of a pheromone's level either way, so a burst of feedback cannot pin a memory for ever. */
export const MAX_PHEROMONE = 5;
/** The most a search's feedback and narrative weights together add to (or take from) a score. */
export const ADAPTIVE_CAP = 0.25;
/** Below this (decayed, in absolute value) a pheromone no longer counts and retention deletes it; so is a narrative whose pull fell under it. */
export const FEEDBACK_FLOOR = 0.01;
/** How many pheromones a space keeps at most: documents reinforced through the rerank endpoint are not memories, so nothing else bounds them. */
export const MAX_PHEROMONES = 100_000;

/** Feedback settings of a space that nobody set: a week's half-life, a rate of 0.1, and no effect on searches until a space opts in. */
export const DEFAULT_FEEDBACK_SETTINGS: Readonly<FeedbackSettings> = Object.freeze({
  halfLifeDays: 7,
  narrativeRate: 0.1,
  rank: Object.freeze({ feedback: 0, narrative: 0 }),
});

/** Feedback settings with what `patch` sets over `base` (a creation's over the defaults, an update's over the space's); weights left out keep theirs. */
export function withFeedbackSettings(base: FeedbackSettings, patch: { halfLifeDays?: number | undefined; narrativeRate?: number | undefined; rank?: Partial<AdaptiveWeights> | undefined } | undefined): FeedbackSettings {
  return {
    halfLifeDays: patch?.halfLifeDays ?? base.halfLifeDays,
    narrativeRate: patch?.narrativeRate ?? base.narrativeRate,
    rank: { feedback: patch?.rank?.feedback ?? base.rank.feedback, narrative: patch?.rank?.narrative ?? base.rank.narrative },
  };
}

/** Weights a rerank uses when neither the request nor the space sets any: the rerank endpoint exists to apply the state. */
export const RERANK_DEFAULT_WEIGHTS: Readonly<AdaptiveWeights> = Object.freeze({ feedback: 0.5, narrative: 0.5 });

/** A target's reinforcement as stored: its level at `updatedAt` (epoch ms). */
export interface PheromoneRecord {
  /** A memory id of the space, or the id of a document a caller reranks. */
  id: string;
  level: number;
  updatedAt: number;
}

/** A space's narrative as stored: a unit vector of the space's dimension. */
export interface NarrativeRecord {
  vector: Float32Array;
  updatedAt: number;
  /** How many vectors it has taken in. */
  updates: number;
}

/**
 * One feedback call as the engine hands it to a store (core/feedback.ts has the rules). The
 * store applies it in one transaction against the state it holds then, so concurrent feedback
 * adds up and none is lost.
 */
export interface FeedbackWrite {
  /** The id of the call, which its change event names. */
  id: string;
  /** Deposits in the order given; the same target may come more than once. */
  deposits: { id: string; deposit: number; kind: 'memory' | 'document' }[];
  /** Unit vectors the narrative takes in, in order (helpful memories and documents, then the query). */
  vectors: Float32Array[];
  halfLifeDays: number;
  narrativeRate: number;
  /** The call's audit entry: counts, never content. */
  audit: AuditEvent;
}

/** What a feedback call left: each target's new pheromone, and the narrative when it took any vector. */
export interface FeedbackOutcome {
  pheromones: PheromoneRecord[];
  narrative: NarrativeRecord | undefined;
}

/** A space's feedback state in figures, for health (cheap: a count and one row). */
export interface FeedbackStats {
  /** Pheromones the space holds (memories and documents with some reinforcement left). */
  reinforced: number;
  /** When the narrative last took a vector; null when the space has none. */
  narrativeUpdatedAt: number | null;
}

/** Weights of the two adaptive signals in a score, each 0 to 1 and together at most 1. */
export interface AdaptiveWeights {
  feedback: number;
  narrative: number;
}

const DAY_MS = 86_400_000;

/** 2^(−age / half-life): what is left of one unit after `age` ms. */
function fade(updatedAt: number, now: number, halfLifeDays: number): number {
  return Math.pow(2, -Math.max(0, now - updatedAt) / (halfLifeDays * DAY_MS));
}

/** A pheromone's level at `now`, after decay. */
export function pheromoneLevel(p: Pick<PheromoneRecord, 'level' | 'updatedAt'>, now: number, halfLifeDays: number): number {
  return p.level * fade(p.updatedAt, now, halfLifeDays);
}

/** The pheromone after `deposit` lands on what is left of `previous` at `now`, within ±{@link MAX_PHEROMONE}. */
export function reinforce(previous: PheromoneRecord | undefined, id: string, deposit: number, now: number, halfLifeDays: number): PheromoneRecord {
  const left = previous === undefined ? 0 : pheromoneLevel(previous, now, halfLifeDays);
  return { id, level: Math.max(-MAX_PHEROMONE, Math.min(MAX_PHEROMONE, left + deposit)), updatedAt: now };
}

/** The feedback signal of a decayed level in (−1, 1): tanh(level / 2), so one `helpful` gives 0.46 and more give less each. */
export function feedbackSignal(level: number): number {
  return Math.abs(level) < FEEDBACK_FLOOR ? 0 : Math.tanh(level / 2);
}

/** The narrative after taking in `vectors` (unit, the space's dimension), each at `rate`; the first vector of a space is its narrative. */
export function blendNarrative(previous: NarrativeRecord | undefined, vectors: readonly Float32Array[], rate: number, now: number): NarrativeRecord | undefined {
  if (vectors.length === 0) return previous;
  let vector = previous?.vector;
  for (const v of vectors) {
    if (vector === undefined) {
      vector = Float32Array.from(v);
      continue;
    }
    const next = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) next[i] = (1 - rate) * vector[i]! + rate * v[i]!;
    vector = normalize(next);
  }
  return { vector: vector!, updatedAt: now, updates: (previous?.updates ?? 0) + vectors.length };
}

/** How strongly the narrative still pulls at `now`, 1 just after an update, halving every half-life. */
export function narrativeStrength(narrative: Pick<NarrativeRecord, 'updatedAt'>, now: number, halfLifeDays: number): number {
  return fade(narrative.updatedAt, now, halfLifeDays);
}

/** The narrative signal of a candidate in [0, 1]: its cosine with the narrative (not below 0), times the narrative's strength. */
export function narrativeSignal(cosine: number, strength: number): number {
  const s = Math.max(0, cosine) * strength;
  return s < FEEDBACK_FLOOR ? 0 : s;
}

/** What the two signals add to a score: {@link ADAPTIVE_CAP} × (wf × feedback + wn × narrative), so within ±{@link ADAPTIVE_CAP}. */
export function adaptiveBoost(signals: { feedback: number; narrative: number }, weights: AdaptiveWeights): number {
  return ADAPTIVE_CAP * (weights.feedback * signals.feedback + weights.narrative * signals.narrative);
}

/**
 * The adaptive weights a search or rerank uses: the request's when it sets either (the other is
 * then 0, so the two still sum to at most 1), else `defaults`; undefined when both are 0, so a
 * search of a space that never opted in ranks exactly as it always has.
 */
export function adaptiveWeights(asked: Partial<AdaptiveWeights> | undefined, defaults: AdaptiveWeights): AdaptiveWeights | undefined {
  const own = asked?.feedback !== undefined || asked?.narrative !== undefined;
  const weights = own ? { feedback: asked.feedback ?? 0, narrative: asked.narrative ?? 0 } : { feedback: defaults.feedback, narrative: defaults.narrative };
  return weights.feedback > 0 || weights.narrative > 0 ? weights : undefined;
}

/** Whether retention deletes this pheromone at `now`: its decayed level is under {@link FEEDBACK_FLOOR}. */
export function pheromoneSpent(p: PheromoneRecord, now: number, halfLifeDays: number): boolean {
  return Math.abs(pheromoneLevel(p, now, halfLifeDays)) < FEEDBACK_FLOOR;
}

/** A half-life in milliseconds, as stores compare times with it. */
export function halfLifeMs(halfLifeDays: number): number {
  return halfLifeDays * 86_400_000;
}

/** How many half-lives after its update a narrative's pull falls under {@link FEEDBACK_FLOOR}. */
export const NARRATIVE_HALF_LIVES = Math.log2(1 / FEEDBACK_FLOOR);

/**
 * How many half-lives after it was set a pheromone of `level` falls under {@link FEEDBACK_FLOOR}
 * (0 for one under it already). Stores keep it beside the level, so retention finds spent
 * pheromones with arithmetic SQL (`updated_at + halfLives × halfLife <= now`) under whatever
 * half-life the space has then.
 */
export function halfLivesLeft(level: number): number {
  const magnitude = Math.abs(level);
  return magnitude <= FEEDBACK_FLOOR ? 0 : Math.log2(magnitude / FEEDBACK_FLOOR);
}
