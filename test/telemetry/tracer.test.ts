import { SpanKind } from '@opentelemetry/api';
import { AlwaysOffSampler, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { MemspaceError } from '../../src/core/errors.js';
import { NO_TRACER, outcomeOf } from '../../src/core/ports/tracer.js';
import { samplerOf } from '../../src/telemetry/otel-setup.js';
import { spaceName, traced } from '../../src/telemetry/traced.js';
import { exportHeaders, tracesExporters, tracesUrl, tracingEnabled } from '../../src/telemetry/tracing-config.js';
import { attr, isError, memoryTracer, parentOf } from './spans.js';

/** The tracer adapter, the tracing decorator and the `OTEL_*` settings, without a server. */

const settings = (env: Record<string, string>) => loadConfig({}, env);

describe('the OTEL_* settings', () => {
  it('leave tracing off unless an exporter or an OTLP endpoint is set, and OTEL_SDK_DISABLED=true wins', () => {
    expect(tracingEnabled(settings({}))).toBe(false);
    expect(tracingEnabled(settings({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' }))).toBe(false);
    expect(tracingEnabled(settings({ OTEL_TRACES_EXPORTER: 'none' }))).toBe(false);
    expect(tracesExporters(settings({ OTEL_TRACES_EXPORTER: 'otlp' }))).toEqual(['otlp']);
    expect(tracesExporters(settings({ OTEL_TRACES_EXPORTER: 'otlp, console' }))).toEqual(['otlp', 'console']);
    expect(tracesExporters(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }))).toEqual(['otlp']);
    expect(tracesExporters(settings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }))).toEqual(['otlp']);
    // `none` beside an endpoint: the exporter list says no.
    expect(tracingEnabled(settings({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }))).toBe(false);
    expect(tracingEnabled(settings({ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp' }))).toBe(false);
    expect(tracingEnabled(settings({ OTEL_SDK_DISABLED: 'no', OTEL_TRACES_EXPORTER: 'otlp' }))).toBe(true);
  });

  it('send to the traces endpoint, else the base endpoint with /v1/traces, else the local collector', () => {
    expect(tracesUrl(settings({}))).toBe('http://localhost:4318/v1/traces');
    expect(tracesUrl(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }))).toBe('http://collector:4318/v1/traces');
    expect(tracesUrl(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:1', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:2/spans' }))).toBe('http://b:2/spans');
  });

  it('parse headers (percent-decoded, traces ones over general ones, malformed pairs skipped)', () => {
    const s = settings({ OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20abc, x-team=a,broken,=v', OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=b,bad=%zz' });
    expect(exportHeaders(s)).toEqual({ authorization: 'Bearer abc', 'x-team': 'b' });
  });

  it('refuse what they cannot honour with VALIDATION_FAILED', () => {
    const invalid: Record<string, string>[] = [{ OTEL_TRACES_EXPORTER: 'zipkin' }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, { OTEL_TRACES_SAMPLER: 'sometimes' }, { OTEL_TRACES_SAMPLER_ARG: '2' }];
    for (const env of invalid) {
      expect(() => settings(env)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });

  it('build the sampler they name', () => {
    expect(samplerOf(settings({ OTEL_TRACES_SAMPLER: 'always_off' }))).toBeInstanceOf(AlwaysOffSampler);
    expect(samplerOf(settings({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })).toString()).toContain('0.25');
    expect(samplerOf(settings({ OTEL_TRACES_SAMPLER: 'traceidratio' }))).toBeInstanceOf(TraceIdRatioBasedSampler);
    expect(samplerOf(settings({}))).toBeInstanceOf(ParentBasedSampler);
  });
});

describe('the tracer adapter', () => {
  it('nests spans, and a span about another space starts a trace of its own', async () => {
    const { tracer, exporter } = memoryTracer();
    await tracer.span({ name: 'request', operation: 'http.request', kind: 'server' }, async () => {
      await tracer.span({ name: 'a', operation: 'memories.add', space: 'alpha' }, async () => {
        await tracer.span({ name: 's', operation: 'store.insertMemories', space: 'ALPHA' }, async () => undefined);
        await tracer.span({ name: 'b', operation: 'store.appendAudit', space: 'beta' }, async () => undefined);
      });
    });
    const spans = exporter.getFinishedSpans();
    const byName = (name: string) => spans.find((s) => s.name === name)!;
    expect(byName('request').kind).toBe(SpanKind.SERVER);
    // The request took the space of the first span inside it that named one.
    expect(attr(byName('request'), 'memspace.space')).toBe('alpha');
    expect(parentOf(byName('a'), spans)).toBe(byName('request'));
    expect(parentOf(byName('s'), spans)).toBe(byName('a')); // names compare case-insensitively
    expect(byName('b').parentSpanContext).toBeUndefined();
    expect(byName('b').spanContext().traceId).not.toBe(byName('request').spanContext().traceId);
  });

  it('work across spaces may hold spans of each, and work that outlives its span is not part of it', async () => {
    const { tracer, exporter } = memoryTracer();
    let later: Promise<void> | undefined;
    await tracer.span({ name: 'across', operation: 'search.across', manySpaces: true }, async () => {
      await tracer.span({ name: 'in-alpha', operation: 'store.search', space: 'alpha' }, async () => undefined);
      await tracer.span({ name: 'in-beta', operation: 'store.search', space: 'beta' }, async () => undefined);
      // A timer set inside the span runs in its context, after it ended.
      later = new Promise((resolve) => setTimeout(() => void tracer.span({ name: 'timer', operation: 'store.appendAudit', space: 'alpha' }, async () => undefined).then(resolve), 5));
    });
    await later;
    const spans = exporter.getFinishedSpans();
    const byName = (name: string) => spans.find((s) => s.name === name)!;
    expect(attr(byName('across'), 'memspace.space')).toBeUndefined();
    expect(parentOf(byName('in-alpha'), spans)).toBe(byName('across'));
    expect(parentOf(byName('in-beta'), spans)).toBe(byName('across'));
    expect(byName('timer').parentSpanContext).toBeUndefined();
  });

  it('ends a failed span with the code only, and an unknown failure as INTERNAL', async () => {
    const { tracer, exporter } = memoryTracer();
    const secret = 'content the caller wrote';
    await expect(tracer.span({ name: 'x', operation: 'memories.get', space: 'alpha' }, async () => Promise.reject(new MemspaceError('NOT_FOUND', `no "${secret}"`)))).rejects.toThrow();
    await expect(tracer.span({ name: 'y', operation: 'memories.get' }, async () => Promise.reject(new Error(secret)))).rejects.toThrow();
    const [x, y] = exporter.getFinishedSpans();
    expect([attr(x!, 'memspace.outcome'), x!.status.message, isError(x!)]).toEqual(['NOT_FOUND', 'NOT_FOUND', true]);
    expect(attr(y!, 'memspace.outcome')).toBe('INTERNAL');
    expect(JSON.stringify([x!.attributes, x!.events, y!.attributes, y!.events, y!.status])).not.toContain(secret);
    expect(outcomeOf('FORBIDDEN')).toBe('FORBIDDEN');
    expect(outcomeOf('not a code')).toBe('INTERNAL');
  });

  it('records nothing after shutdown, and the no-op tracer runs the work alone', async () => {
    const { tracer, exporter } = memoryTracer();
    await tracer.shutdown();
    await tracer.shutdown();
    await tracer.span({ name: 'late', operation: 'x' }, async () => undefined);
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(await NO_TRACER.span({ name: 'n', operation: 'n' }, async () => 42)).toBe(42);
    expect(NO_TRACER.start({ name: 'n', operation: 'n' }).run(() => 'ran')).toBe('ran');
  });
});

describe('the tracing decorator', () => {
  class Service {
    private readonly secret = 'private state';
    async get(space: string, key: string): Promise<string> {
      return `${space}:${key}:${this.secret}`;
    }
    async fail(space: string): Promise<never> {
      throw new MemspaceError('SPACE_NOT_FOUND', `space "${space}" not found`);
    }
    async *lines(space: string, n: number): AsyncGenerator<string> {
      for (let i = 0; i < n; i++) yield `${space}-${i}`;
    }
    untraced(): string {
      return this.secret;
    }
  }

  it('wraps the listed methods, takes the space from its argument only when it is a name, and leaves the rest alone', async () => {
    const { tracer, exporter } = memoryTracer();
    const service = traced(tracer, new Service(), 'svc', { get: 0, fail: 0, lines: 0 });
    expect(await service.get('alpha', 'msk_secret')).toBe('alpha:msk_secret:private state');
    expect(service.untraced()).toBe('private state');
    await expect(service.fail('beta')).rejects.toMatchObject({ code: 'SPACE_NOT_FOUND' });
    await service.get('not a space name!', 'k');
    const [get, fail, invalid] = exporter.getFinishedSpans();
    expect([get!.name, attr(get!, 'memspace.operation'), attr(get!, 'memspace.space'), attr(get!, 'memspace.outcome')]).toEqual(['svc.get', 'svc.get', 'alpha', 'ok']);
    expect(JSON.stringify(get!.attributes)).not.toContain('msk_secret');
    expect(attr(fail!, 'memspace.outcome')).toBe('SPACE_NOT_FOUND');
    expect(attr(invalid!, 'memspace.space')).toBeUndefined();
    expect(exporter.getFinishedSpans()).toHaveLength(3);
    expect([spaceName('_system'), spaceName('..'), spaceName(42)]).toEqual(['_system', undefined, undefined]);
  });

  it('keeps the span of an async generator open over its iteration, and ends a stopped one as cancelled', async () => {
    const { tracer, exporter } = memoryTracer();
    const service = traced(tracer, new Service(), 'svc', { lines: 0 });
    const all: string[] = [];
    for await (const line of service.lines('alpha', 3)) all.push(line);
    expect(all).toEqual(['alpha-0', 'alpha-1', 'alpha-2']);
    for await (const line of service.lines('alpha', 3)) if (line === 'alpha-0') break;
    const [done, stopped] = exporter.getFinishedSpans();
    expect(attr(done!, 'memspace.outcome')).toBe('ok');
    expect(attr(stopped!, 'memspace.outcome')).toBe('cancelled');
    expect(isError(stopped!)).toBe(false);
  });

  it('returns the object itself when tracing is off', () => {
    const service = new Service();
    expect(traced(NO_TRACER, service, 'svc', { get: 0 })).toBe(service);
  });
});
