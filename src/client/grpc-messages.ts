/**
 * The messages of memspace.v1 (proto/memspace/v1/memspace.proto) as `@grpc/proto-loader` reads
 * and writes them, to and from the REST views the HTTP client returns, so that both clients hand
 * a caller the same objects. Free-form parts travel as `google.protobuf.Struct`.
 *
 * A request value that a typed field cannot carry faithfully (an empty text, a zero, a value of
 * the wrong type) goes in the message's Struct instead, where the server checks it as the REST
 * API would: the caller gets the error HTTP would give, never a silent default.
 */
import type { z } from 'zod';
import { MemspaceError } from '../core/errors.js';
import type { HistoryEntry, Memory, SearchHit, Space, SpaceInfo } from '../core/views.js';
import type { FeedbackReset, FeedbackResult, RerankResult } from '../core/feedback-api.js';
import {
  ChangeEventResponse,
  FeedbackResetResponse,
  FeedbackResultResponse,
  HistoryResponse,
  MemoryListResponse,
  MemoryResponse,
  RerankResultResponse,
  SearchResponse,
  SpaceHealthResponse,
  SpaceInfoResponse,
  SpacePageResponse,
  SpaceResponse,
} from './responses.js';
import { type AddMemoryRequest, type EventMessage, memoryFromMessage, type MemoryMessage, type SearchResultMessage, spaceFromMessage, type SpaceMessage } from '../wire/messages.js';
import { fromStruct, type ProtoStruct, toStruct } from '../wire/struct.js';
import type { ChangeEvent, FeedbackInput, MemoryCreateInput, MemoryPatchInput, Page, RerankInput, SearchInput, SpaceCreateInput, SpaceHealth } from './types.js';

// ---- requests ----------------------------------------------------------------------------

const text = (v: unknown): v is string => typeof v === 'string' && v !== '';
const count = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 0xffff_ffff;
const vector = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
const texts = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string');
const object = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The typed field `key` of a message: `input[key]` when `fits` it, else `empty`, the value being
 * moved to `rest` (the message's Struct) for the server to judge.
 */
function typed<T, E>(input: Record<string, unknown>, rest: Record<string, unknown>, key: string, fits: (v: unknown) => v is T, empty: E): T | E {
  const value = input[key];
  delete rest[key];
  if (value === undefined) return empty;
  if (fits(value)) return value;
  rest[key] = value;
  return empty;
}

/** `memspace.v1.CreateSpaceRequest` of a REST space-creation body. */
export function createSpaceRequest(input: SpaceCreateInput): object {
  const all = input as Record<string, unknown>;
  const settings = { ...all };
  const name = typeof all['name'] === 'string' ? all['name'] : '';
  if (name === all['name']) delete settings['name'];
  return {
    name,
    description: typed(all, settings, 'description', text, ''),
    embedder: typed(all, settings, 'embedder', text, ''),
    dimension: typed(all, settings, 'dimension', count, 0),
    settings: toStruct(settings),
  };
}

/** `memspace.v1.AddMemoryRequest` of a REST memory body. */
export function addMemoryRequest(input: MemoryCreateInput, space: string): AddMemoryRequest {
  const all = input as Record<string, unknown>;
  const fields = { ...all };
  const content = typeof all['content'] === 'string' ? all['content'] : '';
  if (content === all['content']) delete fields['content'];
  const metadata = typed(all, fields, 'metadata', object, undefined);
  return {
    space,
    id: typed(all, fields, 'id', text, ''),
    content,
    tags: typed(all, fields, 'tags', texts, []),
    metadata: metadata === undefined ? null : toStruct(metadata),
    embedding: typed(all, fields, 'embedding', vector, []),
    fields: toStruct(fields),
  };
}

/** `memspace.v1.UpdateMemoryRequest` of a REST memory patch. */
export function updateMemoryRequest(id: string, patch: MemoryPatchInput, space: string): object {
  const all = patch as Record<string, unknown>;
  const changes = { ...all };
  const embedding = typed(all, changes, 'embedding', vector, []);
  return { space, id, changes: toStruct(changes), embedding };
}

/**
 * `memspace.v1.SearchRequest` of a REST search body. `expand` is refused: a SearchResult has no
 * place for the related memories, and a search that drops what it was asked for would mislead.
 */
export function searchRequest(input: SearchInput, space: string): object {
  const all = input as Record<string, unknown>;
  if (all['expand'] === true) {
    throw new MemspaceError('VALIDATION_FAILED', 'expand is not offered over gRPC (a SearchResult carries no related memories); use the HTTP client', {
      issues: [{ path: 'expand', message: 'not offered over gRPC' }],
    });
  }
  const options = { ...all };
  const filter = typed(all, options, 'filter', object, undefined);
  return {
    space,
    query: typed(all, options, 'query', text, ''),
    embedding: typed(all, options, 'embedding', vector, []),
    mode: typed(all, options, 'mode', text, ''),
    limit: typed(all, options, 'limit', count, 0),
    filter: filter === undefined ? null : toStruct(filter),
    options: toStruct(options),
  };
}

/** Whether `v` is an object with string fields `required` and at most the non-empty string fields `optional` besides: what a repeated message carries as given. */
const exactly =
  (required: readonly string[], optional: readonly string[] = []) =>
  (v: unknown): boolean =>
    object(v) &&
    required.every((key) => typeof v[key] === 'string') &&
    Object.entries(v).every(([key, value]) => required.includes(key) || (optional.includes(key) && (value === undefined || text(value))));
const feedbackItems = (v: unknown): v is object[] => Array.isArray(v) && v.length > 0 && v.every(exactly(['id', 'signal'], ['kind', 'text']));
const documents = (v: unknown): v is object[] => Array.isArray(v) && v.length > 0 && v.every(exactly(['id', 'text']));
// A weight of 0 would read as unset.
const weight = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v !== 0;

/** `memspace.v1.FeedbackRequest` of a REST feedback body. */
export function feedbackRequest(input: FeedbackInput, space: string): object {
  const all = input as Record<string, unknown>;
  const options = { ...all };
  return {
    space,
    query: typed(all, options, 'query', text, ''),
    results: typed(all, options, 'results', feedbackItems, []),
    weight: typed(all, options, 'weight', weight, 0),
    options: toStruct(options),
  };
}

/** `memspace.v1.RerankRequest` of a REST rerank body; `rank` travels in the Struct. */
export function rerankRequest(input: RerankInput, space: string): object {
  const all = input as Record<string, unknown>;
  const options = { ...all };
  return {
    space,
    query: typed(all, options, 'query', text, ''),
    documents: typed(all, options, 'documents', documents, []),
    limit: typed(all, options, 'limit', count, 0),
    options: toStruct(options),
  };
}

// ---- responses ---------------------------------------------------------------------------

/** `value` checked with `schema`, as the HTTP client checks its responses: `INTERNAL` when it does not fit. */
function checked<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new MemspaceError('INTERNAL', `the server answered with an unexpected ${what}`, {
    issues: parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  });
}

