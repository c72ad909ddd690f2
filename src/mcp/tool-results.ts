import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { toMemspaceError } from '../core/errors.js';
import type { McpSession, ToolOutput } from './tool-spec.js';

/** A tool's success as the protocol carries it: JSON text, and the same value as `structuredContent`. */
export function toolResult(output: ToolOutput, pretty = false): CallToolResult {
  const text = output.text ?? JSON.stringify(output.structured, null, pretty ? 2 : undefined);
  return { content: [{ type: 'text', text }], structuredContent: output.structured };
}

/**
 * A failure as a tool error (`isError: true`) rather than a protocol error, so the model sees
 * it and can correct itself. The text is the error body of every other interface,
 * `{"error":{"code","message","details"?}}`; an unexpected failure's message stays hidden, as
 * on HTTP, because it may carry internals.
 */
export function toolError(error: unknown): CallToolResult {
  const e = toMemspaceError(error);
  const body = e.code === 'INTERNAL' ? { error: { code: e.code, message: 'internal error' } } : e.toJSON();
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(body) }] };
}

/**
 * `error` with what to do next when it is a `SPACE_NOT_FOUND`: the closest space name the
 * session's key may see and how to create one, as the guard explains it over HTTP, so that a
 * model can correct the space it named. A key never hears of a space outside its grants.
 */
export async function explainedTo(session: McpSession, error: unknown): Promise<unknown> {
  // A session built by hand (tests) may have no guard: the error goes as it is.
  const guard = (session.engine as Partial<McpSession['engine']>).guard;
  return guard === undefined ? error : guard.explain(error, session.call.principal);
}
