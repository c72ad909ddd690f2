import { MemspaceError } from '../core/errors.js';
import { SPACE_HEADER } from '../core/space-name.js';
import { segment } from './path-segment.js';
import { listQuery, withCheckedMetadata } from './request-shapes.js';
import { projectsClient, type ProjectsClient } from './projects.js';
import { consolidationClient, type ConsolidationClient } from './consolidation-client.js';
import { jobsClient, spaceMoveCalls, type JobsClient, type SpaceMoveCalls } from './jobs-client.js';
import { feedbackCalls, type FeedbackCalls } from './feedback-client.js';
import { keysClient, whoamiCall, type KeysClient } from './keys-client.js';
import { operationsClient, type OperationsClient } from './operations-client.js';
import { routeCalls, type RouteCalls } from './route-client.js';
import type { AuditVerification } from '../core/types.js';
import type { AuditEntry, HistoryEntry, Memory, Relation, SearchHit, Space, SpaceInfo } from '../core/views.js';
import {
  ArchiveResponse,
  AuditPageResponse,
  ContextResponse,
  AuditVerificationResponse,
  CrossSearchResponse,
  DeletedResponse,
  ExportLineResponse,
  HealthResponse,
  HistoryResponse,
  ImportSummaryResponse,
  MemoryListResponse,
  MemoryPageResponse,
  MemoryResponse,
  RelationListResponse,
  RelationResponse,
  SearchResponse,
  ShareListResponse,
  ShareResponse,
  SpaceHealthResponse,
  SpaceInfoResponse,
  SpacePageResponse,
  SpaceResponse,
} from './responses.js';
import { followChangeEvents, type ChangeStreamSource } from './change-events.js';
import { federationsApi, type FederationsApi } from './federations-client.js';
import { ndjsonStream, readLines } from './streams.js';
import { Transport, type Call } from './transport.js';
import type {
  ArchiveResult,
  AuditListQuery,
  Context,
  ContextInput,
  ChangeEvent,
  CrossSearchHit,
  ShareInput,
  ShareView,
  EventsOptions,
  ExportLine,
  Health,
  ImportLine,
  ImportSummary,
  MemoryCreateInput,
  MemoryListQuery,
  MemoryPatchInput,
  MemoryScanQuery,
  MemspaceClientOptions,
  Page,
  RelationCreateInput,
  RelationListQuery,
  RequestOptions,
  ScopedOptions,
  SearchInput,
  SpaceCreateInput,
  SpaceListQuery,
  SpaceHealth,
  SpacePatchInput,
  WhoAmI,
} from './types.js';

/**
 * A typed client of the memspace HTTP API (`memspace/client`). Every failure is thrown as a
 * {@link MemspaceError}: the server's own code, message and details for a non-2xx answer,
 * `BACKEND_UNAVAILABLE` when the server cannot be reached or does not answer in time, and
 * `INTERNAL` for an answer that is not memspace's.
 *
 * Calls on one space take `{ space }`; without it they use the client's `space` (sent as
 * `X-Memory-Space`), else the key's default space, else `default`.
 *
 * @example
 * const ms = new MemspaceClient({ baseUrl: 'http://127.0.0.1:7420', apiKey: process.env.MEMSPACE_KEY, space: 'acme.sales' });
 * await ms.memories.add({ content: 'Alice prefers tea', userId: 'alice' });
 * const hits = await ms.search({ query: 'what does Alice drink?', userId: 'alice' });
 */
export class MemspaceClient {
  private readonly http: Transport;
  private readonly space: string | undefined;
  private readonly fetchImpl: typeof globalThis.fetch;

  /** Projects: named groups of spaces, with defaults their spaces inherit, quotas across them and totals. */
  readonly projects: ProjectsClient;
  /** Consolidation of a space (admin): merge repeats, supersede outdated facts, dry runs, undo. */
  readonly consolidation: ConsolidationClient;
  /** Jobs (splits and merges of spaces) with their progress; `waitForJob` polls one to its end. */
  readonly jobs: JobsClient;
  /** Reports results of a space as used, helpful or wrong (role write); see {@link FeedbackCalls.feedback}. */
  readonly feedback: FeedbackCalls['feedback'];
  /** Forgets every reinforcement and the narrative of a space (role admin). */
  readonly resetFeedback: FeedbackCalls['resetFeedback'];
  /** Orders documents that are not stored for a query with the space's feedback (role read); see {@link FeedbackCalls.rerank}. */
  readonly rerank: FeedbackCalls['rerank'];
  /** Suggests the spaces a text belongs in, among those the key can read; see {@link RouteCalls.route}. */
  readonly route: RouteCalls['route'];

