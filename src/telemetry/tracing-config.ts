/**
 * Whether tracing is on, from the standard `OTEL_*` variables as `src/config.ts` read them, and
 * the tracer it gives. Off (the default), nothing of OpenTelemetry is loaded: the SDK and the
 * exporter are imported only once a configuration turns tracing on.
 */
import type { Config } from '../config.js';
import { NO_TRACER, type Tracer } from '../core/ports/tracer.js';

/** The settings of tracing: the `OTEL_*` fields of the configuration. */
export type TracingSettings = Pick<
  Config,
  | 'otelSdkDisabled'
  | 'otelTracesExporter'
  | 'otelExporterOtlpEndpoint'
  | 'otelExporterOtlpTracesEndpoint'
  | 'otelExporterOtlpHeaders'
  | 'otelExporterOtlpTracesHeaders'
  | 'otelExporterOtlpTimeout'
  | 'otelExporterOtlpTracesTimeout'
  | 'otelServiceName'
  | 'otelTracesSampler'
  | 'otelTracesSamplerArg'
>;

/** Where spans go: `OTEL_TRACES_EXPORTER` without `none`; unset, `otlp` when an endpoint is set. */
export function tracesExporters(settings: TracingSettings): ('otlp' | 'console')[] {
  if (settings.otelSdkDisabled) return [];
  if (settings.otelTracesExporter === undefined) {
    return settings.otelExporterOtlpEndpoint !== undefined || settings.otelExporterOtlpTracesEndpoint !== undefined ? ['otlp'] : [];
  }
  // `none` among others turns nothing off: it only says "no exporter" where it stands alone.
  return [...new Set(settings.otelTracesExporter.filter((e) => e !== 'none'))];
}

/** True when the settings turn tracing on (see {@link tracesExporters}). */
export function tracingEnabled(settings: TracingSettings): boolean {
  return tracesExporters(settings).length > 0;
}

/** The tracer the settings ask for: {@link NO_TRACER} when off, else OpenTelemetry, loaded now. */
export async function tracerOf(settings: TracingSettings): Promise<Tracer> {
  if (!tracingEnabled(settings)) return NO_TRACER;
  const { configuredTracer } = await import('./otel-setup.js');
  return configuredTracer(settings, tracesExporters(settings));
}

/** The URL spans are sent to: the traces endpoint as given, else the base endpoint's `/v1/traces`, else the local collector's. */
export function tracesUrl(settings: TracingSettings): string {
  if (settings.otelExporterOtlpTracesEndpoint !== undefined) return settings.otelExporterOtlpTracesEndpoint;
  const base = settings.otelExporterOtlpEndpoint ?? 'http://localhost:4318';
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * The headers of `OTEL_EXPORTER_OTLP_HEADERS` with those of `OTEL_EXPORTER_OTLP_TRACES_HEADERS`
 * over them: `name=value` pairs, comma-separated, values percent-encoded. A malformed pair is
 * skipped, as the specification says, and never echoed: it may hold a token.
 */
export function exportHeaders(settings: TracingSettings): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const text of [settings.otelExporterOtlpHeaders, settings.otelExporterOtlpTracesHeaders]) {
    for (const pair of (text ?? '').split(',')) {
      const at = pair.indexOf('=');
      if (at <= 0) continue;
      const name = pair.slice(0, at).trim().toLowerCase();
      let value: string;
      try {
        value = decodeURIComponent(pair.slice(at + 1).trim());
      } catch {
        continue;
      }
      if (name !== '') headers[name] = value;
    }
  }
  return headers;
}