/** A `Memory` as the REST view's object; an absent one as nothing. */
const memoryObject = (m: MemoryMessage | null): Record<string, unknown> => (m === null ? {} : memoryFromMessage(m));


/** The REST view of a `Memory`. */
export function memoryView(m: MemoryMessage): Memory {
  return checked(MemoryResponse, memoryObject(m), 'memory');
}

/** The REST views of a `BatchAddResponse`. */
export function memoryViews(r: { memories: MemoryMessage[] }): Memory[] {
  return checked(MemoryListResponse, { memories: r.memories.map(memoryObject) }, 'batch').memories;
}

/** The REST view of a `Space` as created or updated. */
export function spaceView(s: SpaceMessage): Space {
  return checked(SpaceResponse, spaceFromMessage(s), 'space');
}

/** The REST view of a `Space` with its figures (`Spaces.Get`). */
export function spaceInfoView(s: SpaceMessage): SpaceInfo {
  return checked(SpaceInfoResponse, spaceFromMessage(s), 'space');
}

/** The REST page of a `ListSpacesResponse`. */
export function spacePage(r: { spaces: SpaceMessage[]; next: string }): Page<Space> {
  return checked(SpacePageResponse, { items: r.spaces.map(spaceFromMessage), nextCursor: r.next === '' ? null : r.next }, 'space listing');
}

/** The REST view of a space's health (`Spaces.Health`). */
export function spaceHealthView(s: ProtoStruct): SpaceHealth {
  return checked(SpaceHealthResponse, fromStruct(s) ?? {}, 'space health');
}

/** The REST hits of a `SearchResponse`. */
export function searchHits(r: { results: SearchResultMessage[] }): SearchHit[] {
  const results = r.results.map((hit) => ({ memory: memoryObject(hit.memory), score: hit.score, scores: { ...hit.scores } }));
  return checked(SearchResponse, { results }, 'search response').results;
}

/** The REST entries of a `HistoryResponse`. */
export function historyEntries(r: { entries: ProtoStruct[] }): HistoryEntry[] {
  return checked(HistoryResponse, { history: r.entries.map((entry) => fromStruct(entry) ?? {}) }, 'history').history;
}

/** The REST view of an `Event`, as the SSE stream gives it. */
export function changeEvent(e: EventMessage): ChangeEvent {
  return checked(ChangeEventResponse, { seq: e.seq, op: e.op, id: e.id, at: e.at }, 'event');
}

/** The REST answer of `Feedback.Record`. */
export function feedbackResultView(s: ProtoStruct): FeedbackResult {
  return checked(FeedbackResultResponse, fromStruct(s) ?? {}, 'feedback result');
}

/** The REST answer of `Feedback.Reset`. */
export function feedbackResetView(s: ProtoStruct): FeedbackReset {
  return checked(FeedbackResetResponse, fromStruct(s) ?? {}, 'feedback reset');
}

/** The REST answer of `Feedback.Rerank`. */
export function rerankResultView(s: ProtoStruct): RerankResult {
  return checked(RerankResultResponse, fromStruct(s) ?? {}, 'rerank result');
}
