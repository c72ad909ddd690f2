import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { DestinationStream, LoggerOptions } from 'pino';
import { definedOnly } from '../core/defined.js';
import { uuidv7 } from '../core/ids.js';
import type { Memspace } from '../memspace.js';
import { installAuth } from './auth.js';
import { docsPage } from './docs-page.js';
import { installConsole } from './console.js';
import { answerClientError, answerFrameworkError, installErrorHandling, installJsonParser, MAX_PARAM_LENGTH } from './http-errors.js';
import { installMetrics, type MetricsOptions } from './metrics.js';
import { installTracing } from './tracing.js';
import { openApiDocument, RouteTable } from './route-table.js';
import { eventRoutes, OpenStreams } from './routes/event-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { keyRoutes } from './routes/key-routes.js';
import { auditRoutes } from './routes/audit-routes.js';
import { memoryRoutes } from './routes/memory-routes.js';
import { relationRoutes } from './routes/relation-routes.js';
import { searchRoutes } from './routes/search-routes.js';
import { transferRoutes } from './routes/transfer-routes.js';
import { shareRoutes } from './routes/share-routes.js';
import { federationRoutes } from './routes/federation-routes.js';
import { spaceRoutes } from './routes/space-routes.js';
import { projectRoutes } from './routes/project-routes.js';
import { contextRoutes } from './routes/context-routes.js';
import { lifecycleRoutes } from './routes/lifecycle-routes.js';
import { feedbackRoutes } from './routes/feedback-routes.js';
import { consolidationRoutes } from './routes/consolidation-routes.js';
import { jobRoutes } from './routes/job-routes.js';
import { routeRoutes } from './routes/route-routes.js';
import { operatorRoutes } from './routes/operator-routes.js';
import { SPACE_HEADER } from '../core/space-name.js';
import { McpSessions, mcpOriginCheck, mcpRoutes } from '../mcp/http-endpoint.js';
import { mem0Api } from '../compat/mem0/routes.js';

/** What the HTTP app is built from. */
export interface AppDeps {
  memspace: Memspace;
  /** pino options, with the stream the lines go to (server/log-format.ts), or false for no logs (tests). @default false */
  logger?: (LoggerOptions & { stream?: DestinationStream }) | false;
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
  /** The web console at `/console` (server/console.ts). @default true */
  console?: boolean;
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
    // One line per request (installRequestLog), instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // What is refused before routing is answered in the one error shape too.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  installErrorHandling(app, (error, request) => deps.memspace.guard.explain(error, request.principal));
  // First of the request hooks: a request's span holds its authentication and everything after.
  installTracing(app, deps.memspace.tracer);
  // Before authentication, so a foreign web page is refused at /mcp whatever key it holds.
  app.addHook('onRequest', mcpOriginCheck(deps.memspace.config.mcpAllowedOrigins));
  installAuth(app, { keys: deps.auth === false ? undefined : deps.memspace.keys, ...definedOnly({ rateLimit: deps.keyRateLimit, now: deps.now }) });
  // JSON only: without this, Fastify would hand plain text to handlers.
  app.removeContentTypeParser('text/plain');
  // An empty JSON body (what `curl -X POST -H 'content-type: application/json'` sends) is no body.
  installJsonParser(app);

  // Imports stream: the body is handed over unread, however large.
  app.addContentTypeParser('application/x-ndjson', (_request, payload, done) => done(null, payload));

  installRequestLog(app);
  installMetrics(app, deps.memspace, deps.metrics ?? { perSpace: deps.memspace.config.metricsPerSpace, spaceCap: deps.memspace.config.metricsSpaceCap });

  const tables = await registerRoutes(app, deps);
  const document = openApiDocument({ title: 'memspace', version: VERSION }, tables);
  app.get('/openapi.json', async () => document);
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(docsPage(document)));
  if (deps.console !== false) installConsole(app);
  return app;
}

/**
 * Registers every route: memspace's own API under `/v1`, MCP at `/mcp`, and mem0's API in a
 * scope of its own; returns their tables, which the OpenAPI document describes.
 */
async function registerRoutes(app: FastifyInstance, deps: AppDeps): Promise<RouteTable[]> {
  const streams = new OpenStreams();
  // A graceful shutdown waits for requests in flight; change streams and MCP sessions never end by themselves.
  app.addHook('preClose', async () => streams.closeAll());
  const ms = deps.memspace;
  const api = new RouteTable(ms.guard).add(
    ...healthRoutes(ms),
    ...spaceRoutes(ms),
    ...projectRoutes(ms),
    ...memoryRoutes(ms),
    ...relationRoutes(ms),
    ...searchRoutes(ms),
    ...contextRoutes(ms),
    ...transferRoutes(ms),
    ...lifecycleRoutes(ms),
    ...consolidationRoutes(ms),
    ...jobRoutes(ms),
    ...feedbackRoutes(ms),
    ...routeRoutes(ms),
    ...auditRoutes(ms),
    ...shareRoutes(ms),
    ...federationRoutes(ms),
    ...keyRoutes(ms.keys),
    ...operatorRoutes(ms),
    ...eventRoutes(ms, streams, deps.eventPollMs === undefined ? {} : { pollMs: deps.eventPollMs }),
  );
  api.register(app);

  // MCP over Streamable HTTP at /mcp; the auth hook above has already identified the key.
  const sessions = new McpSessions(ms, {
    idleMs: ms.config.mcpIdleTimeoutMs,
    sessionsPerKey: ms.config.mcpSessionsPerKey,
    onInternalError: (error, tool, space) => app.log.error({ err: error, tool, space }, 'MCP tool failed'),
  });
  app.addHook('preClose', async () => sessions.closeAll());
  const mcp = new RouteTable(ms.guard, '').add(...mcpRoutes(sessions));
  mcp.register(app);

  // mem0's REST API (trailing-slash paths, so no clash with ours), for the `mem0ai` MemoryClient,
  // in a scope of its own: its clients need a more lenient JSON parser and a `detail` in errors.
  const mem0 = mem0Api({ memspace: ms, ...(deps.now !== undefined && { now: deps.now }) });
  const mem0Table = new RouteTable(ms.guard, '').add(...mem0.routes);
  await app.register(async (scope) => {
    mem0.prepare(scope);
    mem0Table.register(scope);
  });

  return [api, mcp, mem0Table];
}

/** The `x-request-id` of every answer, and one log line per request. */
function installRequestLog(app: FastifyInstance): void {
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
}
