import { ERROR_CODES, isMemspaceError, type ErrorCode } from '../errors.js';

/**
 * Attribute values a span may carry. Only what locates work (a space, an operation, a route, a
 * status, a count): never content, queries, keys, tokens or metadata values (docs/tracing.md).
 */
export type SpanAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * How a span ended: `ok`, the {@link ErrorCode} of its failure, or `cancelled` when its caller
 * went away (a closed HTTP connection, a cancelled gRPC call) before an answer.
 */
export type SpanOutcome = 'ok' | 'cancelled' | ErrorCode;

/** What a span starts with. */
export interface SpanStart {
  /** The span's name, e.g. `memories.add` or `POST /v1/spaces/:space/memories`. */
  name: string;
  /** `memspace.operation`: what is done, e.g. `memories.add`, `store.search`, `http.request`. */
  operation: string;
  /**
   * `memspace.space`: the one space the work is for, when there is one. A request's trace names
   * one space: work on another space inside it is traced as a trace of its own.
   */
  space?: string | undefined;
  /** The work reaches several spaces at once (a search across spaces): the spans inside it may each name theirs. */
  manySpaces?: boolean;
  /** `server` for a request from outside (HTTP, gRPC); `internal` otherwise. @default internal */
  kind?: 'server' | 'internal';
  /** Further attributes, e.g. `http.route`; the same rule applies: nothing a tenant wrote. */
  attributes?: SpanAttributes;
  /**
   * The caller's W3C trace context (`traceparent`, `tracestate` headers), so the span joins the
   * caller's trace; ignored when malformed.
   */
  remoteParent?: { traceparent?: string | undefined; tracestate?: string | undefined };
}

/** A span in progress, ended once. */
export interface ActiveSpan {
  /** Adds attributes (e.g. the status code once known). */
  set(attributes: SpanAttributes): void;
  /** Runs `fn` with this span as the parent of the spans started inside it, synchronously and in what it awaits. */
  run<T>(fn: () => T): T;
  /** Ends the span with `memspace.outcome`; any outcome but `ok` and `cancelled` marks it as an error. Later calls do nothing. */
  end(outcome?: SpanOutcome): void;
}

/**
 * Where spans go (OpenTelemetry in `src/telemetry/`, nothing by default). The engine never
 * sees it: the composition root wraps the services and stores it traces.
 */
export interface Tracer {
  /** False for {@link NO_TRACER}: callers then skip even building a span's description. */
  readonly enabled: boolean;
  /** Starts a span under the current one (or as the root of a trace); end it with {@link ActiveSpan.end}. */
  start(span: SpanStart): ActiveSpan;
  /** Runs `fn` in a span that ends with its outcome: `ok`, or the code of what it threw ({@link outcomeOf}). */
  span<T>(span: SpanStart, fn: () => Promise<T>): Promise<T>;
  /** Hands every finished span to the exporter and waits for it. */
  flush(): Promise<void>;
  /** Flushes, then stops: later spans are dropped. Idempotent. */
  shutdown(): Promise<void>;
}

const NO_SPAN: ActiveSpan = Object.freeze({
  set: () => undefined,
  run: <T>(fn: () => T): T => fn(),
  end: () => undefined,
});

/** The tracer when tracing is off: every call does nothing, so an untraced process pays one check. */
export const NO_TRACER: Tracer = Object.freeze({
  enabled: false,
  start: () => NO_SPAN,
  span: <T>(_span: SpanStart, fn: () => Promise<T>): Promise<T> => fn(),
  flush: async () => undefined,
  shutdown: async () => undefined,
});

const CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** The outcome a failure records: its error code, `INTERNAL` for anything that is not a {@link MemspaceError}. */
export function outcomeOf(error: unknown): ErrorCode {
  if (isMemspaceError(error)) return error.code;
  // A code given as text (e.g. read back from an error body) counts when it is one of ours.
  if (typeof error === 'string' && CODES.has(error)) return error as ErrorCode;
  return 'INTERNAL';
}
