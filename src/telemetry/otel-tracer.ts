/**
 * The OpenTelemetry adapter of the {@link Tracer} port: spans of a {@link BasicTracerProvider},
 * nested through the OTel context API (an AsyncLocalStorage context manager, unless the
 * embedding application registered its own). Loaded only when tracing is on (tracing-config.ts).
 *
 * A trace names one space: each span's frame (kept in the context beside the OTel span) carries
 * the space its trace is about, so a span about another space starts a trace of its own instead
 * of appearing in a request to this one, and a request whose space is resolved late (a header,
 * a key's default space) takes the space of the first span inside it that names one.
 */
import {
  context,
  createContextKey,
  createTraceState,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer as OtelTracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type Sampler, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { outcomeOf, type ActiveSpan, type SpanAttributes, type SpanOutcome, type SpanStart, type Tracer } from '../core/ports/tracer.js';

/** Options of {@link createOtelTracer}. */
export interface OtelTracerOptions {
  /** `service.name` of the resource. @default memspace */
  serviceName?: string;
  /** `service.version` of the resource. @default the package's version */
  serviceVersion?: string;
  /** Where finished spans go, in batches ({@link BatchSpanProcessor}); ignored when `processors` are given. */
  exporter?: SpanExporter;
  /** Span processors to use instead (tests: a `SimpleSpanProcessor` over an `InMemorySpanExporter`). */
  processors?: SpanProcessor[];
  /** Which traces are recorded. @default parent-based, always on */
  sampler?: Sampler;
}

/** Package version, as the resource's `service.version`. */
const VERSION = '0.1.0';

/** What the context holds beside the OTel span: where the span's trace stands. */
interface Frame {
  ended: boolean;
  /** The space of the trace's work: a name, null for work across spaces, undefined while unknown. */
  space: string | null | undefined;
  /**
   * While the space is unknown: names the trace's root after the first space a span inside it
   * names, and returns the space the trace has (that one, or the one an earlier span claimed).
   */
  claim: ((space: string) => string) | undefined;
}

const FRAME = createContextKey('memspace.tracing.frame');

/** Whether this process's context manager has been settled (ours, or the application's). */
let contextManagerSettled = false;

/**
 * Registers an AsyncLocalStorage context manager unless one is registered already (an application
 * embedding memspace with its own OpenTelemetry setup keeps its own, and memspace's spans join its traces).
 */
function settleContextManager(): void {
  if (contextManagerSettled) return;
  contextManagerSettled = true;
  const manager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(manager)) manager.disable();
}

/** A {@link Tracer} over OpenTelemetry; `shutdown` flushes and stops its provider. */
export function createOtelTracer(options: OtelTracerOptions = {}): Tracer {
  settleContextManager();
  const processors = options.processors ?? (options.exporter === undefined ? [] : [new BatchSpanProcessor(options.exporter)]);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'memspace', 'service.version': options.serviceVersion ?? VERSION }),
    spanProcessors: processors,
    ...(options.sampler !== undefined && { sampler: options.sampler }),
  });
  return new OtelTracerAdapter(provider.getTracer('memspace', VERSION), provider);
}

class OtelTracerAdapter implements Tracer {
  readonly enabled = true;
  private stopped: Promise<void> | undefined;

  constructor(
    private readonly tracer: OtelTracer,
    private readonly provider: BasicTracerProvider,
  ) {}

  start(start: SpanStart): ActiveSpan {
    const { parent, frame: parentFrame } = this.parentOf(start);
    const span = this.tracer.startSpan(
      start.name,
      { kind: start.kind === 'server' ? SpanKind.SERVER : SpanKind.INTERNAL, attributes: spanAttributes(start) },
      parent,
    );
    const space = start.space ?? (start.manySpaces === true ? null : parentFrame?.space);
    const frame: Frame = { ended: false, space, claim: undefined };
    if (space === undefined) {
      // The space is not known yet: the first span inside that names one names this trace's root too.
      frame.claim =
        parentFrame?.claim ??
        ((claimed) => {
          if (frame.space === undefined && !frame.ended) {
            span.setAttribute('memspace.space', claimed);
            frame.space = claimed;
          }
          return typeof frame.space === 'string' ? frame.space : claimed;
        });
    }
    return new OtelSpan(span, trace.setSpan(parent, span).setValue(FRAME, frame), frame);
  }

