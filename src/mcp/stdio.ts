import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { isMemspaceError } from '../core/errors.js';
import { DEFAULT_SPACE, validateSpaceName } from '../core/space-name.js';
import type { SpaceInfo } from '../core/views.js';
import { LOCAL_PRINCIPAL, type CallContext } from '../engine/access-guard.js';
import type { Memspace } from '../memspace.js';
import { createMcpServer } from './mcp-server.js';
import { seesSeveralSpaces } from './route-tools.js';
import { InFlight } from './tool-spec.js';

/** A running stdio MCP server. */
export interface StdioMcpServer {
  /** The space it serves, as the catalogue spells it. */
  readonly space: string;
  /** True when the space was missing and this server created it ({@link StdioOptions.create}). */
  readonly created: boolean;
  /** Resolves when the connection ends: stdin closed, or {@link StdioMcpServer.close}. */
  readonly closed: Promise<void>;
  /** Ends the connection. */
  close(): Promise<void>;
}

/** Where the stdio server reads, writes and reports. */
export interface StdioOptions {
  /** Space served. @default "default" */
  space?: string | undefined;
  /**
   * Create the space, with the defaults of new spaces, when it does not exist: the first use of
   * a space from an MCP client needs no step before. Otherwise a missing space is `SPACE_NOT_FOUND`.
   * @default false
   */
  create?: boolean;
  stdin: Readable;
  /** Carries nothing but protocol messages. */
  stdout: Writable;
  /** Diagnostics (unexpected failures), never on stdout. */
  log?: (line: string) => void;
}

/**
 * Serves one space of the data directory to the MCP client at the other end of stdin and
 * stdout (the client started this process). Whoever runs the process holds the data directory,
 * so the caller is the local principal; the space is created when missing if `create` says so,
 * else it must exist (`SPACE_NOT_FOUND` before anything is served, so a misconfigured client
 * fails at once and visibly).
 */
export async function serveStdio(ms: Memspace, options: StdioOptions): Promise<StdioMcpServer> {
  const call = { principal: LOCAL_PRINCIPAL, actor: 'mcp' };
  const inFlight = new InFlight();
  const { space, created } = await spaceToServe(ms, validateSpaceName(options.space ?? DEFAULT_SPACE), options.create === true, call);
  const server = createMcpServer({
    engine: ms,
    space: space.name,
    semantic: space.embedder !== 'none',
    seesSeveralSpaces: await seesSeveralSpaces(ms, call),
    call,
    inFlight,
    onInternalError: (tool, error) => options.log?.(`mcp: ${tool} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`),
  });
  const transport = new StdioServerTransport(options.stdin, options.stdout);
  const closed = new Promise<void>((resolve) => (server.server.onclose = resolve));
  // The SDK's transport does not notice the end of its input; without this the process would
  // outlive the client that started it.
  await server.connect(transport);
  // Calls read before the end are answered first: a client may write its requests and close
  // its side at once (`printf ... | memspace mcp`). A turn of the event loop before waiting lets
  // the last message reach its handler, and one after lets the last answer be written.
  const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const end = (): void => void nextTurn()
    .then(() => inFlight.idle())
    .then(nextTurn)
    .then(() => server.close());
  options.stdin.once('end', end);
  options.stdin.once('close', end);
  if (options.stdin.readableEnded || options.stdin.destroyed) end();
  return {
    space: space.name,
    created,
    closed,
    async close() {
      await server.close();
    },
  };
}

/** The space `name`, created first when missing and `create` is set; `created` says whether this call made it. */
async function spaceToServe(ms: Memspace, name: string, create: boolean, call: CallContext): Promise<{ space: SpaceInfo; created: boolean }> {
  try {
    return { space: await ms.spaces.get(name, call), created: false };
  } catch (error) {
    if (!create || !isMemspaceError(error, 'SPACE_NOT_FOUND')) throw error;
  }
  let created = true;
  try {
    await ms.spaces.create({ name }, call);
  } catch (error) {
    // Another process (a second MCP client starting at the same moment) created it first: serve that one.
    if (!isMemspaceError(error, 'CONFLICT')) throw error;
    created = false;
  }
  return { space: await ms.spaces.get(name, call), created };
}
