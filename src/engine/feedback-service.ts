import { MemspaceError } from '../core/errors.js';
import {
  adaptiveBoost,
  adaptiveWeights,
  feedbackSignal,
  narrativeSignal,
  narrativeStrength,
  pheromoneLevel,
  RERANK_DEFAULT_WEIGHTS,
  SIGNAL_DEPOSITS,
  type FeedbackSignal,
} from '../core/feedback.js';
import { FeedbackRequestSchema, RerankRequestSchema, type FeedbackRequest, type FeedbackResult, type FeedbackReset, type RerankResult } from '../core/feedback-api.js';
import { uuidv7 } from '../core/ids.js';
import { byScore } from '../core/ranking.js';
import type { SpaceRecord } from '../core/types.js';
import { parseWith } from '../core/validate.js';

import type { CallContext } from './access-guard.js';
import type { SpaceEmbeddings } from './space-embeddings.js';
import type { SpaceGate } from './space-gate.js';
import type { SpaceHandle } from './space-registry.js';

/** Told of each signal a feedback call recorded (the server counts them for Prometheus). */
export type FeedbackListener = (space: string, signal: FeedbackSignal, count: number) => void;

/**
 * Feedback that shapes ranking, per space (core/feedback.ts has the rules, docs/feedback.md the
 * use): recording signals, resetting the state, and reranking a caller's documents with it.
 */
export class FeedbackService {
  private readonly listeners: FeedbackListener[] = [];

  constructor(
    private readonly gate: SpaceGate,
    private readonly embeddings: SpaceEmbeddings,
  ) {}

  /** Calls `listener` after each feedback call that was recorded; returns what stops it. */
  onSignals(listener: FeedbackListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  /**
   * Records one feedback call (write role): deposits on each result's pheromone, and, for the
   * helpful ones, their vectors and the query's into the narrative. A memory the space does not
   * hold is `NOT_FOUND` and nothing changes.
   */
  async record(space: string, request: unknown, call: CallContext = {}): Promise<FeedbackResult> {
    const req = parseWith(FeedbackRequestSchema, request, 'feedback');
    return this.gate.use(space, 'write', call, async (handle) => {
      const { record, store } = handle;
      const now = this.gate.now();
      const vectors = await this.narrativeVectors(handle, req);
      const counts = countSignals(req);
      const outcome = await store.recordFeedback(
        {
          id: uuidv7(now),
          deposits: req.results.map((r) => ({ id: r.id, kind: r.kind, deposit: SIGNAL_DEPOSITS[r.signal] * req.weight })),
          vectors,
          halfLifeDays: record.feedback.halfLifeDays,
          narrativeRate: record.feedback.narrativeRate,
          audit: { action: 'feedback.record', ids: [], details: { ...counts, results: req.results.length, weight: req.weight, narrative: vectors.length } },
        },
        this.gate.writeContext(call, now),
      );
      for (const [signal, count] of Object.entries(counts)) if (count > 0) for (const l of this.listeners) l(record.name, signal as FeedbackSignal, count);
      return {
        recorded: req.results.length,
        pheromones: outcome.pheromones.map((p) => ({ id: p.id, level: p.level })),
        narrative: outcome.narrative === undefined ? null : { updates: outcome.narrative.updates, updatedAt: new Date(outcome.narrative.updatedAt).toISOString() },
      };
    });
  }

  /** Deletes the space's pheromones and narrative (admin role), audited. */
  async reset(space: string, call: CallContext = {}): Promise<FeedbackReset> {
    return this.gate.use(space, 'admin', call, ({ store }) => store.resetFeedback(this.gate.writeContext(call, this.gate.now())));
  }

  /**
   * Orders a caller's documents (not stored) for a query (read role): cosine similarity, plus what
   * the space's pheromones of their ids and its narrative add (core/feedback.ts `adaptiveBoost`)
   * under the request's weights, else the space's, else {@link RERANK_DEFAULT_WEIGHTS}.
   */
  async rerank(space: string, request: unknown, call: CallContext = {}): Promise<RerankResult> {
    const req = parseWith(RerankRequestSchema, request, 'rerank request');
    return this.gate.use(space, 'read', call, async ({ record, store }) => {
      const now = this.gate.now();
      const weights = adaptiveWeights(req.rank, spaceOrRerankWeights(record)) ?? { feedback: 0, narrative: 0 };
      const [query, ...documents] = await this.embeddings.vectorsFor(record, [req.query, ...req.documents.map((d) => d.text)].map((text) => ({ text, given: undefined })));
      const { pheromones, narrative } = await store.read(async (reads) => ({ pheromones: await reads.pheromones(req.documents.map((d) => d.id)), narrative: await reads.narrative() }));
      const halfLife = record.feedback.halfLifeDays;
      const levels = new Map(pheromones.map((p) => [p.id, pheromoneLevel(p, now, halfLife)]));
      const strength = narrative === undefined ? 0 : narrativeStrength(narrative, now, halfLife);
      const ranked = req.documents.map((doc, index) => {
        const similarity = dot(query!, documents[index]!);
        const signals = { feedback: feedbackSignal(levels.get(doc.id) ?? 0), narrative: narrative === undefined ? 0 : narrativeSignal(dot(narrative.vector, documents[index]!), strength) };
        return { id: doc.id, index, score: similarity + adaptiveBoost(signals, weights), scores: { similarity, ...signals } };
      });
      return { results: ranked.sort(byScore).slice(0, req.limit ?? ranked.length), weights };
    });
  }

  /**
   * The vectors the narrative takes in: each helpful memory's embedding, each helpful document's
   * text embedded, then the query when anything was helpful. A space without an embedder takes
   * in the memories' vectors only. Only helpful memories are read (their vectors are needed);
   * that every memory named exists the store checks in its transaction.
   */
  private async narrativeVectors({ record, store }: SpaceHandle, req: FeedbackRequest): Promise<Float32Array[]> {
    const helpful = req.results.filter((r) => r.signal === 'helpful');
    if (helpful.length === 0) return [];
    const memoryIds = [...new Set(helpful.filter((r) => r.kind === 'memory').map((r) => r.id))];
    const memories = new Map((await store.getMemories(memoryIds)).map((m) => [m.id, m]));
    const missing = memoryIds.find((id) => !memories.has(id));
    if (missing !== undefined) throw new MemspaceError('NOT_FOUND', `memory ${missing} not found in this space`, { id: missing });
    const texts = [...helpful.flatMap((r) => (r.kind === 'document' && r.text !== undefined ? [r.text] : [])), ...(req.query === undefined ? [] : [req.query])];
    const embedded = texts.length === 0 || record.embedder === 'none' ? [] : await this.embeddings.vectorsFor(record, texts.map((text) => ({ text, given: undefined })));
    return [...helpful.flatMap((r) => (r.kind === 'memory' ? [memories.get(r.id)!.embedding] : [])), ...embedded];
  }
}

/** How many of each signal a call holds. */
function countSignals(req: FeedbackRequest): Record<FeedbackSignal, number> {
  const counts = { used: 0, helpful: 0, wrong: 0 };
  for (const r of req.results) counts[r.signal]++;
  return counts;
}

/** The space's default weights when it set any, else the rerank endpoint's. */
function spaceOrRerankWeights(record: SpaceRecord): { feedback: number; narrative: number } {
  const own = record.feedback.rank;
  return own.feedback > 0 || own.narrative > 0 ? own : RERANK_DEFAULT_WEIGHTS;
}

/** The dot product of two unit vectors of one length: their cosine. */
function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