  async span<T>(start: SpanStart, fn: () => Promise<T>): Promise<T> {
    const span = this.start(start);
    try {
      const result = await span.run(fn);
      span.end('ok');
      return result;
    } catch (error) {
      span.end(outcomeOf(error));
      throw error;
    }
  }

  flush(): Promise<void> {
    return settled(this.provider.forceFlush());
  }

  shutdown(): Promise<void> {
    this.stopped ??= settled(this.provider.shutdown());
    return this.stopped;
  }

  /** The context a new span starts in, and the frame of the span it nests under (if any). */
  private parentOf(start: SpanStart): { parent: Context; frame: Frame | undefined } {
    if (start.remoteParent !== undefined) return { parent: remoteContext(start.remoteParent), frame: undefined };
    const active = context.active();
    const frame = active.getValue(FRAME) as Frame | undefined;
    // Outside any span of ours: under the application's span, if it has one.
    if (frame === undefined) return { parent: active, frame: undefined };
    // Work that outlives its request (a timer it started, a write it set going) is not part of it.
    if (frame.ended) return { parent: ROOT_CONTEXT, frame: undefined };
    if (start.space !== undefined) {
      if (frame.space === undefined) frame.space = frame.claim?.(start.space) ?? start.space;
      if (frame.space !== null && !sameSpace(frame.space, start.space)) return { parent: ROOT_CONTEXT, frame: undefined };
    }
    return { parent: active, frame };
  }
}

class OtelSpan implements ActiveSpan {
  constructor(
    private readonly span: Span,
    private readonly ctx: Context,
    private readonly frame: Frame,
  ) {}

  set(attributes: SpanAttributes): void {
    for (const [key, value] of Object.entries(attributes)) if (value !== undefined) this.span.setAttribute(key, value);
  }

  run<T>(fn: () => T): T {
    return context.with(this.ctx, fn);
  }

  end(outcome: SpanOutcome = 'ok'): void {
    if (this.frame.ended) return;
    this.frame.ended = true;
    this.span.setAttribute('memspace.outcome', outcome);
    // The code only: an error's message may quote what the caller sent.
    if (outcome !== 'ok' && outcome !== 'cancelled') this.span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
    this.span.end();
  }
}

/** Longest wait for the exporter when flushing: a collector that is down must not hold a shutdown. */
const FLUSH_LIMIT_MS = 5_000;

/**
 * Waits for `work` (a flush), at most {@link FLUSH_LIMIT_MS}, and never fails: spans that cannot
 * be delivered are lost, and closing memspace goes on.
 */
async function settled(work: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, FLUSH_LIMIT_MS);
    timer.unref();
  });
  await Promise.race([work.catch(() => undefined), limit]);
  clearTimeout(timer);
}

/** Space names compare case-insensitively, as the catalogue compares them. */
function sameSpace(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase();
}

function spanAttributes(start: SpanStart): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = { 'memspace.operation': start.operation };
  if (start.space !== undefined) out['memspace.space'] = start.space;
  for (const [key, value] of Object.entries(start.attributes ?? {})) if (value !== undefined) out[key] = value;
  return out;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/** The context of a caller's W3C `traceparent` (and `tracestate`); the root context when it is missing or malformed. */
function remoteContext(remote: NonNullable<SpanStart['remoteParent']>): Context {
  const m = TRACEPARENT.exec(remote.traceparent?.trim() ?? '');
  // Version ff is invalid; version 00 allows nothing after the flags.
  if (m === null || m[1] === 'ff' || (m[1] === '00' && remote.traceparent!.trim().length !== 55)) return ROOT_CONTEXT;
  const spanContext = {
    traceId: m[2]!,
    spanId: m[3]!,
    traceFlags: parseInt(m[4]!, 16) & 1,
    isRemote: true,
    ...(remote.tracestate !== undefined && remote.tracestate !== '' && { traceState: createTraceState(remote.tracestate) }),
  };
  return isSpanContextValid(spanContext) ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : ROOT_CONTEXT;
}
