/**
 * Types of the gRPC client (`memspace/client/grpc`). Inputs and outputs are those of the HTTP
 * client (types.ts), so code written against one runs against the other; what differs is how
 * the server is reached and the few options only gRPC has.
 */
import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';
import type { EventsOptions, RequestOptions, SpaceListQuery } from './types.js';

/** Options of a {@link MemspaceGrpcClient}. */
export interface MemspaceGrpcClientOptions {
  /** Where the server's gRPC listener is, as `host:port`, e.g. `127.0.0.1:7421`. */
  address: string;
  /** API key (`msk_...`), sent as `authorization: Bearer <key>` metadata. @default undefined (no key: only for a server without auth) */
  apiKey?: string;
  /**
   * Space for space-scoped calls that name none, sent as `x-memory-space` metadata. Without it,
   * the server uses the key's default space, else `default`.
   * @default undefined
   */
  space?: string;
  /**
   * Milliseconds a unary call may take (its gRPC deadline) before it fails with
   * `BACKEND_UNAVAILABLE`; 0 for no limit. Streams (`memories.all`, `memories.addStream`,
   * `events`) have no limit unless a call gives one. Each call may override it.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * How the channel is secured, e.g. `credentials.createSsl()` of `@grpc/grpc-js`.
   * @default credentials.createInsecure() (plaintext: loopback or a trusted network only, since the key travels with every call)
   */
  credentials?: ChannelCredentials;
  /** Further channel options of `@grpc/grpc-js` (message sizes, keepalive, ...). @default {} */
  channelOptions?: ChannelOptions;
}

/** Options every gRPC call takes: those of the HTTP client, and a deadline. */
export interface GrpcRequestOptions extends RequestOptions {
  /**
   * When the call must be over, as a Date or epoch milliseconds; it wins over `timeoutMs`.
   * Past it the call fails with `BACKEND_UNAVAILABLE` (gRPC status DEADLINE_EXCEEDED).
   * @default now + the call's `timeoutMs`
   */
  deadline?: Date | number;
}

/** Options of a gRPC call on one space. */
export interface GrpcScopedOptions extends GrpcRequestOptions {
  /**
   * The space to act on, sent in the request's `space` field.
   * @default the client's `space`, else the key's default space, else `default`
   */
  space?: string;
}

/**
 * Options of a space listing over gRPC: a page of `limit` names after `cursor`. The protocol
 * has no `prefix`; giving one is `VALIDATION_FAILED` rather than a listing that ignores it.
 */
export type GrpcSpaceListQuery = Omit<SpaceListQuery, 'prefix'>;

/** Options of the gRPC client's `events`: the HTTP client's, but for the idle timeout of its SSE connections. */
export type GrpcEventsOptions = Pick<EventsOptions, 'after' | 'signal' | 'minBackoffMs' | 'maxBackoffMs'>;

/** What `memories.addStream` added: how many memories, all durable, and their ids in input order. */
export interface AddStreamSummary {
  added: number;
  ids: string[];
}
