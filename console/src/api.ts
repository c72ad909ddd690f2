import { currentKey, signOut } from './session.js';

/** A failure as the API answers it: its stable code, message and details (docs/errors.md). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Called when the server no longer takes the key (revoked, or the server restarted with new keys). */
let onSignedOut: () => void = () => {};
export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback;
}

export interface CallOptions {
  body?: unknown;
  /** Query parameters; undefined and empty values are left out. */
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
  /** The key to send instead of the signed-in one (the sign-in form checks a key before keeping it). */
  key?: string;
}

/** The path with its query string, for any call and for links to the raw API. */
export function withQuery(path: string, query: CallOptions['query'] = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** Calls the memspace API on this origin with the signed-in key; a failure is thrown as an {@link ApiError}. */
export async function api<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const key = options.key ?? currentKey();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key !== null) headers['authorization'] = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(withQuery(path, options.query), {
    method,
    headers,
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    ...(options.signal !== undefined && { signal: options.signal }),
    cache: 'no-store',
    credentials: 'omit',
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  if (!response.ok) {
    const failure = apiErrorOf(response.status, text, response.statusText);
    if (failure.code === 'UNAUTHENTICATED' && options.key === undefined) {
      signOut();
      onSignedOut();
    }
    throw failure;
  }
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/** An error body of the API (`{error: {code, message, details}}`) as an {@link ApiError}; another body (a proxy's page) by its status. */
export function apiErrorOf(status: number, text: string, fallback: string): ApiError {
  try {
    const error = (JSON.parse(text) as { error?: { code?: string; message?: string; details?: Record<string, unknown> } }).error;
    if (error?.code !== undefined) return new ApiError(status, error.code, error.message ?? fallback, error.details ?? {});
  } catch {
    // Not JSON: told by its status below.
  }
  return new ApiError(status, `HTTP_${status}`, fallback);
}

/** A space's path in the API: `/v1/spaces/{space}` and what follows. */
export function spacePath(space: string, rest = ''): string {
  return `/v1/spaces/${encodeURIComponent(space)}${rest}`;
}
