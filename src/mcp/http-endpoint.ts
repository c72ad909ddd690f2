import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { MemspaceError, type ErrorCode } from '../core/errors.js';
import { isAllowedOrigin } from '../core/origins.js';
import { DEFAULT_SPACE, spaceKey, spaceOfHeaders } from '../core/space-name.js';
import type { CallContext, Principal } from '../engine/access-guard.js';
import type { Memspace } from '../memspace.js';
import { createMcpServer } from './mcp-server.js';
import { seesSeveralSpaces } from './route-tools.js';

/** Path of the Streamable HTTP endpoint. */
export const MCP_PATH = '/mcp';
/** Header carrying a session's id (MCP Streamable HTTP). */
const SESSION_HEADER = 'mcp-session-id';

/** Options of the endpoint. */
export interface McpHttpOptions {
  /** A session without a request for this long is closed, in ms (config `mcpIdleTimeoutMs`). */
  idleMs: number;
  /** Most sessions one key holds open at once; past it a new one is `QUOTA_EXCEEDED` (config `mcpSessionsPerKey`). */
  sessionsPerKey: number;
  /** Most sessions open at once over all keys; past it a new one is `QUOTA_EXCEEDED`. @default 10000 */
  maxSessions?: number;
  /** Hears of each unexpected failure of a tool (`INTERNAL`), whose message the caller does not see. */
  onInternalError?: (error: unknown, tool: string, space: string) => void;
}

/** What the endpoint's handler gets from the HTTP route that serves it. */
export interface McpRequest {
  request: FastifyRequest;
  reply: FastifyReply;
  /** The authenticated caller, as the engine takes it. */
  call: CallContext & { principal: Principal };
}

/** One route of the endpoint, in the shape of the server's route table (which documents it). */
export interface McpRoute {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  scoped: false;
  tag: string;
  summary: string;
  /** Error codes beyond those of any keyed route (the space a session opens in, an unknown session); documents them. */
  errors: readonly ErrorCode[];
  /** What OpenAPI cannot derive: the JSON-RPC body, the session header, the statuses and streams the MCP SDK answers with. */
  openapi: Record<string, unknown>;
  handler(ctx: McpRequest): Promise<unknown>;
}

/** The session header, as a documented parameter. */
const SESSION_PARAMETER = { name: 'Mcp-Session-Id', in: 'header', required: false, schema: { type: 'string' }, description: 'the session, from the answer to initialize; required after it' };
/** The space header, as a documented parameter: read by initialize only. */
const SPACE_PARAMETER = { name: 'X-Memory-Space', in: 'header', required: false, schema: { type: 'string' }, description: "initialize: the session's space (else the key's default space, else `default`); later: must name the session's space if given" };
/** `X-Namespace`, the alias of `X-Memory-Space`, read alike. */
const NAMESPACE_PARAMETER = { ...SPACE_PARAMETER, name: 'X-Namespace', description: 'an alias of X-Memory-Space, read alike (the two naming different spaces is SPACE_CONFLICT)' };
/** A JSON-RPC 2.0 message (or a batch of them), as MCP's Streamable HTTP carries it. */
const JSON_RPC = {
  oneOf: [
    { $ref: '#/components/schemas/JsonRpcMessage' },
    { type: 'array', items: { $ref: '#/components/schemas/JsonRpcMessage' } },
  ],
};
/** What the MCP SDK answers a message with: JSON, or an SSE stream of JSON-RPC messages, as the client's Accept allows. */
const MCP_ANSWERS = {
  '200': {
    description: 'the JSON-RPC response (initialize: with the Mcp-Session-Id header)',
    content: { 'application/json': { schema: JSON_RPC }, 'text/event-stream': { schema: { type: 'string', description: 'SSE whose data are JSON-RPC messages' } } },
  },
  '202': { description: 'a notification or a response, accepted: no body' },
  '406': { description: 'the Accept header does not allow application/json and text/event-stream', content: { 'application/json': { schema: { $ref: '#/components/schemas/JsonRpcMessage' } } } },
};

/**
 * MCP over Streamable HTTP at `/mcp` on the HTTP API, authenticated by the same API keys
 * (the server's `onRequest` hooks run first: {@link mcpOriginCheck}, then authentication, so
 * neither a foreign web page nor an unknown or revoked key ever reaches this code).
 *
 * Stateful: `initialize` opens a session in one space, chosen as on every other route without a
 * path segment (the `X-Memory-Space` header or its alias `X-Namespace`, else the key's default space, else `default`); an
 * invalid name is `INVALID_SPACE` and a space the key cannot see is `SPACE_NOT_FOUND`, as if it
 * did not exist. Later requests carry `Mcp-Session-Id`. A session id presented with another
 * key is `NOT_FOUND` exactly like an unknown one: ids do not travel between keys, and a
 * caller learns nothing of other keys' sessions.
 */
