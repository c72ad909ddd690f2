/**
 * memspace's errors as gRPC statuses: the status code for each error code (the one mapping the
 * gRPC front end uses, beside HTTP_STATUS), and the error itself as a `google.rpc.ErrorInfo` in
 * the status details (`grpc-status-details-bin`), as Google's error model carries it: `reason`
 * is memspace's code, `metadata` its details as JSON texts.
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { type ErrorCode, toMemspaceError } from '../core/errors.js';
import { DETAILS_TRAILER, encodeStatusDetails, ERROR_DOMAIN } from '../wire/status-details.js';

/** The gRPC status of each error code. */
export const GRPC_STATUS: Readonly<Record<ErrorCode, status>> = Object.freeze({
  VALIDATION_FAILED: status.INVALID_ARGUMENT,
  INVALID_SPACE: status.INVALID_ARGUMENT,
  SPACE_CONFLICT: status.INVALID_ARGUMENT,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  FORBIDDEN: status.PERMISSION_DENIED,
  SPACE_NOT_FOUND: status.NOT_FOUND,
  NOT_FOUND: status.NOT_FOUND,
  CONFLICT: status.ALREADY_EXISTS,
  SPACE_ARCHIVED: status.FAILED_PRECONDITION,
  PAYLOAD_TOO_LARGE: status.RESOURCE_EXHAUSTED,
  DIMENSION_MISMATCH: status.INVALID_ARGUMENT,
  QUOTA_EXCEEDED: status.RESOURCE_EXHAUSTED,
  BACKEND_UNAVAILABLE: status.UNAVAILABLE,
  INTERNAL: status.INTERNAL,
  // A position outside the range the change feed holds: gRPC's status for reading past the
  // end of what exists, where INVALID_ARGUMENT would call the request wrong whatever the state.
  CURSOR_EXPIRED: status.OUT_OF_RANGE,
});

/**
 * Any failure as the error a gRPC handler answers with. An unknown one is INTERNAL with its
 * message hidden, as over HTTP.
 */
export function toGrpcError(error: unknown): Partial<ServiceError> {
  const e = toMemspaceError(error);
  const message = e.code === 'INTERNAL' ? 'internal error' : e.message;
  const details = Object.fromEntries(Object.entries(e.details ?? {}).map(([key, value]) => [key, JSON.stringify(value)]));
  const code = GRPC_STATUS[e.code];
  const metadata = new Metadata();
  metadata.set(DETAILS_TRAILER, Buffer.from(encodeStatusDetails(code, message, { reason: e.code, domain: ERROR_DOMAIN, metadata: details })));
  return { code, details: message, metadata };
}