  /** Spaces: create, list, get (with figures), update, delete; split and merge (jobs). */
  readonly spaces: SpaceMoveCalls & {
    /** Creates a space (`POST /v1/spaces`); `CONFLICT` if the name is taken, in any case. */
    create(input: SpaceCreateInput, options?: RequestOptions): Promise<Space>;
    /** A page of the spaces the key can see, by name. */
    list(query?: SpaceListQuery, options?: RequestOptions): Promise<Page<Space>>;
    /** A space with its storage figures; `SPACE_NOT_FOUND` also for a space the key may not see. */
    get(name: string, options?: RequestOptions): Promise<SpaceInfo>;
    /** Changes a space's description, isolation, sensitivity, retention, quotas or labels. */
    update(name: string, patch: SpacePatchInput, options?: RequestOptions): Promise<Space>;
    /** Deletes a space and every byte of it. */
    delete(name: string, options?: RequestOptions): Promise<void>;
    /** Archives a space into one compressed file; requests get `SPACE_ARCHIVED` until it is restored. */
    archive(name: string, options?: RequestOptions): Promise<ArchiveResult>;
    /** Restores an archived space. */
    restore(name: string, options?: RequestOptions): Promise<Space>;
    /** Hard-deletes the space's expired memories and those past its retention now. */
    sweep(name: string, options?: RequestOptions): Promise<{ deleted: number }>;
  };

  /** Contexts: large blobs (LLM context windows, documents) stored compressed with a summary. */
  readonly contexts: {
    /** Stores a context; the answer leaves the content out and tells the compression achieved. */
    add(input: ContextInput, options?: ScopedOptions): Promise<Context>;
    /** A context with its content. */
    get(id: string, options?: ScopedOptions): Promise<Context>;
    /** Deletes a context. */
    delete(id: string, options?: ScopedOptions): Promise<void>;
  };

  /** Memories of one space. */
  readonly memories: {
    /** Adds a memory. */
    add(input: MemoryCreateInput, options?: ScopedOptions): Promise<Memory>;
    /** Adds memories all together or not at all; returns them in input order. */
    addBatch(inputs: readonly MemoryCreateInput[], options?: ScopedOptions): Promise<Memory[]>;
    /** A page of memories, newest first unless `order: 'asc'`. */
    list(query?: MemoryListQuery, options?: ScopedOptions): Promise<Page<Memory>>;
    /**
     * Every memory of the space (or those matching `filter`), oldest first, fetched a page at a
     * time as the loop reads them; the gRPC client's `all` reads the same from one stream.
     */
    all(query?: MemoryScanQuery, options?: ScopedOptions): AsyncGenerator<Memory, void, undefined>;
    /** One memory; `NOT_FOUND` when the space has no such id. */
    get(id: string, options?: ScopedOptions): Promise<Memory>;
    /** Changes a memory (new content is embedded again); `metadata` and `tags` replace the old. */
    update(id: string, patch: MemoryPatchInput, options?: ScopedOptions): Promise<Memory>;
    /** Deletes a memory and its relations. */
    delete(id: string, options?: ScopedOptions): Promise<void>;
    /** Deletes every memory matching `filter` (no cap); returns how many. */
    deleteByFilter(filter: Record<string, unknown>, options?: ScopedOptions): Promise<{ deleted: number }>;
    /** A memory's history, oldest first. */
    history(id: string, options?: ScopedOptions): Promise<HistoryEntry[]>;
  };

  /** Typed relations between memories of one space. */
  readonly relations: {
    /** Relates two memories of the space. */
    add(input: RelationCreateInput, options?: ScopedOptions): Promise<Relation>;
    /** A memory's relations, both directions unless `direction` says otherwise. */
    list(memoryId: string, query?: RelationListQuery, options?: ScopedOptions): Promise<Relation[]>;
    /** Deletes a relation. */
    delete(relationId: string, options?: ScopedOptions): Promise<void>;
  };

