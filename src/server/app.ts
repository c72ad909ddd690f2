import Fastify, { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { MemspaceError } from '../core/errors.js';
import type { LoggerOptions } from 'pino';
import { uuidv7 } from '../core/ids.js';
import type { Memspace } from '../memspace.js';
import { installAuth } from './auth.js';
import { docsPage } from './docs-page.js';
import { installErrorHandling } from './http-errors.js';
import { installMetrics, type MetricsOptions } from './metrics.js';
import { RouteTable } from './route-table.js';
import { eventRoutes, OpenStreams } from './routes/event-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { keyRoutes } from './routes/key-routes.js';
import { auditRoutes } from './routes/audit-routes.js';
import { callContext } from './routes/memory-routes.js';
import { memoryRoutes } from './routes/memory-routes.js';
import { shareRoutes } from './routes/share-routes.js';
import { spaceRoutes } from './routes/space-routes.js';
import { contextRoutes } from './routes/context-routes.js';
import { lifecycleRoutes } from './routes/lifecycle-routes.js';
import { SPACE_HEADER } from './space-resolution.js';
import { mcpRoutes } from '../mcp/http-endpoint.js';
import { registerMem0Api } from '../compat/mem0/routes.js';

/** What the HTTP app is built from. */
export interface AppDeps {
  memspace: Memspace;
  /** pino options, or false for no logs (tests). @default false */
  logger?: LoggerOptions | false;
  /** Largest JSON body in bytes. @default 4 MiB */
  bodyLimit?: number;
  /** Longest wait of an idle change stream between looks at its feed when no wake-up came first, in ms. @default 1000 */
  eventPollMs?: number;
  /** Require API keys. Off only for a server on a loopback address. @default true */
  auth?: boolean;
  /** Requests per second per key, 0 for no limit. @default 0 */
  keyRateLimit?: number;
  /** Clock, in epoch ms (rate limits). @default Date.now */
  now?: () => number;
  /** Prometheus metrics at `/metrics`. @default per-space counts as `metricsPerSpace` and `metricsSpaceCap` of the memspace's config say */
  metrics?: MetricsOptions;
}

/** Package version, shown in the OpenAPI document. */
const VERSION = '0.1.0';

/**
 * The memspace HTTP API as a Fastify instance. It never listens: `serve` does, and tests use
 * `app.inject`. JSON in, JSON out, except export and import, which speak JSON Lines.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: deps.bodyLimit ?? 4 * 1024 * 1024,
    genReqId: () => uuidv7(),
    requestIdHeader: 'x-request-id',
    // One line per request, written below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
  });
  installErrorHandling(app);
  installAuth(app, {
    keys: deps.auth === false ? undefined : deps.memspace.keys,
    ...(deps.keyRateLimit !== undefined && { rateLimit: deps.keyRateLimit }),
    ...(deps.now !== undefined && { now: deps.now }),
  });
  // JSON only: without this, Fastify would hand plain text to handlers.
  app.removeContentTypeParser('text/plain');

  // Imports stream: the body is handed over unread, however large.
  app.addContentTypeParser('application/x-ndjson', (_request, payload, done) => done(null, payload));

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const params = request.params as Record<string, unknown> | undefined;
    const header = request.headers[SPACE_HEADER];
    // Never bodies, contents or keys: only what locates the request.
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unknown',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
        space: typeof params?.['space'] === 'string' ? params['space'] : typeof header === 'string' ? header : undefined,
      },
      'request',
    );
  });

  installMetrics(app, deps.memspace, deps.metrics ?? { perSpace: deps.memspace.config.metricsPerSpace, spaceCap: deps.memspace.config.metricsSpaceCap });

  const streams = new OpenStreams();
  // A graceful shutdown waits for requests in flight; change streams never end by themselves.
  app.addHook('preClose', async () => streams.closeAll());
  const routes = new RouteTable().add(
    ...healthRoutes(deps.memspace),
    ...spaceRoutes(deps.memspace),
    ...memoryRoutes(deps.memspace),
    ...contextRoutes(deps.memspace),
    ...lifecycleRoutes(deps.memspace),
    ...auditRoutes(deps.memspace),
    ...shareRoutes(deps.memspace),
    ...keyRoutes(deps.memspace.keys),
    ...eventRoutes(deps.memspace, streams, deps.eventPollMs === undefined ? {} : { pollMs: deps.eventPollMs }),
  );
  routes.register(app, (request, space, error) => recordDenial(deps.memspace, request, space, error));
  // MCP over Streamable HTTP at /mcp; the auth hook above has already identified the key.
  mcpRoutes(app, deps.memspace, { principalOf: (request) => request.principal });
  // mem0's REST API (trailing-slash paths, so no clash with ours), for the `mem0ai` MemoryClient.
  await registerMem0Api(app, {
    memspace: deps.memspace,
    ...(deps.now !== undefined && { now: deps.now }),
    onDenied: (request, space, error) => recordDenial(deps.memspace, request, space, error),
  });
  const document = routes.openapi({ title: 'memspace', version: VERSION });
  app.get('/openapi.json', async () => document);
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(docsPage(document)));
  return app;
}

/**
 * Records a denied request in the audit trail of the space it named, when that space exists:
 * the owner of a space learns who tried to reach it, the caller learns nothing more.
 */
async function recordDenial(ms: Memspace, request: FastifyRequest, space: string, error: MemspaceError): Promise<void> {
  if ((await ms.registry.backend.spaces.get(space)) === undefined) return;
  await ms.service.recordAudit(
    space,
    { action: 'request.denied', ids: [], details: { method: request.method, route: request.routeOptions.url ?? request.url.split('?')[0], code: error.code } },
    callContext(request),
  );
}
