/**
 * The messages of memspace.v1 as proto-loader gives and takes them (field names as written,
 * unset scalars as their defaults), and the one translation of a `Space` and a `Memory` to and
 * from the REST views: what is null in a memory view is an empty string in the message.
 */
import type { Memory } from '../core/views.js';
import { fromStruct, type ProtoStruct, toStruct } from './struct.js';

export interface SpaceRef {
  space: string;
}

export interface MemoryRef {
  space: string;
  id: string;
}

/** `Space`: the REST view of a space, its name apart and the rest as a Struct. */
export interface SpaceMessage {
  name: string;
  fields: ProtoStruct | null;
}

/** `Memory`: the REST view field by field. */
export interface MemoryMessage {
  id: string;
  content: string;
  tags: string[];
  metadata: ProtoStruct | null;
  user_id: string;
  agent_id: string;
  run_id: string;
  kind: string;
  importance: number;
  created_at: string;
  updated_at: string;
  expires_at: string;
  access_count: number;
  last_accessed_at: string;
  superseded_by: string;
}

/** `AddMemoryRequest`: typed fields for what every add has, a Struct for the rest of the REST body. */
export interface AddMemoryRequest {
  space: string;
  id: string;
  content: string;
  tags: string[];
  metadata: ProtoStruct | null;
  embedding: number[];
  fields: ProtoStruct | null;
}

/** `SearchResult`. */
export interface SearchResultMessage {
  memory: MemoryMessage | null;
  score: number;
  scores: Record<string, number> | null;
}

/** `FeedbackItem`: one result a feedback call reports on; empty `kind` and `text` are unset. */
export interface FeedbackItemMessage {
  id: string;
  signal: string;
  kind: string;
  text: string;
}

/** `FeedbackRequest`: typed fields for what every call has, a Struct for the rest of the REST body. */
export interface FeedbackRequestMessage {
  space: string;
  query: string;
  results: FeedbackItemMessage[];
  weight: number;
  options: ProtoStruct | null;
}

/** `RerankRequest`: typed fields for the query and documents, a Struct for the rest (`rank`). */
export interface RerankRequestMessage {
  space: string;
  query: string;
  documents: { id: string; text: string }[];
  limit: number;
  options: ProtoStruct | null;
}

/** `Event`: the REST view of a change, `at` as ISO-8601. */
export interface EventMessage {
  seq: number;
  op: string;
  id: string;
  at: string;
}

/** `WatchRequest`: a position seen before (0: everything the feed holds), or `latest`. */
export interface WatchRequest {
  space: string;
  after: number;
  latest: boolean;
}

/**
 * Response header of a `Watch` with `latest`: the sequence the stream starts after, which a
 * client resumes from if the stream breaks before the first event.
 */
export const WATCH_AFTER_HEADER = 'x-memspace-after';

/** A space view as a `Space`: its name, the rest as a Struct. */
export function spaceMessage(view: object): SpaceMessage {
  const { name, ...fields } = view as { name: string } & Record<string, unknown>;
  return { name, fields: toStruct(fields) };
}

/** A `Space` as the REST view's object. */
export function spaceFromMessage(s: SpaceMessage): Record<string, unknown> {
  return { name: s.name, ...fromStruct(s.fields) };
}

/** A memory view as a `Memory`. */
export function memoryMessage(m: Memory): MemoryMessage {
  return {
    id: m.id,
    content: m.content,
    tags: m.tags,
    metadata: toStruct(m.metadata),
    user_id: m.userId ?? '',
    agent_id: m.agentId ?? '',
    run_id: m.runId ?? '',
    kind: m.kind,
    importance: m.importance,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    expires_at: m.expiresAt ?? '',
    access_count: m.accessCount,
    last_accessed_at: m.lastAccessedAt ?? '',
    superseded_by: m.supersededBy ?? '',
  };
}

/** A `Memory` as the REST view's object, in the view's field order (a client checks it against the view's schema). */
export function memoryFromMessage(m: MemoryMessage): Record<string, unknown> {
  const orNull = (text: string): string | null => (text === '' ? null : text);
  return {
    id: m.id,
    content: m.content,
    metadata: fromStruct(m.metadata) ?? {},
    tags: m.tags,
    userId: orNull(m.user_id),
    agentId: orNull(m.agent_id),
    runId: orNull(m.run_id),
    kind: m.kind,
    importance: m.importance,
    createdAt: m.created_at,
    updatedAt: m.updated_at,
    expiresAt: orNull(m.expires_at),
    accessCount: m.access_count,
    lastAccessedAt: orNull(m.last_accessed_at),
    supersededBy: orNull(m.superseded_by),
  };
}
