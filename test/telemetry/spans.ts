import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Tracer } from '../../src/core/ports/tracer.js';
import { createOtelTracer } from '../../src/telemetry/otel-tracer.js';

/** A tracer whose spans are kept in memory, each as it ends. */
export function memoryTracer(): { tracer: Tracer; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  return { tracer: createOtelTracer({ processors: [new SimpleSpanProcessor(exporter)] }), exporter };
}

/** An attribute of a span, as a string (undefined when absent). */
export function attr(span: ReadableSpan, name: string): string | undefined {
  const value = span.attributes[name];
  return value === undefined ? undefined : String(value);
}

/** The span's parent among `spans`, by span id. */
export function parentOf(span: ReadableSpan, spans: readonly ReadableSpan[]): ReadableSpan | undefined {
  const id = span.parentSpanContext?.spanId;
  return id === undefined ? undefined : spans.find((s) => s.spanContext().spanId === id);
}

/** The span's ancestors among `spans`, nearest first. */
export function ancestorsOf(span: ReadableSpan, spans: readonly ReadableSpan[]): ReadableSpan[] {
  const out: ReadableSpan[] = [];
  for (let at = parentOf(span, spans); at !== undefined; at = parentOf(at, spans)) out.push(at);
  return out;
}

/** The root of the span's trace among `spans` (the span itself when it has no parent there). */
export function rootOf(span: ReadableSpan, spans: readonly ReadableSpan[]): ReadableSpan {
  return ancestorsOf(span, spans).at(-1) ?? span;
}

/** The spans of operation `operation`. */
export function ofOperation(spans: readonly ReadableSpan[], operation: string): ReadableSpan[] {
  return spans.filter((s) => attr(s, 'memspace.operation') === operation);
}

/** Everything a span carries that an exporter sends: name, attributes, status, events, links, resource. */
export function exported(span: ReadableSpan): string {
  return JSON.stringify({ name: span.name, attributes: span.attributes, status: span.status, events: span.events, links: span.links, resource: span.resource.attributes });
}

/** True when the span is marked as an error. */
export function isError(span: ReadableSpan): boolean {
  return span.status.code === SpanStatusCode.ERROR;
}
