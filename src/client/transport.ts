import { z } from 'zod';
import { ERROR_CODES, MemspaceError } from '../core/errors.js';
import { checkJson } from '../core/validate.js';

/** A query string: arrays become repeated parameters, undefined values are left out. */
export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

/** One HTTP request of the client. */
export interface Call {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path from the server root, segments already encoded. */
  path: string;
  query?: Query;
  headers?: Record<string, string>;
  /** JSON body, serialised here. */
  json?: unknown;
  /** A raw body with its content type (imports). */
  stream?: { body: ReadableStream<Uint8Array>; contentType: string };
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

/** What the transport is built from (the client's resolved options). */
export interface TransportOptions {
  baseUrl: string;
  apiKey: string | undefined;
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
}

const ErrorBodySchema = z.object({
  error: z.object({ code: z.enum(ERROR_CODES), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});

/** Raised inside the transport when a call's time is up, to tell it from the caller's abort. */
class Timeout extends Error {}

/**
 * The HTTP layer of the client: builds requests, bounds them in time, and turns every failure
 * into a {@link MemspaceError}: the server's own error, `BACKEND_UNAVAILABLE` when the server
 * cannot be reached or answer in time, `INTERNAL` for an answer that is not memspace's.
 */
export class Transport {
  constructor(private readonly options: TransportOptions) {}

  /** Sends a call and returns its parsed JSON body (undefined for 204), checked with `schema`. */
  async json<S extends z.ZodType>(call: Call, schema: S): Promise<z.output<S>> {
    const { response, release, timer } = await this.send(call);
    try {
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        throw this.failure(error, call, timer);
      }
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        throw unexpected(response, 'the server answered with something other than JSON', { body: text.slice(0, 200) });
      }
      const parsed = schema.safeParse(body);
      if (!parsed.success) {
        throw unexpected(response, 'the server answered with an unexpected shape', {
          issues: parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
        });
      }
      return parsed.data;
    } finally {
      release();
    }
  }

  /** Sends a call whose success has no body to read (204). */
  async empty(call: Call): Promise<void> {
    const { response, release } = await this.send(call);
    release();
    // Nothing to read; cancelling frees the connection at once.
    await response.body?.cancel().catch(() => {});
  }

  /**
   * Sends a call and returns the successful response with its body unread; the time limit
   * ends once the response has started, the caller's `signal` still aborts the body.
   */
  async open(call: Call): Promise<Response> {
    const { response, release } = await this.send(call);
    release();
    return response;
  }

  /** Turns a failure while reading a body into a {@link MemspaceError} (or the caller's abort reason). */
  bodyFailure(error: unknown, call: Call): unknown {
    return this.failure(error, call);
  }

  private async send(call: Call): Promise<{ response: Response; release: () => void; timer: AbortSignal }> {
    const url = new URL(this.options.baseUrl + call.path);
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const item of value as readonly string[]) url.searchParams.append(name, item);
      else url.searchParams.append(name, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
    if (this.options.apiKey !== undefined) headers['authorization'] = `Bearer ${this.options.apiKey}`;
    const init: RequestInit = { method: call.method, headers };
    if (call.json !== undefined) {
      // What the server would refuse is refused before sending, and JSON.stringify never gets to
      // turn a NaN into null or send a lone surrogate that the server would refuse anyway.
      checkJson(call.json, 'request body');
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(call.json);
    } else if (call.stream !== undefined) {
      headers['content-type'] = call.stream.contentType;
      init.body = call.stream.body;
      init.duplex = 'half'; // a streamed request body, needed by fetch in Node
    }

    const limit = call.timeoutMs ?? this.options.timeoutMs;
    const timer = new AbortController();
    const timeout = limit > 0 ? setTimeout(() => timer.abort(new Timeout(`no answer within ${limit} ms`)), limit) : undefined;
    const signal = call.signal === undefined ? timer.signal : AbortSignal.any([call.signal, timer.signal]);
    init.signal = signal;
    const release = (): void => clearTimeout(timeout);

    let response: Response;
    try {
      response = await this.options.fetch(url, init);
    } catch (error) {
      release();
      throw this.failure(error, call, timer.signal);
    }
    if (response.ok) return { response, release, timer: timer.signal };
    let failure: unknown;
    try {
      failure = await errorOf(response);
    } catch (error) {
      failure = this.failure(error, call, timer.signal);
    } finally {
      release();
    }
    throw failure;
  }

  /** The error to throw for `error`: the caller's abort reason, a timeout, or an unreachable server. */
  private failure(error: unknown, call: Call, timer?: AbortSignal): unknown {
    if (error instanceof MemspaceError) return error;
    if (call.signal?.aborted) return call.signal.reason;
    const where = `${call.method} ${call.path}`;
    if (timer?.aborted && timer.reason instanceof Timeout) {
      return new MemspaceError('BACKEND_UNAVAILABLE', `memspace at ${this.options.baseUrl} did not answer ${where}: ${timer.reason.message}`, { timeoutMs: call.timeoutMs ?? this.options.timeoutMs }, { cause: error });
    }
    return new MemspaceError('BACKEND_UNAVAILABLE', `cannot reach memspace at ${this.options.baseUrl} (${where}): ${describe(error)}`, undefined, { cause: error });
  }
}

/** The error a non-2xx response stands for: the server's own, or `INTERNAL` when it is not memspace's error shape. */
async function errorOf(response: Response): Promise<MemspaceError> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const parsed = ErrorBodySchema.safeParse(body);
  if (parsed.success) return new MemspaceError(parsed.data.error.code, parsed.data.error.message, parsed.data.error.details);
  return unexpected(response, `the server answered ${response.status} without a memspace error`, { body: text.slice(0, 200) });
}

/** An `INTERNAL` error for an answer the client cannot understand, with its status. */
function unexpected(response: Response, message: string, details: Record<string, unknown>): MemspaceError {
  const requestId = response.headers.get('x-request-id');
  return new MemspaceError('INTERNAL', message, { status: response.status, ...(requestId !== null && { requestId }), ...details });
}

/** The most telling words of a network error: fetch hides the socket's code in `cause`. */
function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Parses a `{"error": ...}` body (an `event: error` of a stream) into a {@link MemspaceError}, or undefined. */
export function errorFromBody(body: unknown): MemspaceError | undefined {
  const parsed = ErrorBodySchema.safeParse(body);
  return parsed.success ? new MemspaceError(parsed.data.error.code, parsed.data.error.message, parsed.data.error.details) : undefined;
}
