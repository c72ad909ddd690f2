/**
 * `memspace/client/grpc`: a typed client of the memspace gRPC API with the method names, inputs
 * and results of the HTTP client (`memspace/client`). It runs on Node only (`@grpc/grpc-js`),
 * which is why it is an entry point of its own: `memspace/client` never loads it.
 */
export { MemspaceGrpcClient } from './grpc-client.js';
export type { AddStreamSummary, GrpcEventsOptions, GrpcRequestOptions, GrpcScopedOptions, GrpcSpaceListQuery, MemspaceGrpcClientOptions } from './grpc-types.js';
export type * from './types.js';
export { MemspaceError, ERROR_CODES, isMemspaceError } from '../core/errors.js';
export type { ErrorCode, ErrorBody } from '../core/errors.js';
export type { ChangeOp, JsonObject, JsonValue } from '../core/types.js';
export type { HistoryEntry, Memory, SearchHit, Space, SpaceInfo } from '../core/views.js';
