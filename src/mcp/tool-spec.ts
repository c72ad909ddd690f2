import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { Role } from '../core/grants.js';
import type { CallContext, Principal } from '../engine/access-guard.js';
import type { Memspace } from '../memspace.js';

/** The parts of the engine an MCP connection uses. */
export type McpEngine = Pick<Memspace, 'guard' | 'spaces' | 'memories' | 'search' | 'feedback' | 'route'>;

/**
 * One MCP connection (a stdio process, or a Streamable HTTP session): who is calling, and the
 * one space every tool of the connection works in. Fixed when the connection opens, so a tool
 * call can never name another space.
 */
export interface McpSession {
  readonly engine: McpEngine;
  /** The space's name as the catalogue spells it. */
  readonly space: string;
  /** False for spaces with embedder `none`: their searches can only match words, having no embedder for the query. */
  readonly semantic: boolean;
  /** True when the key sees more than one space (route-tools.ts `seesSeveralSpaces`): `suggest_space` is offered only then. @default false */
  readonly seesSeveralSpaces?: boolean;
  /**
   * The caller, passed to the engine with every tool call: whose grants apply, the actor of
   * every write, and what a refused call records in the space's audit trail (the tool's name is added).
   */
  readonly call: CallContext & { principal: Principal };
  /** Hears of each unexpected failure (`INTERNAL`), whose message the caller does not see. */
  onInternalError?(tool: string, error: unknown): void;
  /** Counts the tool calls being answered, so a connection can end after its last answer. @default not counted */
  readonly inFlight?: InFlight;
}

/** Calls in progress, and a way to wait until none is. */
export class InFlight {
  private count = 0;
  private waiting: (() => void)[] = [];

  /** Counts `work` until it settles. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.count += 1;
    try {
      return await work();
    } finally {
      this.count -= 1;
      if (this.count === 0) for (const resolve of this.waiting.splice(0)) resolve();
    }
  }

  /** Resolves once no call is in progress. */
  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiting.push(resolve));
  }
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
  /** Whether a connection offers the tool (lists it and answers it). @default always */
  offered?: (session: McpSession) => boolean;
  annotations: ToolAnnotations;
  /** Pretty-printed JSON text, as the reference memory server writes it. @default false */
  pretty?: boolean;
  run(args: z.output<S>, session: McpSession): Promise<ToolOutput>;
}

/** Keeps `S` inferred from `input` while typing `run`'s arguments. */
export function defineTool<S extends z.ZodObject>(spec: ToolSpec<S>): ToolSpec {
  return spec as unknown as ToolSpec;
}

