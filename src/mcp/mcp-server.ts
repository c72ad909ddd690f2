import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { MemspaceError, toMemspaceError } from '../core/errors.js';
import { parseWith } from '../core/validate.js';
import { GRAPH_TOOLS } from './graph-tools.js';
import { MEMORY_TOOLS } from './memory-tools.js';
import { ROUTE_TOOLS } from './route-tools.js';
import { explainedTo, toolError, toolResult } from './tool-results.js';
import type { McpSession, ToolSpec } from './tool-spec.js';

/** Name and version the server gives clients in the initialize handshake. */
const SERVER_INFO = { name: 'memspace', version: '0.1.0' } as const;

/** Every tool a connection offers: memspace's own, then the reference memory server's. */
export const TOOLS: readonly ToolSpec[] = [...MEMORY_TOOLS, ...ROUTE_TOOLS, ...GRAPH_TOOLS];

/**
 * An MCP server for one connection, every tool bound to the session's principal and space.
 *
 * Tools are registered with the SDK, which lists them with JSON Schemas made from their zod
 * arguments. Calls are dispatched here rather than by the SDK, for one reason: the SDK answers
 * arguments that fail their schema with a plain-text message, and memspace answers every failure
 * on every interface with `{"error":{"code","message","details"}}` and a stable code. So each
 * call is parsed here (`VALIDATION_FAILED` naming each field), checked against the key's role,
 * run, and any failure becomes a tool error carrying that body. Nothing a call does can end the
 * connection or the process.
 */
export function createMcpServer(session: McpSession): McpServer {
  const server = new McpServer(SERVER_INFO, {
    capabilities: { tools: {} },
    instructions:
      `Long-term memory in the memspace space "${session.space}". Store what you learn with add_memory (or as a knowledge graph ` +
      'with create_entities, create_relations and add_observations) and recall it with search_memories or search_nodes; ' +
      'tell it which results helped, or were wrong, with give_feedback.',
  });
  // A tool a connection does not offer is neither listed nor answered (suggest_space: a key that sees one space).
  const offered = TOOLS.filter((tool) => tool.offered?.(session) ?? true);
  const byName = new Map(offered.map((tool) => [tool.name, tool]));
  for (const tool of offered) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        ...(tool.output !== undefined && { outputSchema: tool.output }),
        annotations: tool.annotations,
      },
      (args: unknown) => invoke(tool, args, session),
    );
  }
  server.server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const tool = byName.get(request.params.name);
    if (tool === undefined) {
      return toolError(new MemspaceError('NOT_FOUND', `no tool named "${request.params.name}"`, { tool: request.params.name }));
    }
    return invoke(tool, request.params.arguments ?? {}, session);
  });
  return server;
}

/** Parses, authorizes and runs one call; every failure is a tool error, never a thrown one. */
function invoke(tool: ToolSpec, args: unknown, session: McpSession): Promise<CallToolResult> {
  return session.inFlight === undefined ? answer(tool, args, session) : session.inFlight.track(() => answer(tool, args, session));
}

async function answer(tool: ToolSpec, args: unknown, session: McpSession): Promise<CallToolResult> {
  try {
    // Authorization first, as on HTTP: a key that may not write learns that before anything of its arguments.
    if (tool.role !== null) {
      await session.engine.guard.authorize(session.call.principal, session.space, tool.role, { ...session.call, via: { ...session.call.via, tool: tool.name } });
    }
    const parsed = parseWith(tool.input, args, `arguments of ${tool.name}`);
    return toolResult(await tool.run(parsed, session), tool.pretty === true);
  } catch (error) {
    const e = toMemspaceError(error);
    if (e.code === 'INTERNAL') session.onInternalError?.(tool.name, error);
    return toolError(await explainedTo(session, e));
  }
}
