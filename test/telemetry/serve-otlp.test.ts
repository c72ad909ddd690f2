import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killServeProcesses, startServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/temp-memspace.js';

/**
 * Tracing end to end: off by default (no span, nothing of OpenTelemetry loaded), and a
 * `memspace serve` child told of a collector by `OTEL_EXPORTER_OTLP_ENDPOINT` sends it its spans
 * over OTLP/HTTP, at the latest when it shuts down. The collector is a plain HTTP server here.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean };
}
interface OtlpSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: OtlpAttribute[];
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

let collector: Server;
let collectorUrl: string;
const received: { path: string; contentType: string | undefined; body: OtlpExport }[] = [];
const dirs: string[] = [];

/** The environment without any OTEL_* variable of the machine running the tests. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')));
  return { ...env, ...extra };
}

const value = (attributes: OtlpAttribute[], key: string): string | undefined => {
  const found = attributes.find((a) => a.key === key)?.value;
  return found === undefined ? undefined : String(found.stringValue ?? found.intValue ?? found.boolValue);
};

const spansReceived = (): { service: string | undefined; span: OtlpSpan }[] =>
  received.flatMap(({ body }) =>
    body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({ service: value(rs.resource.attributes, 'service.name'), span })))),
  );

beforeAll(async () => {
  collector = createServer((request, response) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', contentType: request.headers['content-type'], body: JSON.parse(text) as OtlpExport });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const address = collector.address();
  collectorUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
});
afterEach(() => killServeProcesses());
afterAll(async () => {
  await new Promise<void>((resolve) => collector?.close(() => resolve()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs opened-modules.ts in a child with `env`; its report. */
async function openedModules(env: NodeJS.ProcessEnv): Promise<{ enabled: boolean; packages: string[]; globals: number }> {
  const dir = tempDir();
  dirs.push(dir);
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/telemetry/opened-modules.ts', dir], { cwd: ROOT, env });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { enabled: boolean; packages: string[]; globals: number };
}

describe('tracing configuration', () => {
  it('is off by default: no span is sent and nothing of OpenTelemetry is loaded', async () => {
    received.length = 0;
    expect(await openedModules(cleanEnv({ OTEL_SERVICE_NAME: 'unused', OTEL_TRACES_SAMPLER: 'always_on' }))).toEqual({ enabled: false, packages: [], globals: 0 });
    // OTEL_SDK_DISABLED=true wins over an endpoint.
    expect(await openedModules(cleanEnv({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl }))).toEqual({ enabled: false, packages: [], globals: 0 });
    expect(received).toEqual([]);
    // The same run with an endpoint loads the SDK and exports the engine's spans when memspace closes.
    const on = await openedModules(cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl }));
    expect(on.enabled).toBe(true);
    expect(on.packages).toEqual(expect.arrayContaining(['@opentelemetry/api', '@opentelemetry/sdk-trace-base', '@opentelemetry/exporter-trace-otlp-http']));
    expect(spansReceived().map(({ span }) => value(span.attributes, 'memspace.operation'))).toEqual(expect.arrayContaining(['spaces.list', 'health.health']));
  });

  it('memspace serve sends its spans to the OTLP endpoint, flushed when it shuts down', async () => {
    received.length = 0;
    const dataDir = tempDir();
    dirs.push(dataDir);
    const server = await startServeProcess(
      dataDir,
      ['--port', '0', '--grpc-port', '0'],
      cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl, OTEL_SERVICE_NAME: 'memspace-e2e', MEMSPACE_EMBED_POOL_SIZE: '1' }),
    );
    const auth = { authorization: `Bearer ${server.rootKey!}`, 'content-type': 'application/json' };
    const created = await fetch(`${server.url}/v1/spaces`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'traced' }) });
    expect(created.status).toBe(201);
    const listed = await fetch(`${server.url}/v1/spaces/traced/memories`, { headers: auth });
    expect(listed.status).toBe(200);
    // The batch processor would wait 5 s; SIGTERM's graceful close sends what it holds at once.
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    expect(received.length).toBeGreaterThan(0);
    expect(received.every((r) => r.path === '/v1/traces' && r.contentType === 'application/json')).toBe(true);
    const spans = spansReceived();
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['memspace-e2e']));
    const request = spans.find(({ span }) => value(span.attributes, 'http.route') === '/v1/spaces/:space/memories')!.span;
    expect(value(request.attributes, 'memspace.space')).toBe('traced');
    expect(value(request.attributes, 'http.response.status_code')).toBe('200');
    expect(value(request.attributes, 'memspace.outcome')).toBe('ok');
    const list = spans.find(({ span }) => value(span.attributes, 'memspace.operation') === 'memories.list')!.span;
    expect([list.traceId, list.parentSpanId, value(list.attributes, 'memspace.space')]).toEqual([request.traceId, request.spanId, 'traced']);
    expect(JSON.stringify(received)).not.toContain(server.rootKey!);
  });
});