export function mcpRoutes(sessions: McpSessions): McpRoute[] {
  const handler = async ({ request, reply, call }: McpRequest): Promise<unknown> => {
    await sessions.handle(request, reply, call);
    return reply;
  };
  const errors: ErrorCode[] = ['INVALID_SPACE', 'SPACE_CONFLICT', 'SPACE_NOT_FOUND', 'SPACE_ARCHIVED', 'NOT_FOUND'];
  const route = (method: McpRoute['method'], summary: string, openapi: Record<string, unknown>): McpRoute => ({
    method,
    path: MCP_PATH,
    scoped: false,
    tag: 'mcp',
    summary,
    errors,
    openapi: { parameters: [SESSION_PARAMETER, SPACE_PARAMETER, NAMESPACE_PARAMETER], ...openapi },
    handler,
  });
  return [
    route('POST', 'MCP Streamable HTTP: a JSON-RPC message (initialize opens a session in one space; later messages carry Mcp-Session-Id)', {
      requestBody: { required: true, content: { 'application/json': { schema: JSON_RPC } } },
      responses: MCP_ANSWERS,
    }),
    route('GET', "MCP Streamable HTTP: the session's server-to-client stream", {
      responses: { '200': { description: 'SSE stream of JSON-RPC messages', content: { 'text/event-stream': { schema: { type: 'string' } } } }, '406': MCP_ANSWERS['406'] },
    }),
    route('DELETE', 'MCP Streamable HTTP: end the session', { responses: { '200': { description: 'the session ended' } } }),
  ];
}

/**
 * The server's `onRequest` hook that refuses a request to `/mcp` whose `Origin` header is not
 * allowed ({@link isAllowedOrigin}) with `FORBIDDEN`, as the MCP specification asks against DNS
 * rebinding. It goes before authentication, so such a page is refused whatever key it holds,
 * and a server without authentication (loopback only) is protected too.
 */
export function mcpOriginCheck(allowed: readonly string[]): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    if (request.routeOptions.url !== MCP_PATH) return;
    const origin = request.headers.origin;
    if (!isAllowedOrigin(origin, allowed)) {
      throw new MemspaceError('FORBIDDEN', `web pages of ${origin} may not use ${MCP_PATH}: allow their origin with MEMSPACE_MCP_ALLOWED_ORIGINS`, { origin });
    }
  };
}

/** One session: bound for its whole life to the key and the space it was opened with. */
interface Session {
  readonly transport: StreamableHTTPServerTransport;
  readonly server: McpServer;
  readonly keyId: string;
  readonly space: string;
  /** Requests of the session being answered, its GET stream aside: a session is never idle while one is. */
  busy: number;
  /** Ends the session once it has been idle for `idleMs`; unset while a request is being answered. */
  idleTimer: NodeJS.Timeout | undefined;
  /** Stops listening for the revocation of the session's key. */
  readonly stopWatchingKey: () => void;
}

/**
 * The open sessions of one server. A session ends when its client sends DELETE, when it has had
 * no request for `idleMs`, when its key is revoked in this process, and at shutdown
 * ({@link McpSessions.closeAll}, where streams held open by clients would otherwise keep the
 * server waiting). Ending one frees its transport, server, timer and streams; its id then
 * answers `404 NOT_FOUND`, which tells an MCP client to initialize a new session.
 */
export class McpSessions {
  /** Sessions by id, once their initialize has succeeded. */
  private readonly sessions = new Map<string, Session>();
  /** Every session not yet ended, those whose initialize is still being answered included: what the limits count. */
  private readonly live = new Set<Session>();
  private readonly maxSessions: number;

  constructor(
    private readonly ms: Memspace,
    private readonly options: McpHttpOptions,
  ) {
    this.maxSessions = options.maxSessions ?? 10_000;
  }

