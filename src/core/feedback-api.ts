/** The requests and answers of feedback and rerank (docs/feedback.md). */
import { z } from 'zod';
import type { FeedbackStats } from './feedback.js';
import { AdaptiveWeightsSchema, MAX_CONTENT_CHARS } from './schemas.js';

/** Most results one feedback call reports on, and most documents one rerank orders. */
export const MAX_FEEDBACK_ITEMS = 256;

const id = z.string().min(1).max(256);
const query = z.string().min(1).max(10_000);

/** One result a caller reports on: a memory of the space, or (`kind: "document"`) a document it reranked, whose `text` may feed the narrative. */
const FeedbackItemSchema = z
  .strictObject({
    id,
    signal: z.enum(['used', 'helpful', 'wrong']),
    kind: z.enum(['memory', 'document']).default('memory'),
    text: z.string().min(1).max(MAX_CONTENT_CHARS).optional().describe('a document\'s text; the narrative takes it in when the document was helpful'),
  })
  .refine((r) => r.kind === 'document' || r.text === undefined, { path: ['text'], message: 'text is for documents: a memory\'s own embedding is used' });

/** `POST /v1/spaces/{space}/feedback`. */
export const FeedbackRequestSchema = z.strictObject({
  query: query.optional().describe('the query the results answered; the narrative takes it in when one was helpful'),
  results: z.array(FeedbackItemSchema).min(1).max(MAX_FEEDBACK_ITEMS),
  weight: z.number().positive().max(10).default(1).describe('multiplies each signal\'s deposit; default 1'),
});
/** A parsed feedback request. */
export type FeedbackRequest = z.output<typeof FeedbackRequestSchema>;

/** `POST /v1/spaces/{space}/rerank`: documents that are not stored, ordered for the query with the space's state. */
export const RerankRequestSchema = z.strictObject({
  query,
  documents: z.array(z.strictObject({ id, text: z.string().min(1).max(MAX_CONTENT_CHARS) })).min(1).max(MAX_FEEDBACK_ITEMS),
  limit: z.number().int().min(1).max(MAX_FEEDBACK_ITEMS).optional().describe('default: every document'),
  rank: AdaptiveWeightsSchema.optional().describe('default: the space\'s feedback.rank when set, else 0.5 and 0.5'),
});
/** A parsed rerank request. */
export type RerankRequest = z.output<typeof RerankRequestSchema>;

/** What a feedback call left (`POST …/feedback`): each target's pheromone level now, and the narrative when there is one. */
export interface FeedbackResult {
  /** Results reported on. */
  recorded: number;
  pheromones: { id: string; level: number }[];
  narrative: { updates: number; updatedAt: string } | null;
}

/** What a reset deleted (`POST …/feedback/reset`). */
export interface FeedbackReset {
  pheromones: number;
  narrative: boolean;
}

/** One document of a rerank, best first: its place in the request, its score and the parts of it. */
export interface RerankedDocument {
  id: string;
  index: number;
  /** `similarity` + core/feedback.ts `adaptiveBoost` of the signals under the weights used. */
  score: number;
  scores: { similarity: number; feedback: number; narrative: number };
}

/** A rerank's answer (`POST …/rerank`), with the weights it used. */
export interface RerankResult {
  results: RerankedDocument[];
  weights: { feedback: number; narrative: number };
}

/** A space's feedback state in its health: how many targets are reinforced, and the narrative's age. */
export interface FeedbackHealth {
  reinforced: number;
  narrativeUpdatedAt: string | null;
  /** Seconds since the narrative last took a vector; null when there is none. */
  narrativeAgeSeconds: number | null;
}

/** The health view of a space's feedback figures at `now`. */
export function feedbackHealth(stats: FeedbackStats, now: number): FeedbackHealth {
  const at = stats.narrativeUpdatedAt;
  return { reinforced: stats.reinforced, narrativeUpdatedAt: at === null ? null : new Date(at).toISOString(), narrativeAgeSeconds: at === null ? null : Math.max(0, Math.round((now - at) / 1000)) };
}
