/**
 * The tracer a configuration asks for: OpenTelemetry with the OTLP/HTTP exporter (JSON bodies)
 * or the console one, each behind a batch processor, and the configured sampler. Imported
 * only when tracing is on (tracing-config.ts).
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { Tracer } from '../core/ports/tracer.js';
import { createOtelTracer } from './otel-tracer.js';
import { exportHeaders, tracesUrl, type TracingSettings } from './tracing-config.js';

/** A tracer exporting to `exporters`, as the settings describe them. */
export function configuredTracer(settings: TracingSettings, exporters: readonly ('otlp' | 'console')[]): Tracer {
  return createOtelTracer({
    serviceName: settings.otelServiceName,
    processors: exporters.map((name) => new BatchSpanProcessor(exporterOf(settings, name))),
    sampler: samplerOf(settings),
  });
}

function exporterOf(settings: TracingSettings, name: 'otlp' | 'console'): SpanExporter {
  if (name === 'console') return new ConsoleSpanExporter();
  return new OTLPTraceExporter({
    url: tracesUrl(settings),
    headers: exportHeaders(settings),
    timeoutMillis: settings.otelExporterOtlpTracesTimeout ?? settings.otelExporterOtlpTimeout,
  });
}

/** The sampler of `OTEL_TRACES_SAMPLER` (and `OTEL_TRACES_SAMPLER_ARG` for the ratio ones). */
export function samplerOf(settings: Pick<TracingSettings, 'otelTracesSampler' | 'otelTracesSamplerArg'>): Sampler {
  const ratio = (): Sampler => new TraceIdRatioBasedSampler(settings.otelTracesSamplerArg);
  switch (settings.otelTracesSampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}
