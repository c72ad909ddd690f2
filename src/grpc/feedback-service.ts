import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { FeedbackRequestMessage, RerankRequestMessage, SpaceRef } from '../wire/messages.js';
import { toStruct } from '../wire/struct.js';
import { type GrpcContext, unary } from './grpc-calls.js';
import { feedbackBody, rerankBody } from './grpc-messages.js';

/** `memspace.v1.Feedback`: the feedback routes of REST, each answer the REST body as a Struct. */
export function feedbackService(ctx: GrpcContext): UntypedServiceImplementation {
  const ms = ctx.memspace;
  const rpc = (method: string): string => `memspace.v1.Feedback/${method}`;
  return {
    Record: unary(ctx, rpc('Record'), async (r: FeedbackRequestMessage, { call, space }) => toStruct({ ...(await ms.feedback.record(space(r.space), feedbackBody(r), call)) })),
    Reset: unary(ctx, rpc('Reset'), async (r: SpaceRef, { call, space }) => toStruct({ ...(await ms.feedback.reset(space(r.space), call)) })),
    Rerank: unary(ctx, rpc('Rerank'), async (r: RerankRequestMessage, { call, space }) => toStruct({ ...(await ms.feedback.rerank(space(r.space), rerankBody(r), call)) })),
  };
}
