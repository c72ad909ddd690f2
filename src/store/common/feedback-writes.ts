/**
 * What a feedback call writes, decided once for every backend: a backend's transaction reads the
 * pheromones of the call's targets and the narrative, hands them here, and writes back what
 * comes out (core/feedback.ts has the rules).
 */
import { MemspaceError } from '../../core/errors.js';
import { blendNarrative, MAX_PHEROMONES, reinforce, type FeedbackOutcome, type FeedbackWrite, type NarrativeRecord, type PheromoneRecord } from '../../core/feedback.js';

/** The distinct targets of a call, in the order first named. */
export function feedbackTargets(write: FeedbackWrite): string[] {
  return [...new Set(write.deposits.map((d) => d.id))];
}

/** The `memory` targets of a call, which must exist in the space. */
export function memoryTargets(write: FeedbackWrite): string[] {
  return [...new Set(write.deposits.filter((d) => d.kind === 'memory').map((d) => d.id))];
}

/** `NOT_FOUND` for the first memory target of `write` the space does not hold. */
export function checkMemoryTargets(write: FeedbackWrite, exists: (id: string) => boolean): void {
  const missing = memoryTargets(write).find((id) => !exists(id));
  if (missing !== undefined) throw new MemspaceError('NOT_FOUND', `memory ${missing} not found in this space`, { id: missing });
}

/**
 * The state after `write`, from the pheromones of its targets (`current`) and the narrative as
 * the transaction reads them: each deposit in order on what is left of its target's pheromone,
 * then the vectors into the narrative. `held` is how many pheromones the space holds: a call
 * that would leave more than `MAX_PHEROMONES` is `QUOTA_EXCEEDED`.
 */
export function applyFeedback(write: FeedbackWrite, current: readonly PheromoneRecord[], narrative: NarrativeRecord | undefined, held: number, now: number): FeedbackOutcome {
  const byId = new Map(current.map((p) => [p.id, p]));
  const added = feedbackTargets(write).filter((id) => !byId.has(id)).length;
  if (added > 0 && held + added > MAX_PHEROMONES) {
    throw new MemspaceError('QUOTA_EXCEEDED', `a space keeps at most ${MAX_PHEROMONES} reinforced memories and documents`, { quota: 'pheromones', limit: MAX_PHEROMONES, current: held, requested: added });
  }
  const next = new Map<string, PheromoneRecord>();
  for (const d of write.deposits) next.set(d.id, reinforce(next.get(d.id) ?? byId.get(d.id), d.id, d.deposit, now, write.halfLifeDays));
  return { pheromones: [...next.values()], narrative: write.vectors.length === 0 ? undefined : blendNarrative(narrative, write.vectors, write.narrativeRate, now) };
}
