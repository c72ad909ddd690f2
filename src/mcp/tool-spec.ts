import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { MemspaceError } from '../core/errors.js';
import type { Role } from '../core/grants.js';
import type { Principal } from '../engine/access.js';
import type { CallContext, MemoryService } from '../engine/memory-service.js';

/**
 * One MCP connection (a stdio process, or a Streamable HTTP session): who is calling, and the
 * one space every tool of the connection works in. Fixed when the connection opens, so a tool
 * call can never name another space.
 */
export interface McpSession {
  readonly service: MemoryService;
  readonly principal: Principal;
  /** The space's name as the catalogue spells it. */
  readonly space: string;
  /** False for spaces with embedder `none`: their searches can only match words, having no embedder for the query. */
  readonly semantic: boolean;
  /** Recorded in history and the audit trail as the author of every write. */
  readonly call: CallContext;
  /** Hears of each tool call refused by authorization, for the space's audit trail. */
  onDenied?(tool: string, error: MemspaceError): Promise<void>;
  /** Hears of each unexpected failure (`INTERNAL`), whose message the caller does not see. */
  onInternalError?(tool: string, error: unknown): void;
}

/** What a tool returns: the value shown as JSON text, and as `structuredContent` when it is an object. */
export interface ToolOutput {
  /** Text content; JSON of `structured` when absent. */
  text?: string;
  structured: Record<string, unknown>;
}

/** One tool, registered with the SDK and dispatched from the same definition. */
export interface ToolSpec<S extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  /** Arguments, parsed before `run`; a failure is `VALIDATION_FAILED` naming each field. */
  input: S;
  /** The shape of `structuredContent`, when the tool declares one (the knowledge-graph tools do, as the reference server). */
  output?: z.ZodObject;
  /** The role the key needs in the session's space; null for tools that check access themselves. */
  role: Role | null;
  annotations: ToolAnnotations;
  /** Pretty-printed JSON text, as the reference memory server writes it. @default false */
  pretty?: boolean;
  run(args: z.output<S>, session: McpSession): Promise<ToolOutput>;
}

/** Keeps `S` inferred from `input` while typing `run`'s arguments. */
export function defineTool<S extends z.ZodObject>(spec: ToolSpec<S>): ToolSpec {
  return spec as unknown as ToolSpec;
}

