/**
 * memspace's errors as gRPC statuses: the status code for each error code (the one mapping the
 * gRPC front end uses, beside HTTP_STATUS), and the error itself as a `google.rpc.ErrorInfo` in
 * the status details (`grpc-status-details-bin`), as Google's error model carries it: `reason`
 * is memspace's code, `metadata` its details as JSON texts.
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { type ErrorCode, toMemspaceError } from '../core/errors.js';

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
});

/** The domain of memspace's ErrorInfo. */
export const ERROR_DOMAIN = 'memspace';

/** The messages of Google's error model that the details carry (google/rpc/status.proto, error_details.proto). */
const rpc = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        protobuf: { nested: { Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } } } },
        rpc: {
          nested: {
            Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 }, details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 } } },
            ErrorInfo: { fields: { reason: { type: 'string', id: 1 }, domain: { type: 'string', id: 2 }, metadata: { keyType: 'string', type: 'string', id: 3 } } },
          },
        },
      },
    },
  },
} as protobuf.INamespace);
const StatusMessage = rpc.lookupType('google.rpc.Status');
const ErrorInfoMessage = rpc.lookupType('google.rpc.ErrorInfo');
const ERROR_INFO_URL = 'type.googleapis.com/google.rpc.ErrorInfo';

/** What a memspace ErrorInfo says, decoded. */
export interface ErrorInfo {
  reason: string;
  domain: string;
  metadata: Record<string, string>;
}

/**
 * Any failure as the error a gRPC handler answers with. An unknown one is INTERNAL with its
 * message hidden, as over HTTP.
 */
export function toGrpcError(error: unknown): Partial<ServiceError> {
  const e = toMemspaceError(error);
  const message = e.code === 'INTERNAL' ? 'internal error' : e.message;
  const details = Object.fromEntries(Object.entries(e.details ?? {}).map(([key, value]) => [key, JSON.stringify(value)]));
  const info = ErrorInfoMessage.encode(ErrorInfoMessage.fromObject({ reason: e.code, domain: ERROR_DOMAIN, metadata: details })).finish();
  const code = GRPC_STATUS[e.code];
  const body = StatusMessage.encode(StatusMessage.fromObject({ code, message, details: [{ type_url: ERROR_INFO_URL, value: info }] })).finish();
  const metadata = new Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(body));
  return { code, details: message, metadata };
}

/** The ErrorInfo of a failed call's metadata (`grpc-status-details-bin`), if it carries one. */
export function errorInfoOf(metadata: Metadata | undefined): ErrorInfo | undefined {
  const [bin] = metadata?.get('grpc-status-details-bin') ?? [];
  if (!Buffer.isBuffer(bin)) return undefined;
  const decoded = StatusMessage.toObject(StatusMessage.decode(bin)) as { details?: { type_url: string; value: Uint8Array }[] };
  const any = decoded.details?.find((d) => d.type_url === ERROR_INFO_URL);
  if (any === undefined) return undefined;
  const info = ErrorInfoMessage.toObject(ErrorInfoMessage.decode(any.value), { defaults: true }) as ErrorInfo;
  return { reason: info.reason, domain: info.domain, metadata: info.metadata ?? {} };
}
