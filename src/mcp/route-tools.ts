import { z } from 'zod';
import type { CallContext } from '../engine/access-guard.js';
import type { Memspace } from '../memspace.js';
import { defineTool, type ToolSpec } from './tool-spec.js';

/**
 * True when the caller can see more than one space (the listing's rule, by grants), so that a
 * suggestion of where a text belongs has a choice to make: {@link ROUTE_TOOLS} are offered only then.
 */
export async function seesSeveralSpaces(engine: Pick<Memspace, 'spaces'>, call: CallContext): Promise<boolean> {
  return (await engine.spaces.list({ limit: 2 }, call)).items.length > 1;
}

/** Routing suggestions (docs/routing.md): offered to connections whose key sees several spaces. */
export const ROUTE_TOOLS: readonly ToolSpec[] = [
  defineTool({
    name: 'suggest_space',
    title: 'Suggest a space',
    description:
      'Suggest which of the spaces this key can read a text belongs in (before storing it, or to know where to look), best first: ' +
      'each with its score, the parts of it (vector: similarity to the space\'s centroid; keyword) and its best-matching memory. ' +
      'Returns {results:[{space, score, vector, keyword, top}]}.',
    input: z.strictObject({
      text: z.string().describe('the text to place'),
      limit: z.number().int().optional().describe('most suggestions (default 5, at most 50)'),
    }),
    // The service weighs only the spaces the key can read: no role in the session's space is needed.
    role: null,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    offered: (s) => s.seesSeveralSpaces === true,
    run: async (args, s) => ({ structured: { ...(await s.engine.route.route(args, { ...s.call, via: { ...s.call.via, tool: 'suggest_space' } })) } }),
  }),
];
