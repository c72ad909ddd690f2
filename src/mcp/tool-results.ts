import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { toMemspaceError } from '../core/errors.js';
import type { ToolOutput } from './tool-spec.js';

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