  /** The hash-chained audit trail of one space (needs admin). */
  readonly audit: {
    /** A page of audit entries, oldest first (`order: 'desc'`: newest first), filtered by `since`, `action` and `actor` (a key id). */
    list(query?: AuditListQuery, options?: ScopedOptions): Promise<Page<AuditEntry>>;
    /** Recomputes the chain and names the first altered entry, if any. */
    verify(options?: ScopedOptions): Promise<AuditVerification>;
  };

  /** Sharing one space (needs admin of it; refused by isolation strict). */
  readonly shares: {
    /** Shares the space, read-only, with another space's readers or one key, optionally only some tags. */
    create(input: ShareInput, options?: ScopedOptions): Promise<ShareView>;
    /** The shares of the space. */
    list(options?: ScopedOptions): Promise<ShareView[]>;
    /** Shares other spaces gave to this one (for its readers); those that no longer work are left out. */
    incoming(options?: ScopedOptions): Promise<ShareView[]>;
    /** Stops a share at once. */
    delete(shareId: string, options?: ScopedOptions): Promise<void>;
  };

  /** Federations: differentially private insights across opted-in spaces (docs/federations.md). */
  readonly federations: FederationsApi;
  /** API keys within the calling key's admin grants, and a key's current space ({@link KeysClient.update}). */
  readonly keys: KeysClient;
  /** The calling key (`GET /v1/whoami`): id, name, grants, default ("current") space, how many spaces it sees. */
  readonly whoami: (options?: RequestOptions) => Promise<WhoAmI>;
  /** What operators and dashboards read: the visible spaces with their figures, a space's last hour, the registry. */
  readonly operations: OperationsClient;

