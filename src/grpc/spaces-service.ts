import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { type GrpcContext, unary } from './grpc-calls.js';
import { spaceMessage, type SpaceRef } from '../wire/messages.js';
import { fromStruct, type ProtoStruct, toStruct } from '../wire/struct.js';

/** `memspace.v1.Spaces`: the space routes of REST. */
export function spacesService(ctx: GrpcContext): UntypedServiceImplementation {
  const ms = ctx.memspace;
  const rpc = (method: string): string => `memspace.v1.Spaces/${method}`;
  return {
    Create: unary(ctx, rpc('Create'), async (r: { name: string; description: string; embedder: string; dimension: number; settings: ProtoStruct | null }, { call }) => {
      const input = { ...fromStruct(r.settings), name: r.name, ...(r.description !== '' && { description: r.description }), ...(r.embedder !== '' && { embedder: r.embedder }), ...(r.dimension > 0 && { dimension: r.dimension }) };
      return spaceMessage(await ms.spaces.create(input, call));
    }),
    Get: unary(ctx, rpc('Get'), async (r: SpaceRef, { call, space }) => spaceMessage(await ms.spaces.get(space(r.space), call))),
    List: unary(ctx, rpc('List'), async (r: { limit: number; cursor: string }, { call }) => {
      const page = await ms.spaces.list({ ...(r.limit > 0 && { limit: r.limit }), ...(r.cursor !== '' && { cursor: r.cursor }) }, call);
      return { spaces: page.items.map(spaceMessage), next: page.nextCursor ?? '' };
    }),
    Update: unary(ctx, rpc('Update'), async (r: { space: string; changes: ProtoStruct | null }, { call, space }) => spaceMessage(await ms.spaces.update(space(r.space), fromStruct(r.changes) ?? {}, call))),
    Delete: unary(ctx, rpc('Delete'), async (r: SpaceRef, { call, space }) => {
      await ms.spaces.delete(space(r.space), call);
      return { deleted: 1 };
    }),
    Health: unary(ctx, rpc('Health'), async (r: SpaceRef, { call, space }) => toStruct((await ms.health.spaceHealth(space(r.space), call)) as unknown as Record<string, unknown>)),
  };
}
