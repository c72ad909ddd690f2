import type { Metadata } from '@grpc/grpc-js';
import { MemspaceError } from '../core/errors.js';
import { validateSpaceName } from '../core/space-name.js';
import type { HistoryEntry, Memory, SearchHit, Space, SpaceInfo } from '../core/views.js';
import { RetryBackoff, retryable } from './change-events.js';
import {
  addMemoryRequest,
  changeEvent,
  createSpaceRequest,
  feedbackRequest,
  feedbackResetView,
  feedbackResultView,
  historyEntries,
  memoryView,
  memoryViews,
  rerankRequest,
  rerankResultView,
  searchHits,
  searchRequest,
  spaceHealthView,
  spaceInfoView,
  spacePage,
  spaceView,
  updateMemoryRequest,
} from './grpc-messages.js';
import { type EventMessage, type MemoryMessage, type SearchResultMessage, type SpaceMessage, WATCH_AFTER_HEADER, type WatchRequest } from '../wire/messages.js';
import { type ProtoStruct, toStruct } from '../wire/struct.js';
import { GrpcTransport } from './grpc-transport.js';
import type {
  AddStreamSummary,
  GrpcEventsOptions,
  GrpcRequestOptions,
  GrpcScopedOptions,
  GrpcSpaceListQuery,
  MemspaceGrpcClientOptions,
} from './grpc-types.js';
import type {
  ChangeEvent,
  FeedbackInput,
  FeedbackReset,
  FeedbackResult,
  MemoryCreateInput,
  MemoryScanQuery,
  MemoryPatchInput,
  Page,
  RerankInput,
  RerankResult,
  SearchInput,
  SpaceCreateInput,
  SpaceHealth,
  SpacePatchInput,
} from './types.js';

/**
 * A typed client of the memspace gRPC API (`memspace/client/grpc`, proto/memspace/v1), with the
 * method names, inputs and results of the HTTP client ({@link MemspaceClient}) for everything
 * the protocol offers: code written against one runs against the other. Results are the REST
 * views, every failure a {@link MemspaceError} with the server's code (from the status's
 * ErrorInfo), `BACKEND_UNAVAILABLE` when the server cannot be reached or misses the deadline.
 *
 * What differs from HTTP: memories are listed whole, as a stream (`memories.all`, which the HTTP
 * client has too), not by pages; `memories.addStream` adds from an (async) iterable on one
 * call; `spaces.list` has no `prefix` and `search` no `expand` (both refused, never ignored);
 * archives, contexts, relations, shares, keys, audit and export/import are HTTP only.
 *
 * Calls on one space take `{ space }`; without it they use the client's `space` (sent as
 * `x-memory-space` metadata), else the key's default space, else `default`.
 *
 * @example
 * const ms = new MemspaceGrpcClient({ address: '127.0.0.1:7421', apiKey: process.env.MEMSPACE_KEY, space: 'acme.sales' });
 * await ms.memories.add({ content: 'Alice prefers tea', userId: 'alice' });
 * const hits = await ms.search({ query: 'what does Alice drink?', userId: 'alice' });
 * ms.close();
 */
export class MemspaceGrpcClient {
  private readonly grpc: GrpcTransport;

  /** Spaces: create, list, get (with figures), update, delete. */
  readonly spaces: {
    /** Creates a space (`Spaces.Create`); `CONFLICT` if the name is taken, in any case. */
    create(input: SpaceCreateInput, options?: GrpcRequestOptions): Promise<Space>;
    /** A page of the spaces the key can see, by name; `prefix` is not offered over gRPC (`VALIDATION_FAILED`). */
    list(query?: GrpcSpaceListQuery, options?: GrpcRequestOptions): Promise<Page<Space>>;
    /** A space with its storage figures; `SPACE_NOT_FOUND` also for a space the key may not see. */
    get(name: string, options?: GrpcRequestOptions): Promise<SpaceInfo>;
    /** Changes a space's description, isolation, sensitivity, retention, quotas or labels. */
    update(name: string, patch: SpacePatchInput, options?: GrpcRequestOptions): Promise<Space>;
    /** Deletes a space and every byte of it. */
    delete(name: string, options?: GrpcRequestOptions): Promise<void>;
  };

