import { z } from 'zod';

import { MemspaceError } from '../core/errors.js';

/** Longest excerpt of an error body kept in error details: enough to read the server's reason. */
const MAX_BODY_EXCERPT = 500;

/**
 * `<base>/v1/<path>`, whether or not `baseUrl` already ends in `/v1`. `name` is how the option
 * appears in validation messages (`baseUrl`, `LLM baseUrl`).
 * @throws MemspaceError `VALIDATION_FAILED` unless `baseUrl` is an http(s) URL.
 */
export function openaiEndpoint(baseUrl: string, path: string, name: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (error) {
    throw new MemspaceError('VALIDATION_FAILED', `${name} is not a valid URL: ${baseUrl}`, undefined, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MemspaceError('VALIDATION_FAILED', `${name} must be http or https: ${baseUrl}`);
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '')}/v1/${path}`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/** Returns `model` when it is a non-empty string. @throws MemspaceError `VALIDATION_FAILED` otherwise. */
export function requireModel(model: string): string {
  if (typeof model !== 'string' || model.length === 0) {
    throw new MemspaceError('VALIDATION_FAILED', 'model must be a non-empty string');
  }
  return model;
}

/** One request of {@link postJson}. */
export interface PostJsonRequest<T> {
  url: string;
  /** Sent as `Authorization: Bearer <apiKey>`; `undefined` or `''` sends no header. */
  apiKey: string | undefined;
  /** JSON-serialised as the request body. */
  body: unknown;
  /** The part of the response the caller relies on; other fields are ignored. */
  schema: z.ZodType<T>;
  /** Limit from connecting to reading the whole body. */
  timeoutMs: number;
  /** Aborts the request when the client is closed. */
  closed: AbortSignal;
  /** The error for a closed client, before the request or when `closed` aborted it. */
  closedError: () => MemspaceError;
  /** Names the server in messages: `embedding server`, `LLM server`. */
  label: string;
  /** Included in every error's details (URL, model...); must not hold the key. */
  details: Record<string, unknown>;
}

/**
 * POSTs `body` to an OpenAI-compatible endpoint and returns the response parsed by `schema`.
 * HTTP errors, timeouts, refused connections, malformed JSON and unexpected shapes fail with
 * `BACKEND_UNAVAILABLE`; details carry `request.details` and the HTTP status, never the key.
 */
export async function postJson<T>(request: PostJsonRequest<T>): Promise<T> {
  const { label, details } = request;
  if (request.closed.aborted) throw request.closedError();
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  // An empty key (e.g. an unset environment variable) means none: local servers usually need none.
  if (request.apiKey !== undefined && request.apiKey !== '') headers.authorization = `Bearer ${request.apiKey}`;

  let status: number;
  let text: string;
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      headers,
      body: JSON.stringify(request.body),
      signal: AbortSignal.any([AbortSignal.timeout(request.timeoutMs), request.closed]),
    });
    status = response.status;
    // The same signal bounds the body read, so a server that stalls mid-body cannot hang us.
    text = await response.text();
  } catch (error) {
    throw transportError(error, request);
  }

  if (status < 200 || status >= 300) {
    throw new MemspaceError('BACKEND_UNAVAILABLE', `${label} answered HTTP ${status}`, {
      ...details,
      status,
      body: text.slice(0, MAX_BODY_EXCERPT),
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new MemspaceError(
      'BACKEND_UNAVAILABLE',
      `${label} returned malformed JSON`,
      { ...details, status, body: text.slice(0, MAX_BODY_EXCERPT) },
      { cause: error },
    );
  }
  const parsed = request.schema.safeParse(json);
  if (!parsed.success) {
    throw new MemspaceError(
      'BACKEND_UNAVAILABLE',
      `${label} returned an unexpected response`,
      { ...details, status, issues: z.prettifyError(parsed.error) },
      { cause: parsed.error },
    );
  }
  return parsed.data;
}

function transportError(error: unknown, request: PostJsonRequest<unknown>): MemspaceError {
  const { label, details, timeoutMs } = request;
  if (request.closed.aborted) return request.closedError();
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new MemspaceError(
      'BACKEND_UNAVAILABLE',
      `${label} did not answer within ${timeoutMs} ms`,
      { ...details, timeoutMs },
      { cause: error },
    );
  }
  // undici reports "fetch failed" and keeps the useful part (ECONNREFUSED, ENOTFOUND...) in the cause.
  const reason = error instanceof Error ? causeCode(error) : undefined;
  return new MemspaceError(
    'BACKEND_UNAVAILABLE',
    `${label} unreachable${reason === undefined ? '' : ` (${reason})`}`,
    { ...details, ...(reason === undefined ? {} : { reason }) },
    { cause: error },
  );
}

function causeCode(error: Error): string | undefined {
  const cause: unknown = error.cause;
  if (typeof cause === 'object' && cause !== null) {
    if ('code' in cause && typeof cause.code === 'string') return cause.code;
    if ('message' in cause && typeof cause.message === 'string') return cause.message;
  }
  return undefined;
}
