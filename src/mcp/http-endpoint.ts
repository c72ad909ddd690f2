import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { MemspaceError } from '../core/errors.js';
import { DEFAULT_SPACE, SPACE_HEADER, spaceKey, validateSpaceName } from '../core/space-name.js';
import type { CallContext, Principal } from '../engine/access-guard.js';
import type { Memspace } from '../memspace.js';
import { createMcpServer } from './mcp-server.js';

/** Path of the Streamable HTTP endpoint. */
export const MCP_PATH = '/mcp';
/** Header carrying a session's id (MCP Streamable HTTP). */
const SESSION_HEADER = 'mcp-session-id';

/** Options of the endpoint. */
export interface McpHttpOptions {
  /** Most sessions open at once; past it (after closing idle ones) a new one is `QUOTA_EXCEEDED`. @default 10000 */
  maxSessions?: number;
  /** A session without requests for this long is closed when room is needed, in ms. @default 1800000 (30 min) */
  idleMs?: number;
  /** Clock, in epoch ms. @default Date.now */
  now?: () => number;
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
  handler(ctx: McpRequest): Promise<unknown>;
}

/** One session: bound for its whole life to the key and the space it was opened with. */
interface Session {
  readonly transport: StreamableHTTPServerTransport;
  readonly server: McpServer;
  readonly keyId: string;
  readonly space: string;
  lastSeen: number;
}

/**
 * MCP over Streamable HTTP at `/mcp` on the HTTP API, authenticated by the same API keys
 * (the server's `onRequest` hook runs first, so an unknown key never reaches this code).
 *
 * Stateful: `initialize` opens a session in one space, chosen as on every other route without a
 * path segment (the `X-Memory-Space` header, else the key's default space, else `default`); an
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
  const route = (method: McpRoute['method'], summary: string): McpRoute => ({ method, path: MCP_PATH, scoped: false, tag: 'mcp', summary, handler });
  return [
    route('POST', 'MCP Streamable HTTP: a JSON-RPC message (initialize opens a session in one space; later messages carry Mcp-Session-Id)'),
    route('GET', "MCP Streamable HTTP: the session's server-to-client stream"),
    route('DELETE', 'MCP Streamable HTTP: end the session'),
  ];
}

/** The open sessions of one server; {@link McpSessions.closeAll} ends them at shutdown, where streams held open by clients would otherwise keep it waiting. */
export class McpSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly maxSessions: number;
  private readonly idleMs: number;
  private readonly now: () => number;

  constructor(
    private readonly ms: Memspace,
    private readonly options: McpHttpOptions = {},
  ) {
    this.maxSessions = options.maxSessions ?? 10_000;
    this.idleMs = options.idleMs ?? 30 * 60_000;
    this.now = options.now ?? Date.now;
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
    session.lastSeen = this.now();
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
    await Promise.all([...this.sessions.values()].map((s) => s.server.close()));
    this.sessions.clear();
  }

  private async open(call: McpRequest['call'], space: string): Promise<Session> {
    const principal = call.principal;
    // Reading the space is the session's first call, and what its refusal records names it.
    const info = await this.ms.spaces.get(space, { ...call, via: { ...call.via, tool: 'initialize' } });
    await this.makeRoom();
    // The session's calls are not the initialize request: they carry no request id of their own.
    const { requestId: _initialize, ...sessionCall } = call;
    const server = createMcpServer({
      engine: this.ms,
      space: info.name,
      semantic: info.embedder !== 'none',
      call: sessionCall,
      onInternalError: (tool, error) => this.options.onInternalError?.(error, tool, info.name),
    });
    const session: Session = {
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => void this.sessions.set(sid, session),
        onsessionclosed: (sid) => void this.sessions.delete(sid),
      }),
      server,
      keyId: principal.keyId,
      space: info.name,
      lastSeen: this.now(),
    };
    session.transport.onclose = () => {
      if (session.transport.sessionId !== undefined) this.sessions.delete(session.transport.sessionId);
    };
    await server.connect(session.transport);
    return session;
  }

  /** Closes sessions idle past `idleMs`; `QUOTA_EXCEEDED` when the open ones still fill every place. */
  private async makeRoom(): Promise<void> {
    if (this.sessions.size < this.maxSessions) return;
    const cutoff = this.now() - this.idleMs;
    const idle = [...this.sessions.entries()].filter(([, s]) => s.lastSeen < cutoff);
    for (const [sid, s] of idle) {
      this.sessions.delete(sid);
      await s.server.close();
    }
    if (this.sessions.size >= this.maxSessions) {
      throw new MemspaceError('QUOTA_EXCEEDED', `the server holds ${this.maxSessions} MCP sessions, its most`, { quota: 'mcpSessions', limit: this.maxSessions });
    }
  }
}

/** The space the `X-Memory-Space` header names, validated (an invalid name never falls back). */
function requestedSpace(request: FastifyRequest): string | undefined {
  const value = request.headers[SPACE_HEADER];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new MemspaceError('SPACE_CONFLICT', 'the header names more than one space', { header: value });
  return validateSpaceName(value);
}

function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