  /** Memories of one space. */
  readonly memories: {
    /** Adds a memory; resolves once it is durable. */
    add(input: MemoryCreateInput, options?: GrpcScopedOptions): Promise<Memory>;
    /** Adds memories all together or not at all; returns them in input order. */
    addBatch(inputs: readonly MemoryCreateInput[], options?: GrpcScopedOptions): Promise<Memory[]>;
    /**
     * Adds the memories `inputs` yields on one stream (`Memories.AddStream`), pulled as the call's
     * flow control allows, so a source of any size is never held in memory; resolves with the
     * summary once every one is durable. On a failure (the source's, the server's, an abort)
     * exactly the memories the server acknowledged before it are kept.
     */
    addStream(inputs: Iterable<MemoryCreateInput> | AsyncIterable<MemoryCreateInput>, options?: GrpcScopedOptions): Promise<AddStreamSummary>;
    /**
     * Every memory of the space (or those matching `filter`), oldest first, as the server streams
     * them; breaking out of the loop cancels the call. Not paged: the HTTP `list` pages, this reads
     * the whole space.
     */
    all(query?: MemoryScanQuery, options?: GrpcScopedOptions): AsyncGenerator<Memory, void, undefined>;
    /** One memory; `NOT_FOUND` when the space has no such id. */
    get(id: string, options?: GrpcScopedOptions): Promise<Memory>;
    /** Changes a memory (new content is embedded again); `metadata` and `tags` replace the old. */
    update(id: string, patch: MemoryPatchInput, options?: GrpcScopedOptions): Promise<Memory>;
    /** Deletes a memory and its relations. */
    delete(id: string, options?: GrpcScopedOptions): Promise<void>;
    /** A memory's history, oldest first. */
    history(id: string, options?: GrpcScopedOptions): Promise<HistoryEntry[]>;
  };

  /** A client of the server at `options.address`; it connects on the first call. */
  constructor(options: MemspaceGrpcClientOptions) {
    const grpc = new GrpcTransport(options);
    this.grpc = grpc;
    const space = (o: GrpcScopedOptions | undefined): string => (o?.space === undefined ? '' : named(o.space));

    this.spaces = {
      create: async (input, o) => spaceView(await grpc.unary<SpaceMessage>('Spaces', 'Create', createSpaceRequest(input), null, o)),
      list: async (query = {}, o) => {
        if ((query as { prefix?: unknown }).prefix !== undefined) {
          throw new MemspaceError('VALIDATION_FAILED', 'prefix is not offered over gRPC (Spaces.List pages through every space the key can see); use the HTTP client', {
            issues: [{ path: 'prefix', message: 'not offered over gRPC' }],
          });
        }
        const request = { limit: query.limit ?? 0, cursor: query.cursor ?? '' };
        return spacePage(await grpc.unary<{ spaces: SpaceMessage[]; next: string }>('Spaces', 'List', request, null, o));
      },
      get: async (n, o) => spaceInfoView(await grpc.unary<SpaceMessage>('Spaces', 'Get', { space: named(n) }, null, o)),
      update: async (n, patch, o) => spaceView(await grpc.unary<SpaceMessage>('Spaces', 'Update', { space: named(n), changes: toStruct(patch) }, null, o)),
      delete: async (n, o) => {
        await grpc.unary('Spaces', 'Delete', { space: named(n) }, null, o);
      },
    };

    this.memories = {
      add: async (input, o) => memoryView(await grpc.unary<MemoryMessage>('Memories', 'Add', addMemoryRequest(input, space(o)), space(o), o)),
      addBatch: async (inputs, o) => {
        const request = { space: space(o), memories: inputs.map((input) => addMemoryRequest(input, '')) };
        return memoryViews(await grpc.unary<{ memories: MemoryMessage[] }>('Memories', 'BatchAdd', request, space(o), o));
      },
      addStream: async (inputs, o) => grpc.upload<AddStreamSummary>('Memories', 'AddStream', addRequests(inputs, space(o)), space(o), o),
      all: async function* (query = {}, o) {
        const request = { space: space(o), filter: query.filter === undefined ? null : toStruct(query.filter) };
        for await (const m of grpc.stream<MemoryMessage>('Memories', 'List', request, space(o), o)) yield memoryView(m);
      },
      get: async (id, o) => memoryView(await grpc.unary<MemoryMessage>('Memories', 'Get', { space: space(o), id }, space(o), o)),
      update: async (id, patch, o) => memoryView(await grpc.unary<MemoryMessage>('Memories', 'Update', updateMemoryRequest(id, patch, space(o)), space(o), o)),
      delete: async (id, o) => {
        await grpc.unary('Memories', 'Delete', { space: space(o), id }, space(o), o);
      },
      history: async (id, o) => historyEntries(await grpc.unary<{ entries: ProtoStruct[] }>('Memories', 'History', { space: space(o), id }, space(o), o)),
    };
  }

  /**
   * A space's health (`Spaces.Health`, role read): memories, bytes on disk, state, WAL figures,
   * index lag, last write and registry pressure, as `spaceHealth` of the HTTP client gives them.
   */
  async spaceHealth(space: string, options?: GrpcRequestOptions): Promise<SpaceHealth> {
    return spaceHealthView(await this.grpc.unary<ProtoStruct>('Spaces', 'Health', { space: named(space) }, null, options));
  }

