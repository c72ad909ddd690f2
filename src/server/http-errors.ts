import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HTTP_STATUS, MemspaceError, toMemspaceError } from '../core/errors.js';
import type { Principal } from '../engine/access-guard.js';

/**
 * Longest path parameter the router accepts, in characters as sent. The longest name a path
 * carries, a user id of 256 characters in a mem0 route, is at most 2,304 percent-encoded; the
 * router's own default (100) would make a memory with a 128-character id unreachable by path.
 */
export const MAX_PARAM_LENGTH = 4096;

/**
 * Translates Fastify's own failures (bad JSON, wrong content type, body too large) into the
 * error codes (docs/http.md, "Errors"); anything unknown becomes INTERNAL with its message hidden.
 */
function fromFastify(error: FastifyError, bodyLimit: number | undefined, request: FastifyRequest): MemspaceError {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return bodyTooLarge(bodyLimit, request.headers['content-length']);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return notJson();
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new MemspaceError('VALIDATION_FAILED', 'the body is not valid JSON', { issues: [{ path: 'body', message: 'not JSON' }] });
    default:
      if (error instanceof SyntaxError || error.statusCode === 400) {
        return new MemspaceError('VALIDATION_FAILED', 'the body is not valid JSON', { issues: [{ path: 'body', message: 'not JSON' }] });
      }
      return toMemspaceError(error);
  }
}

/**
 * `PAYLOAD_TOO_LARGE` for a body over the limit, in bytes, with the size the request declared
 * when it did (a chunked body is cut off at the limit, its size unknown).
 */
function bodyTooLarge(limit: number | undefined, declared: string | undefined): MemspaceError {
  const actual = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : undefined;
  const size = actual === undefined ? '' : ` (this one is ${actual} bytes)`;
  const hint = 'send less per request: batches in several parts, large documents as contexts or through import';
  return new MemspaceError('PAYLOAD_TOO_LARGE', `request body is larger than the limit of ${limit} bytes${size}; ${hint}`, {
    limit,
    ...(actual !== undefined && { actual }),
    unit: 'bytes',
  });
}

/** The answer to a route that needs a body and got none (an empty JSON body is none). */
export function bodyRequired(): MemspaceError {
  return new MemspaceError('VALIDATION_FAILED', 'a JSON body is required', { issues: [{ path: 'body', message: 'required' }] });
}

/**
 * Parses JSON bodies as Fastify does (prototype poisoning refused), except that an empty body,
 * or one of white space only, is no body: what `curl -X POST -H 'content-type: application/json'`
 * sends to a route that takes none. A route that needs a body refuses it ({@link bodyRequired}).
 */
export function installJsonParser(app: FastifyInstance): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).trim() === '') return done(null, undefined);
    return json(request, body as string, done);
  });
}

/** The answer to a body a JSON route cannot read: sent as another content type. */
export function notJson(): MemspaceError {
  return new MemspaceError('VALIDATION_FAILED', 'send the body as application/json', { issues: [{ path: 'content-type', message: 'expected application/json' }] });
}

/**
 * Installs the one error handler and the not-found handler: every failure is
 * `{error:{code,message,details?}}`. `explain` adds what to do next to an error the caller may
 * be told more of (the engine's "did you mean" for `SPACE_NOT_FOUND`, as its principal may see).
 */
export function installErrorHandling(app: FastifyInstance, explain?: (error: MemspaceError, request: FastifyRequest & { principal: Principal | null }) => Promise<unknown>): void {
  app.setErrorHandler(async (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    let e = error instanceof MemspaceError ? error : fromFastify(error, request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit, request);
    if (explain !== undefined && e.code === 'SPACE_NOT_FOUND' && request.principal) e = toMemspaceError(await explain(e, request));
    const status = HTTP_STATUS[e.code];
    if (status >= 500) {
      request.log.error({ err: e.cause ?? error, code: e.code }, 'request failed');
      // A 5xx hides its message; the request id lets an operator find the log line.
      return reply.status(status).send({ error: { code: e.code, message: e.code === 'INTERNAL' ? 'internal error' : e.message, details: { requestId: request.id } } });
    }
    return reply.status(status).send(e.toJSON());
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(new MemspaceError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`).toJSON());
  });
}

/**
 * Answers what the router refuses before any route or hook runs (Fastify's `frameworkErrors`):
 * a path that is not valid percent-encoding, or a parameter over {@link MAX_PARAM_LENGTH}.
 */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  const message = tooLong ? `a path parameter is longer than ${MAX_PARAM_LENGTH} characters` : 'the path is not valid percent-encoding';
  reply.status(400).send(new MemspaceError('VALIDATION_FAILED', message, { issues: [{ path: 'path', message: tooLong ? 'too long' : 'not valid percent-encoding' }] }).toJSON());
}

/**
 * Answers a request Node's HTTP parser refused before Fastify saw it (Fastify's
 * `clientErrorHandler`): a control character in the target or a header, headers over Node's
 * limit, a request that did not arrive in time. The connection's framing is lost, so the answer
 * closes it.
 */
export function answerClientError(error: Error & { code?: string; reason?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const e =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new MemspaceError('PAYLOAD_TOO_LARGE', `the request headers are larger than ${maxHeaderSize} bytes`, { limit: maxHeaderSize, unit: 'bytes' })
      : new MemspaceError('VALIDATION_FAILED', 'the request is not valid HTTP', {
          issues: [{ path: 'request', message: error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'did not arrive in time' : (error.reason ?? 'malformed') }],
        });
  const status = HTTP_STATUS[e.code];
  const body = JSON.stringify(e.toJSON());
  if (!socket.writable) return void socket.destroy();
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
