import { FeedbackRequestSchema, RerankRequestSchema } from '../../core/feedback-api.js';
import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { withoutSpace } from '../space-resolution.js';
import { FeedbackResetResponse, FeedbackResultResponse, RerankResultResponse } from '../../core/response-schemas.js';

/**
 * The header a NeuralCache client names its namespace with: the rerank route takes it as one more
 * name of the space header, so such a client points at memspace unchanged.
 */
export const NEURALCACHE_NAMESPACE_HEADER = 'x-neuralcache-namespace';

/**
 * Feedback that shapes ranking in one space (docs/feedback.md): signals on results, a reset of
 * what was learnt, and the rerank of a caller's documents with it.
 */
export function feedbackRoutes(ms: Memspace): RouteSpec[] {
  return [
    {
      method: 'POST',
      path: '/feedback',
      scoped: true,
      tag: 'feedback',
      summary: 'Report results as used, helpful or wrong: reinforces them (decaying with the space\'s half-life) and moves the space\'s narrative',
      role: 'write',
      body: FeedbackRequestSchema,
      response: FeedbackResultResponse,
      handler: ({ request, space, call }) => ms.feedback.record(space, withoutSpace(request.body), call),
    },
    {
      method: 'POST',
      path: '/feedback/reset',
      scoped: true,
      tag: 'feedback',
      summary: 'Forget what feedback taught the space: every reinforcement and the narrative',
      role: 'admin',
      response: FeedbackResetResponse,
      handler: ({ space, call }) => ms.feedback.reset(space, call),
    },
    {
      method: 'POST',
      path: '/rerank',
      scoped: true,
      spaceHeaders: [NEURALCACHE_NAMESPACE_HEADER],
      tag: 'feedback',
      summary: 'Order documents (not stored) for a query by similarity, the space\'s reinforcements of their ids and its narrative',
      role: 'read',
      body: RerankRequestSchema,
      response: RerankResultResponse,
      handler: ({ request, space, call }) => ms.feedback.rerank(space, withoutSpace(request.body), call),
    },
  ];
}