  /** A client of the server at `options.baseUrl`; nothing is sent until a method is called. */
  constructor(options: MemspaceClientOptions) {
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.space = options.space;
    this.http = new Transport({
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      apiKey: options.apiKey,
      fetch: this.fetchImpl,
      timeoutMs: options.timeoutMs ?? 30_000,
    });
    const http = this.http;
    const space = (name: string): string => `/v1/spaces/${segment(name, 'space')}`;

    this.projects = projectsClient(http, call);
    this.consolidation = consolidationClient(http, call);
    this.jobs = jobsClient(http, call);
    ({ feedback: this.feedback, resetFeedback: this.resetFeedback, rerank: this.rerank } = feedbackCalls(http, call));
    ({ route: this.route } = routeCalls(http, call));
    this.spaces = {
      ...spaceMoveCalls(http, call),
      create: async (input, o) => http.json({ method: 'POST', path: '/v1/spaces', json: input, ...call(o) }, SpaceResponse),
      list: async (query = {}, o) => http.json({ method: 'GET', path: '/v1/spaces', query: { ...query }, ...call(o) }, SpacePageResponse),
      get: async (name, o) => http.json({ method: 'GET', path: space(name), ...call(o) }, SpaceInfoResponse),
      update: async (name, patch, o) => http.json({ method: 'PATCH', path: space(name), json: patch, ...call(o) }, SpaceResponse),
      delete: async (name, o) => http.empty({ method: 'DELETE', path: space(name), ...call(o) }),
      archive: async (name, o) => http.json({ method: 'POST', path: `${space(name)}/archive`, ...call(o) }, ArchiveResponse),
      restore: async (name, o) => http.json({ method: 'POST', path: `${space(name)}/restore`, ...call(o) }, SpaceResponse),
      sweep: async (name, o) => http.json({ method: 'POST', path: `${space(name)}/sweep`, ...call(o) }, DeletedResponse),
    };
    this.contexts = {
      add: async (input, o) => http.json(this.scoped('POST', '/contexts', o, { json: input }), ContextResponse),
      get: async (id, o) => http.json(this.scoped('GET', `/contexts/${segment(id)}`, o), ContextResponse),
      delete: async (id, o) => http.empty(this.scoped('DELETE', `/contexts/${segment(id)}`, o)),
    };

    this.memories = {
      add: async (input, o) => http.json(this.scoped('POST', '/memories', o, { json: withCheckedMetadata(input) }), MemoryResponse),
      addBatch: async (inputs, o) => {
        const memories = inputs.map((input, i) => withCheckedMetadata(input, `memories.${i}.metadata`));
        return (await http.json(this.scoped('POST', '/memories/batch', o, { json: { memories } }), MemoryListResponse)).memories;
      },
      list: async (query = {}, o) => http.json(this.scoped('GET', '/memories', o, { query: listQuery(query) }), MemoryPageResponse),
      all: (query = {}, o) => this.allMemories(query, o),
      get: async (id, o) => http.json(this.scoped('GET', `/memories/${segment(id)}`, o), MemoryResponse),
      update: async (id, patch, o) => http.json(this.scoped('PATCH', `/memories/${segment(id)}`, o, { json: withCheckedMetadata(patch) }), MemoryResponse),
      delete: async (id, o) => http.empty(this.scoped('DELETE', `/memories/${segment(id)}`, o)),
      deleteByFilter: async (filter, o) => http.json(this.scoped('POST', '/memories/delete', o, { json: { filter } }), DeletedResponse),
      history: async (id, o) => (await http.json(this.scoped('GET', `/memories/${segment(id)}/history`, o), HistoryResponse)).history,
    };

    this.relations = {
      add: async (input, o) => http.json(this.scoped('POST', '/relations', o, { json: input }), RelationResponse),
      list: async (memoryId, query = {}, o) =>
        (await http.json(this.scoped('GET', `/memories/${segment(memoryId)}/relations`, o, { query: { ...query } }), RelationListResponse)).relations,
      delete: async (relationId, o) => http.empty(this.scoped('DELETE', `/relations/${segment(relationId)}`, o)),
    };

    this.audit = {
      list: async (query = {}, o) => http.json(this.scoped('GET', '/audit', o, { query: { ...query } }), AuditPageResponse),
      verify: async (o) => http.json(this.scoped('GET', '/audit/verify', o), AuditVerificationResponse),
    };

    this.shares = {
      create: async (input, o) => http.json(this.scoped('POST', '/shares', o, { json: input }), ShareResponse),
      list: async (o) => (await http.json(this.scoped('GET', '/shares', o), ShareListResponse)).items,
      incoming: async (o) => (await http.json(this.scoped('GET', '/shares/incoming', o), ShareListResponse)).items,
      delete: async (shareId, o) => http.empty(this.scoped('DELETE', `/shares/${segment(shareId)}`, o)),
    };

    this.federations = federationsApi(http, call, segment);
    this.keys = keysClient(http, call);
    this.whoami = whoamiCall(http, call);
    this.operations = operationsClient(http, call);
  }

  /** Liveness and readiness (`GET /v1/health`, no key needed); a server not ready is `BACKEND_UNAVAILABLE`. */
  health(options?: RequestOptions): Promise<Health> {
    return this.http.json({ method: 'GET', path: '/v1/health', ...call(options) }, HealthResponse);
  }

  /**
   * A space's health (`GET /v1/spaces/{space}/health`, role read): memories, bytes on disk,
   * state, WAL figures, index lag, last write and registry pressure. Asking never opens an idle
   * space. `SPACE_NOT_FOUND` also for a space the key may not see.
   */
  spaceHealth(space: string, options?: RequestOptions): Promise<SpaceHealth> {
    return this.http.json({ method: 'GET', path: `/v1/spaces/${segment(space, 'space')}/health`, ...call(options) }, SpaceHealthResponse);
  }

  /**
   * Searches several spaces at once; each must be readable by a grant of this key or a share.
   * Hits name their space, best first across all.
   */
  async searchAcross(spaces: readonly string[], input: SearchInput, options?: RequestOptions): Promise<CrossSearchHit[]> {
    return (await this.http.json({ method: 'POST', path: '/v1/search', json: { ...input, spaces }, ...call(options) }, CrossSearchResponse)).results;
  }

  /** Searches one space by meaning, keywords or both; hits best first. */
  async search(input: SearchInput, options?: ScopedOptions): Promise<SearchHit[]> {
    return (await this.http.json(this.scoped('POST', '/search', options, { json: input }), SearchResponse)).results;
  }

