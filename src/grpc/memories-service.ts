import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { MemspaceError } from '../core/errors.js';
import { MemoryBatchSchema } from '../core/schemas.js';
import { pickSpace } from '../core/space-name.js';
import { parseWith } from '../core/validate.js';
import type { Memory, SearchHit } from '../core/views.js';
import type { CallContext } from '../engine/access-guard.js';
import type { Memspace } from '../memspace.js';
import { clientStream, type GrpcContext, serverStream, unary } from './grpc-calls.js';
import { type AddMemoryRequest, type MemoryMessage, memoryMessage, type MemoryRef } from '../wire/messages.js';
import { fromStruct, type ProtoStruct, toStruct } from '../wire/struct.js';
import { memoryInput } from './grpc-messages.js';

/** Memories a List stream reads per page of the engine's listing. */
const LIST_PAGE = 500;

/** Most memories one commit of an AddStream takes. */
export const STREAM_GROUP = 500;

/** `memspace.v1.Memories`: the memory routes of REST, with a streamed add and a streamed listing. */
export function memoriesService(ctx: GrpcContext): UntypedServiceImplementation {
  const ms = ctx.memspace;
  const rpc = (method: string): string => `memspace.v1.Memories/${method}`;
  return {
    Add: unary(ctx, rpc('Add'), async (r: AddMemoryRequest, { call, space }) => memoryMessage(await ms.memories.add(space(r.space), memoryInput(r), call))),
    BatchAdd: unary(ctx, rpc('BatchAdd'), async (r: { space: string; memories: AddMemoryRequest[] }, { call, space }) => {
      // The batch's own rules (1 to MAX_BATCH memories) as the REST route checks them.
      const { memories } = parseWith(MemoryBatchSchema, { memories: r.memories.map(memoryInput) }, 'batch');
      return { memories: (await ms.memories.addMany(space(r.space), memories, call)).map(memoryMessage) };
    }),
    AddStream: clientStream(ctx, rpc('AddStream'), async (requests: AsyncIterable<AddMemoryRequest>, { call, space }) => {
      let name: string | undefined;
      const committer = new GroupCommitter(ms, call);
      try {
        for await (const request of requests) {
          // The first message fixes the stream's space; a later one may repeat it, never change it.
          name = name === undefined ? space(request.space) : pickSpace([['stream', name], ['space field', request.space === '' ? undefined : request.space]]);
          await committer.push(name, memoryInput(request));
        }
        if (name === undefined) throw new MemspaceError('VALIDATION_FAILED', 'the stream sent no memory', { issues: [{ path: 'memories', message: 'send at least one' }] });
        const ids = await committer.finish();
        return { added: ids.length, ids };
      } catch (error) {
        // Whatever the client sent after the failure is dropped; the commit running ends first.
        throw await committer.abandon(error);
      }
    }),
    Get: unary(ctx, rpc('Get'), async (r: MemoryRef, { call, space }) => memoryMessage(await ms.memories.get(space(r.space), r.id, {}, call))),
    Update: unary(ctx, rpc('Update'), async (r: { space: string; id: string; changes: ProtoStruct | null; embedding: number[] }, { call, space }) => {
      const changes = { ...fromStruct(r.changes), ...(r.embedding.length > 0 && { embedding: r.embedding }) };
      return memoryMessage(await ms.memories.update(space(r.space), r.id, changes, call));
    }),
    Delete: unary(ctx, rpc('Delete'), async (r: MemoryRef, { call, space }) => {
      await ms.memories.delete(space(r.space), r.id, call);
      return { deleted: 1 };
    }),
    History: unary(ctx, rpc('History'), async (r: MemoryRef, { call, space }) => ({
      entries: (await ms.memories.history(space(r.space), r.id, call)).map((entry) => toStruct(entry as unknown as Record<string, unknown>)),
    })),
    Search: unary(
      ctx,
      rpc('Search'),
      async (r: { space: string; query: string; embedding: number[]; mode: string; limit: number; filter: ProtoStruct | null; options: ProtoStruct | null }, { call, space }) => {
        const filter = fromStruct(r.filter);
        const request = {
          ...fromStruct(r.options),
          ...(r.query !== '' && { query: r.query }),
          ...(r.embedding.length > 0 && { embedding: r.embedding }),
          ...(r.mode !== '' && { mode: r.mode }),
          ...(r.limit > 0 && { limit: r.limit }),
          ...(filter !== undefined && { filter }),
        };
        const { results } = await ms.search.run(space(r.space), request, call);
        return { results: results.map((hit: SearchHit) => ({ memory: memoryMessage(hit.memory), score: hit.score, scores: hit.scores })) };
      },
    ),
    List: serverStream(ctx, rpc('List'), async (r: { space: string; filter: ProtoStruct | null }, { call, space }, write: (m: MemoryMessage) => Promise<void>, signal) => {
      const name = space(r.space);
      const filter = fromStruct(r.filter);
      let cursor: string | null = null;
      do {
        const page = await ms.memories.list(name, { limit: LIST_PAGE, order: 'asc', ...(cursor !== null && { cursor }), ...(filter !== undefined && { filter }) }, call);
        for (const memory of page.items) if (!signal.aborted) await write(memoryMessage(memory));
        cursor = page.nextCursor;
      } while (cursor !== null && !signal.aborted);
    }),
  };
}

/**
 * The commits of one AddStream, in the order the memories came: one commit at a time, each
 * taking every memory that arrived while the previous one ran (up to {@link STREAM_GROUP}), all
 * or nothing, durable before the next starts. A slow stream commits each memory at once; a fast
 * one, in large groups. The memories committed are thus always the stream's first ones.
 */
class GroupCommitter {
  private readonly ids: string[] = [];
  private pending: Record<string, unknown>[] = [];
  private space = '';
  private running: Promise<void> | undefined;
  private error: unknown;

  constructor(
    private readonly ms: Memspace,
    private readonly call: CallContext,
  ) {}

  /** Queues a memory; waits only while a whole group is queued behind the running commit. */
  async push(space: string, memory: Record<string, unknown>): Promise<void> {
    this.space = space;
    this.pending.push(memory);
    if (this.pending.length >= STREAM_GROUP) await this.running;
    if (this.error !== undefined) throw this.error;
    this.running ??= this.commit();
  }

  /** Commits what is left; resolves with every id, in the stream's order. */
  async finish(): Promise<string[]> {
    for (;;) {
      // A commit that ends starts the next one itself: wait until none runs.
      while (this.running !== undefined) await this.running;
      if (this.error !== undefined) throw this.error;
      if (this.pending.length === 0) return this.ids;
      this.running = this.commit();
    }
  }

  /**
   * Drops what is queued, waits for the running commit, and returns `error` with how many of
   * the stream's first memories are stored (`committed`), so the client knows where to resume;
   * nothing after them is.
   */
  async abandon(error: unknown): Promise<unknown> {
    this.pending = [];
    while (this.running !== undefined) await this.running;
    const cause = this.error ?? error;
    if (!(cause instanceof MemspaceError)) return cause;
    return new MemspaceError(cause.code, cause.message, { ...cause.details, committed: this.ids.length }, { cause });
  }

  private async commit(): Promise<void> {
    const group = this.pending.splice(0, STREAM_GROUP);
    try {
      const added: Memory[] = await this.ms.memories.addMany(this.space, group, this.call);
      for (const memory of added) this.ids.push(memory.id);
    } catch (error) {
      this.error ??= error;
      this.pending = [];
    } finally {
      this.running = undefined;
      if (this.pending.length > 0 && this.error === undefined) this.running = this.commit();
    }
  }
}
