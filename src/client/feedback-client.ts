import type { FeedbackReset, FeedbackResult, RerankResult } from '../core/feedback-api.js';
import { segment } from './path-segment.js';
import { FeedbackResetResponse, FeedbackResultResponse, RerankResultResponse } from './responses.js';
import type { Call, Transport } from './transport.js';
import type { FeedbackInput, RequestOptions, RerankInput } from './types.js';

/** Feedback that shapes ranking in a space, through the HTTP API (docs/feedback.md); the gRPC client has the same calls. */
export interface FeedbackCalls {
  /**
   * Reports results as `used`, `helpful` or `wrong` (`POST /v1/spaces/{space}/feedback`, role
   * write): each deposit reinforces (or, `wrong`, sinks) its target, decaying with the space's
   * half-life; helpful ones, and the query, move the space's narrative. A memory id the space
   * does not hold is `NOT_FOUND` and nothing is recorded. Searches weigh it with
   * `rank: { feedback, narrative }` (or the space's `feedback.rank`).
   */
  feedback(space: string, input: FeedbackInput, options?: RequestOptions): Promise<FeedbackResult>;
  /** Forgets what feedback taught the space, every reinforcement and the narrative (`POST /v1/spaces/{space}/feedback/reset`, role admin). */
  resetFeedback(space: string, options?: RequestOptions): Promise<FeedbackReset>;
  /**
   * Orders documents that are not stored for `query` (`POST /v1/spaces/{space}/rerank`, role
   * read): their similarity to it, plus what the space's reinforcements of their ids and its
   * narrative add under `rank` (default the space's `feedback.rank`, else 0.5 and 0.5). Needs a
   * space with an embedder.
   */
  rerank(space: string, input: RerankInput, options?: RequestOptions): Promise<RerankResult>;
}

/** The feedback calls over `http`; `call` carries a call's signal and timeout. */
export function feedbackCalls(http: Transport, call: (options: RequestOptions | undefined) => Pick<Call, 'signal' | 'timeoutMs'>): FeedbackCalls {
  const path = (space: string, rest: string): string => `/v1/spaces/${segment(space, 'space')}${rest}`;
  return {
    feedback: async (space, input, o) => http.json({ method: 'POST', path: path(space, '/feedback'), json: input, ...call(o) }, FeedbackResultResponse),
    resetFeedback: async (space, o) => http.json({ method: 'POST', path: path(space, '/feedback/reset'), ...call(o) }, FeedbackResetResponse),
    rerank: async (space, input, o) => http.json({ method: 'POST', path: path(space, '/rerank'), json: input, ...call(o) }, RerankResultResponse),
  };
}
