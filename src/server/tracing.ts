import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorCode } from '../core/errors.js';
import { type ActiveSpan, type SpanOutcome, type Tracer } from '../core/ports/tracer.js';

const CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/**
 * One span per HTTP request (docs/tracing.md), parent of the engine's and the stores' spans:
 * `http.request.method`, `http.route` (the route's template, never the path, which holds names
 * and ids), `http.response.status_code`, and `memspace.outcome`, the error code of a failed
 * answer. The space is the one the request reaches (the first span inside it that names one).
 * Installed before authentication, so the key's look-up is inside it; does nothing when
 * tracing is off.
 */
export function installTracing(app: FastifyInstance, tracer: Tracer | undefined): void {
  if (tracer?.enabled !== true) return;
  const spans = new WeakMap<FastifyRequest, ActiveSpan>();
  const codes = new WeakMap<FastifyRequest, ErrorCode>();
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    const span = tracer.start({
      name: route === undefined ? request.method : `${request.method} ${route}`,
      operation: 'http.request',
      kind: 'server',
      attributes: { 'http.request.method': request.method, 'http.route': route },
      remoteParent: { traceparent: header(request, 'traceparent'), tracestate: header(request, 'tracestate') },
    });
    spans.set(request, span);
    // The hooks after this one (authentication) run inside the span.
    span.run(done);
  });
  // Reading the body leaves the span's context (the socket's events carry their own): the handler re-enters it.
  app.addHook('preHandler', (request, _reply, done) => {
    const span = spans.get(request);
    if (span === undefined) done();
    else span.run(done);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    // What was answered, whichever way (a thrown error, the not-found handler, a compatibility API's own shape).
    if (reply.statusCode >= 400) codes.set(request, codeOfBody(payload, reply.statusCode));
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => finish(request, reply, codes.get(request)));
  app.addHook('onRequestAbort', async (request) => finish(request, undefined, 'cancelled'));

  function finish(request: FastifyRequest, reply: FastifyReply | undefined, outcome: SpanOutcome | undefined): void {
    const span = spans.get(request);
    if (span === undefined) return;
    spans.delete(request);
    if (reply !== undefined) span.set({ 'http.response.status_code': reply.statusCode });
    span.end(outcome ?? (reply !== undefined && reply.statusCode >= 400 ? codeOfStatus(reply.statusCode) : 'ok'));
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** The `error.code` of an error body (`{"error":{"code":...}}`), when it is one of ours. */
function codeOfBody(payload: unknown, status: number): ErrorCode {
  const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8', 0, 512) : '';
  const code = /"code"\s*:\s*"([A-Z_]+)"/.exec(text)?.[1];
  return code !== undefined && CODES.has(code) ? (code as ErrorCode) : codeOfStatus(status);
}

/** The code an error status stands for when nothing better is known. */
function codeOfStatus(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 429) return 'QUOTA_EXCEEDED';
  if (status === 503) return 'BACKEND_UNAVAILABLE';
  return status >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED';
}