  async handle(request: FastifyRequest, reply: FastifyReply, call: McpRequest['call']): Promise<void> {
    const principal = call.principal;
    const id = singleHeader(request, SESSION_HEADER);
    const named = requestedSpace(request);
    let session: Session;
    if (id !== undefined) {
      const found = this.sessions.get(id);
      if (found === undefined || found.keyId !== principal.keyId) {
        throw new MemspaceError('NOT_FOUND', 'no such MCP session (it ended, or belongs to another key): initialize a new one');
      }
      // A session's space is fixed; naming another one is a conflict, never a switch.
      if (named !== undefined && spaceKey(named) !== spaceKey(found.space)) {
        throw new MemspaceError('SPACE_CONFLICT', `this session works in space "${found.space}"`, { session: found.space, header: named });
      }
      session = found;
    } else if (request.method === 'POST' && isInitializeRequest(request.body)) {
      session = await this.open(call, named ?? principal.defaultSpace ?? DEFAULT_SPACE);
    } else {
      throw new MemspaceError('VALIDATION_FAILED', `send the ${SESSION_HEADER} header of a session, or initialize one`, {
        issues: [{ path: SESSION_HEADER, message: 'required after initialize' }],
      });
    }
    this.track(session, request.method, reply);
    // From here the SDK writes the response itself (JSON, or an SSE stream).
    reply.hijack();
    try {
      await session.transport.handleRequest(request.raw, reply.raw, request.body);
    } catch (error) {
      request.log.error({ err: error }, 'MCP request failed');
      if (!reply.raw.headersSent) reply.raw.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error' } }));
      else reply.raw.destroy();
    }
    // An initialize the transport refused opened nothing that anyone could use again.
    if (session.transport.sessionId === undefined) await session.server.close();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.live].map((s) => s.server.close()));
  }

  private async open(call: McpRequest['call'], space: string): Promise<Session> {
    const principal = call.principal;
    // Reading the space is the session's first call, and what its refusal records names it.
    const info = await this.ms.spaces.get(space, { ...call, via: { ...call.via, tool: 'initialize' } });
    const several = await seesSeveralSpaces(this.ms, call);
    // No await from this check until the session counts, so concurrent initializes cannot overshoot a limit.
    this.checkRoom(principal.keyId);
    // The session's calls are not the initialize request: they carry no request id of their own.
    const { requestId: _initialize, ...sessionCall } = call;
    const server = createMcpServer({
      engine: this.ms,
      space: info.name,
      semantic: info.embedder !== 'none',
      seesSeveralSpaces: several,
      call: sessionCall,
      onInternalError: (tool, error) => this.options.onInternalError?.(error, tool, info.name),
    });
    const session: Session = {
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => void this.sessions.set(sid, session),
      }),
      server,
      keyId: principal.keyId,
      space: info.name,
      busy: 0,
      idleTimer: undefined,
      // A revoked key ends its sessions at once, GET streams included; requests with it were already refused at authentication.
      stopWatchingKey: this.ms.keys.onRevoked(principal.keyId, () => void session.server.close()),
    };
    // Every way a session ends (DELETE, idleness, revocation, shutdown) closes its transport.
    session.transport.onclose = () => this.forget(session);
    this.live.add(session);
    await server.connect(session.transport);
    return session;
  }

  /** `QUOTA_EXCEEDED` when the key, or the whole server, already holds as many sessions as it may. */
  private checkRoom(keyId: string): void {
    const perKey = this.options.sessionsPerKey;
    if ([...this.live].filter((s) => s.keyId === keyId).length >= perKey) {
      throw new MemspaceError('QUOTA_EXCEEDED', `this key holds ${perKey} MCP sessions, its most: end one (DELETE ${MCP_PATH}) or let one idle out`, {
        quota: 'mcpSessionsPerKey',
        limit: perKey,
        unit: 'sessions',
      });
    }
    if (this.live.size >= this.maxSessions) {
      throw new MemspaceError('QUOTA_EXCEEDED', `the server holds ${this.maxSessions} MCP sessions, its most`, { quota: 'mcpSessions', limit: this.maxSessions, unit: 'sessions' });
    }
  }

  /**
   * Notes a request of `session`. The idle clock restarts at every request and stands still while
   * one is being answered, so a long tool call never loses its session. The GET stream a client
   * holds open is not activity: memspace sends nothing on it, and counting it would keep the
   * session of a client that only listens open forever.
   */
  private track(session: Session, method: string, reply: FastifyReply): void {
    if (method !== 'GET') {
      session.busy += 1;
      reply.raw.once('close', () => {
        session.busy -= 1;
        this.armIdleTimer(session);
      });
    }
    this.armIdleTimer(session);
  }

  private armIdleTimer(session: Session): void {
    clearTimeout(session.idleTimer);
    session.idleTimer = undefined;
    if (session.busy > 0 || !this.live.has(session)) return;
    session.idleTimer = setTimeout(() => void session.server.close(), this.options.idleMs);
    // An idle session is no reason for the process to stay up.
    session.idleTimer.unref();
  }

  /** What ending a session comes to, however it ends: nothing of it stays behind. */
  private forget(session: Session): void {
    clearTimeout(session.idleTimer);
    session.stopWatchingKey();
    this.live.delete(session);
    if (session.transport.sessionId !== undefined) this.sessions.delete(session.transport.sessionId);
  }
}

/** The space the `X-Memory-Space` header (or its alias `X-Namespace`) names, validated (an invalid name never falls back). */
function requestedSpace(request: FastifyRequest): string | undefined {
  return spaceOfHeaders((name) => request.headers[name]);
}

function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
