/**
 * The one error type of memspace. Every failure on every interface carries one of
 * {@link ERROR_CODES}; the list is pinned by a test because clients branch on it.
 */

/** Stable error codes, pinned by a test; docs/http.md ("Errors") explains each. */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'INVALID_SPACE',
  'SPACE_CONFLICT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'SPACE_NOT_FOUND',
  'NOT_FOUND',
  'CONFLICT',
  'SPACE_ARCHIVED',
  'PAYLOAD_TOO_LARGE',
  'DIMENSION_MISMATCH',
  'QUOTA_EXCEEDED',
  'BACKEND_UNAVAILABLE',
  'INTERNAL',
  'CURSOR_EXPIRED',
] as const;

/** One of the stable error codes. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** HTTP status for each code: the single mapping every HTTP surface uses. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = Object.freeze({
  VALIDATION_FAILED: 400,
  INVALID_SPACE: 400,
  SPACE_CONFLICT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  SPACE_NOT_FOUND: 404,
  NOT_FOUND: 404,
  CONFLICT: 409,
  SPACE_ARCHIVED: 409,
  PAYLOAD_TOO_LARGE: 413,
  DIMENSION_MISMATCH: 422,
  QUOTA_EXCEEDED: 429,
  BACKEND_UNAVAILABLE: 503,
  INTERNAL: 500,
  CURSOR_EXPIRED: 410,
});

/** The wire shape of an error: `{ error: { code, message, details? } }`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

/** An error with a stable {@link ErrorCode}; the original driver error, if any, is kept as `cause`. */
export class MemspaceError extends Error {
  override readonly name = 'MemspaceError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  /** The wire shape of this error. */
  toJSON(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

/** True when `value` is a {@link MemspaceError}, optionally with the given code. */
export function isMemspaceError(value: unknown, code?: ErrorCode): value is MemspaceError {
  return value instanceof MemspaceError && (code === undefined || value.code === code);
}

/** Wraps anything thrown into a {@link MemspaceError}; unknown errors become `INTERNAL`. */
export function toMemspaceError(value: unknown): MemspaceError {
  if (value instanceof MemspaceError) return value;
  return new MemspaceError('INTERNAL', 'internal error', undefined, { cause: value });
}