  /** Searches one space by meaning, keywords or both; hits best first. `expand` is HTTP only. */
  async search(input: SearchInput, options?: GrpcScopedOptions): Promise<SearchHit[]> {
    const space = options?.space === undefined ? '' : named(options.space);
    return searchHits(await this.grpc.unary<{ results: SearchResultMessage[] }>('Memories', 'Search', searchRequest(input, space), space, options));
  }

  /**
   * Reports results of `space` as used, helpful or wrong (`Feedback.Record`, role write), as
   * `feedback` of the HTTP client: reinforcements decaying with the space's half-life, and the
   * narrative moved by helpful ones. A memory id the space does not hold is `NOT_FOUND`.
   */
  async feedback(space: string, input: FeedbackInput, options?: GrpcRequestOptions): Promise<FeedbackResult> {
    return feedbackResultView(await this.grpc.unary<ProtoStruct>('Feedback', 'Record', feedbackRequest(input, named(space)), null, options));
  }

  /** Forgets every reinforcement and the narrative of `space` (`Feedback.Reset`, role admin). */
  async resetFeedback(space: string, options?: GrpcRequestOptions): Promise<FeedbackReset> {
    return feedbackResetView(await this.grpc.unary<ProtoStruct>('Feedback', 'Reset', { space: named(space) }, null, options));
  }

  /** Orders documents that are not stored for a query with the feedback of `space` (`Feedback.Rerank`, role read), as `rerank` of the HTTP client. */
  async rerank(space: string, input: RerankInput, options?: GrpcRequestOptions): Promise<RerankResult> {
    return rerankResultView(await this.grpc.unary<ProtoStruct>('Feedback', 'Rerank', rerankRequest(input, named(space)), null, options));
  }

  /**
   * The change stream of a space (`Events.Watch`), as events in order. When the stream ends or
   * breaks (a server restart, a dropped connection) it watches again after the last sequence
   * seen (waiting 100 ms, doubling to 5 s, between attempts), so no event is lost or repeated.
   * It ends when `options.signal` aborts or the loop breaks; it throws when the server refuses
   * the stream (unknown space, revoked key, a position the feed no longer holds:
   * `CURSOR_EXPIRED`, ...).
   *
   * @param space The space to follow. @default the client's `space`, else the key's default space, else `default`
   */
  async *events(space?: string, options: GrpcEventsOptions = {}): AsyncGenerator<ChangeEvent, void, undefined> {
    const { signal } = options;
    // A function, not a property read, so TypeScript does not narrow it across awaits.
    const aborted = (): boolean => signal?.aborted === true;
    const backoff = new RetryBackoff(options);
    // Undefined before the first event of a stream from the start, or from `latest` until the server says where that is.
    let last = options.after === 'latest' ? undefined : options.after;
    // Where `latest` began, as the server's response headers tell it.
    const startsAfter = (headers: Metadata): void => {
      const seq = Number(headers.get(WATCH_AFTER_HEADER)[0]);
      if (last === undefined && Number.isSafeInteger(seq) && seq >= 0) last = seq;
    };
    while (!aborted()) {
      let failure: unknown;
      try {
        const latest = last === undefined && options.after === 'latest';
        const request: WatchRequest = { space: space === undefined ? '' : named(space), after: last ?? 0, latest };
        for await (const message of this.grpc.stream<EventMessage>('Events', 'Watch', request, request.space, { signal, timeoutMs: 0 }, latest ? startsAfter : undefined)) {
          backoff.reset();
          // Sequence numbers only grow: anything at or before the last one seen was delivered already.
          if (last !== undefined && message.seq <= last) continue;
          last = message.seq;
          yield changeEvent(message);
        }
      } catch (error) {
        if (aborted()) return;
        if (!retryable(error) || this.grpc.isClosed()) throw error;
        failure = error;
      }
      // The stream ended (the server shutting down) or broke: watch again after a pause.
      await backoff.wait(failure);
    }
  }

  /** Closes the connection; calls still in flight fail. Idempotent. */
  close(): void {
    this.grpc.close();
  }
}

/**
 * A space name a request carries, checked by the one rule of names: an empty one would mean
 * "unset" in protobuf and fall back to the key's default space, so it is refused here as REST
 * refuses it.
 */
const named = (name: string): string => validateSpaceName(name);

/** The add requests of `inputs`, made as the stream pulls them. */
async function* addRequests(inputs: Iterable<MemoryCreateInput> | AsyncIterable<MemoryCreateInput>, space: string): AsyncGenerator<ReturnType<typeof addMemoryRequest>, void, undefined> {
  for await (const input of inputs) yield addMemoryRequest(input, space);
}
