import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HTTP_STATUS, MemspaceError, toMemspaceError } from '../core/errors.js';

/**
 * Translates Fastify's own failures (bad JSON, wrong content type, body too large) into the
 * error codes (docs/http.md, "Errors"); anything unknown becomes INTERNAL with its message hidden.
 */
function fromFastify(error: FastifyError, bodyLimit: number | undefined): MemspaceError {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new MemspaceError('PAYLOAD_TOO_LARGE', `request body is larger than ${bodyLimit} bytes`, { limit: bodyLimit, unit: 'bytes' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new MemspaceError('VALIDATION_FAILED', 'send the body as application/json', {
        issues: [{ path: 'content-type', message: 'expected application/json' }],
      });
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

/** Installs the one error handler and the not-found handler: every failure is `{error:{code,message,details?}}`. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const e = error instanceof MemspaceError ? error : fromFastify(error, request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit);
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
