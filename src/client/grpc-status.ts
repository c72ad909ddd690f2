/**
 * gRPC statuses as {@link MemspaceError}s for the gRPC client: the memspace code the server put
 * in the status's `google.rpc.ErrorInfo` (`reason`, with the details as JSON texts in its
 * `metadata`), else a code chosen from the status alone (a proxy, an unreachable server, a
 * deadline), as the HTTP client does for answers that are not memspace's.
 */
import { status, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { ERROR_CODES, MemspaceError, type ErrorCode } from '../core/errors.js';
import { ERROR_DOMAIN, errorInfoOf } from '../wire/status-details.js';

/** The memspace code of a status that carries none: what the status means in memspace's terms. */
const FALLBACK: Readonly<Partial<Record<status, ErrorCode>>> = {
  [status.INVALID_ARGUMENT]: 'VALIDATION_FAILED',
  [status.OUT_OF_RANGE]: 'VALIDATION_FAILED',
  [status.UNAUTHENTICATED]: 'UNAUTHENTICATED',
  [status.PERMISSION_DENIED]: 'FORBIDDEN',
  [status.NOT_FOUND]: 'NOT_FOUND',
  [status.ALREADY_EXISTS]: 'CONFLICT',
  [status.ABORTED]: 'CONFLICT',
  [status.FAILED_PRECONDITION]: 'CONFLICT',
  [status.RESOURCE_EXHAUSTED]: 'QUOTA_EXCEEDED',
  [status.UNAVAILABLE]: 'BACKEND_UNAVAILABLE',
  [status.DEADLINE_EXCEEDED]: 'BACKEND_UNAVAILABLE',
  [status.CANCELLED]: 'BACKEND_UNAVAILABLE',
};

/** What a failure is reported against: the server, the method, and the call's time limit. */
export interface CallSite {
  address: string;
  /** `Service/Method`, e.g. `Memories/Add`. */
  method: string;
  /** The call's limit in ms, when it had one. */
  timeoutMs: number | undefined;
}

/** True for a grpc-js call failure (a `ServiceError`), as opposed to anything else thrown. */
export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number' && 'metadata' in error;
}

/**
 * The {@link MemspaceError} a failed call stands for: the server's own code, message and
 * details when its status carries memspace's ErrorInfo, else one derived from the status.
 * Anything that is not a call failure becomes `INTERNAL`, a {@link MemspaceError} stays as it is.
 */
export function grpcFailure(error: unknown, site: CallSite): MemspaceError {
  if (error instanceof MemspaceError) return error;
  if (!isServiceError(error)) return new MemspaceError('INTERNAL', `the gRPC call ${site.method} failed: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
  const info = errorInfo(error.metadata);
  if (info !== undefined) return new MemspaceError(info.code, error.details, info.details, { cause: error });
  return fromStatus(error, site);
}

/** The error of a status without memspace's ErrorInfo, worded as the HTTP client words its own. */
function fromStatus(error: ServiceError, site: CallSite): MemspaceError {
  const grpcStatus = status[error.code] ?? String(error.code);
  const where = `${site.method} at ${site.address}`;
  switch (error.code) {
    case status.UNAVAILABLE:
      return new MemspaceError('BACKEND_UNAVAILABLE', `cannot reach memspace (${where}): ${error.details}`, { grpcStatus }, { cause: error });
    case status.DEADLINE_EXCEEDED:
      return new MemspaceError('BACKEND_UNAVAILABLE', `memspace did not answer ${where} in time`, { grpcStatus, ...(site.timeoutMs !== undefined && { timeoutMs: site.timeoutMs }) }, { cause: error });
    case status.UNIMPLEMENTED:
      return new MemspaceError('INTERNAL', `the server does not implement ${where}: ${error.details}`, { grpcStatus }, { cause: error });
    case status.RESOURCE_EXHAUSTED:
      // grpc-js's own limit on message sizes, on either side.
      if (/larger than max/i.test(error.details)) return new MemspaceError('PAYLOAD_TOO_LARGE', error.details, { grpcStatus }, { cause: error });
  }
  const code = FALLBACK[error.code] ?? 'INTERNAL';
  return new MemspaceError(code, `${where} failed with ${grpcStatus}: ${error.details}`, { grpcStatus }, { cause: error });
}

/** memspace's code and details from the ErrorInfo of a failed call, if it carries memspace's. */
function errorInfo(metadata: Metadata | undefined): { code: ErrorCode; details: Record<string, unknown> | undefined } | undefined {
  const info = errorInfoOf(metadata);
  const code = ERROR_CODES.find((c) => c === info?.reason);
  if (info?.domain !== ERROR_DOMAIN || code === undefined) return undefined;
  const entries = Object.entries(info.metadata);
  return { code, details: entries.length === 0 ? undefined : Object.fromEntries(entries.map(([key, text]) => [key, parseJson(text)])) };
}

/** A detail's JSON text as its value; a text that is not JSON stays the text. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