  /**
   * The whole space as parsed JSON Lines, read as they arrive: the space first, then its
   * memories (embeddings included), then its relations. The request is sent when iteration
   * starts; breaking out of the loop closes the connection.
   */
  async *export(options?: ScopedOptions): AsyncGenerator<ExportLine, void, undefined> {
    const request = this.scoped('GET', '/export', options, { headers: { accept: 'application/x-ndjson' } });
    const response = await this.http.open(request);
    if (response.body === null) return;
    try {
      for await (const line of readLines(response.body)) {
        if (line.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          throw new MemspaceError('INTERNAL', 'the export holds a line that is not JSON', { line: line.slice(0, 200) });
        }
        const parsed = ExportLineResponse.safeParse(value);
        if (!parsed.success) throw new MemspaceError('INTERNAL', 'the export holds a line that is not an object with a type', { line: line.slice(0, 200) });
        yield parsed.data;
      }
    } catch (error) {
      throw this.http.bodyFailure(error, request);
    }
  }

  /**
   * Imports JSON Lines (an export, or objects of its shapes) into a space, creating it from the
   * export's first line when missing (that takes admin). Lines are streamed as `lines` yields
   * them, as `application/x-ndjson`; strings are sent as they are, one line each. Existing ids
   * are skipped. Large imports may want `timeoutMs: 0`.
   */
  async import(lines: Iterable<ImportLine> | AsyncIterable<ImportLine>, options?: ScopedOptions): Promise<ImportSummary> {
    const source = { error: undefined as unknown };
    const body = ndjsonStream(lines, source);
    try {
      return await this.http.json(this.scoped('POST', '/import', options, { stream: { body, contentType: 'application/x-ndjson' } }), ImportSummaryResponse);
    } catch (error) {
      // A failing source surfaces as a failed upload: tell the caller what really went wrong.
      throw source.error ?? error;
    }
  }

  /**
   * The change stream of a space (`GET /v1/spaces/{space}/events`), as events in order. After a
   * dropped connection or a server restart it reconnects by itself with `Last-Event-ID` set to
   * the last sequence seen (waiting 100 ms, doubling to 5 s, between attempts), so no event is
   * lost or repeated. It ends when `options.signal` aborts or the loop breaks; it throws when
   * the server refuses the stream (unknown space, revoked key, a position the feed no longer
   * holds: `CURSOR_EXPIRED`, ...).
   *
   * @param space The space to follow. @default the client's `space`, else the key's default space, else `default`
   */
  async *events(space?: string, options: EventsOptions = {}): AsyncGenerator<ChangeEvent, void, undefined> {
    const source: ChangeStreamSource = {
      request: ({ headers, query }, signal) => this.scoped('GET', '/events', { ...(space !== undefined && { space }), signal }, { headers, query }),
      open: (request) => this.http.open(request),
    };
    yield* followChangeEvents(source, options);
  }

  /** Every memory matching `query.filter`, oldest first, a page of 1000 at a time. */
  private async *allMemories(query: MemoryScanQuery, options: ScopedOptions | undefined): AsyncGenerator<Memory, void, undefined> {
    let cursor: string | null = null;
    do {
      const request = this.scoped('GET', '/memories', options, { query: listQuery({ ...query, order: 'asc', limit: 1000, ...(cursor !== null && { cursor }) }) });
      const page: Page<Memory> = await this.http.json(request, MemoryPageResponse);
      yield* page.items;
      cursor = page.nextCursor;
    } while (cursor !== null);
  }

  /** The request of a call on one space: the path form when the call names its space, else the header form. */
  private scoped(method: Call['method'], path: string, options: ScopedOptions | undefined, rest: Omit<Call, 'method' | 'path'> = {}): Call {
    const named = options?.space;
    const header: Record<string, string> = named === undefined && this.space !== undefined ? { [SPACE_HEADER]: this.space } : {};
    return {
      method,
      path: named === undefined ? `/v1${path}` : `/v1/spaces/${segment(named, 'space')}${path}`,
      ...rest,
      headers: { ...header, ...rest.headers },
      ...call(options),
    };
  }
}

/** The per-call options a request carries. */
function call(options: RequestOptions | undefined): Pick<Call, 'signal' | 'timeoutMs'> {
  return { ...(options?.signal !== undefined && { signal: options.signal }), ...(options?.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }) };
}
