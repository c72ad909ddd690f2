import { z } from 'zod';
import { defineTool, type ToolSpec } from './tool-spec.js';

// Argument schemas mirror the fields of the HTTP API (docs/http.md). They describe and type-check
// at the edge; the engine parses the same values again with the core schemas, which own the
// limits (lengths, ranges, dimensions), so a limit lives in one place.

const id = z.string().min(1).describe('a memory id of this space');
const scope = z.string().min(1);
const metadata = z.record(z.string(), z.unknown()).describe('a JSON object');
const tags = z.array(z.string().min(1)).describe('tags, e.g. ["preference"]');
const embedding = z.array(z.number()).describe("a vector of the space's dimension, instead of the space's embedder");
const filter = z
  .record(z.string(), z.unknown())
  .describe('conditions such as {"metadata.topic":{"eq":"x"}} with eq ne gt gte lt lte in nin contains exists, combined with and/or/not');
const expiresAt = z.string().nullable().describe('ISO-8601 time after which the memory is gone, or null for never');
const importance = z.number().describe('between 0 and 1');

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
const WRITE = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false } as const;

/** The memspace tools: memories, search, history and relations of the session's space, and the spaces the key can see. */
export const MEMORY_TOOLS: readonly ToolSpec[] = [
  defineTool({
    name: 'add_memory',
    title: 'Add a memory',
    description: 'Store a memory (a fact, an episode, a document) in this space; it is embedded for search by meaning. Returns the memory with its id.',
    input: z.strictObject({
      content: z.string().describe('the text to remember'),
      metadata: metadata.optional(),
      tags: tags.optional(),
      userId: scope.optional().describe('the user the memory is about'),
      agentId: scope.optional(),
      runId: scope.optional(),
      kind: z.string().optional().describe('fact (default), episode, document, ...'),
      importance: importance.optional(),
      expiresAt: expiresAt.optional(),
      embedding: embedding.optional(),
      id: z.string().optional().describe('choose the id instead of a generated UUIDv7'),
    }),
    role: 'write',
    annotations: WRITE,
    run: async (args, s) => ({ structured: { ...(await s.engine.memories.add(s.space, args, s.call)) } }),
  }),
  defineTool({
    name: 'search_memories',
    title: 'Search memories',
    description: 'Find memories of this space by meaning and by words (hybrid, the default), or by one of them; filters apply before ranking. Returns {results:[{memory, score, scores}]}.',
    input: z.strictObject({
      query: z.string().optional().describe('what to look for'),
      embedding: embedding.optional(),
      mode: z.enum(['hybrid', 'vector', 'keyword']).optional(),
      limit: z.number().int().optional().describe('most results (default 10)'),
      threshold: z.number().optional().describe('lowest score to return'),
      filter: filter.optional(),
      userId: scope.optional(),
      agentId: scope.optional(),
      runId: scope.optional(),
      tags: tags.optional(),
      tagsMatch: z.enum(['any', 'all']).optional(),
      expand: z.boolean().optional().describe('attach the memories one relation away from each hit'),
      vectorWeight: z.number().optional(),
      fusion: z.enum(['weighted', 'rrf']).optional(),
      rank: z
        .strictObject({ recency: z.number().optional(), importance: z.number().optional(), feedback: z.number().optional(), narrative: z.number().optional() })
        .optional()
        .describe(
          'blend recency and decayed importance into the score (weights 0 to 1, summing to at most 1; default none), and apart the feedback given with give_feedback and the likeness to what helped lately (also summing to at most 1; default the space\'s)',
        ),
      neighbors: z.boolean().optional().describe('lift the memories written just before and after the best hits in their run (default true)'),
      dates: z.boolean().optional().describe('favour memories dated in a time the query names, such as "in May 2023" or "last week" (default true)'),
      rerank: z.boolean().optional().describe("reorder the candidates with the server's reranker (needs a query; not with rank; an error when none is configured)"),
    }),
    role: 'read',
    annotations: READ,
    run: async (args, s) => ({ structured: await s.engine.search.run(s.space, args, s.call) }),
  }),
  defineTool({
    name: 'give_feedback',
    title: 'Give feedback on results',
    description:
      'Tell this space which results (of search_memories, or documents ranked with rerank_documents) were helpful, used or wrong: ' +
      'searches that weigh feedback rank them higher or lower from then on, fading over days. Returns each one\'s level now.',
    input: z.strictObject({
      query: z.string().optional().describe('the query the results answered; with a helpful result, it teaches the space what matters lately'),
      results: z
        .array(
          z.strictObject({
            id: z.string().min(1).describe('a memory id of this space, or a document id with kind "document"'),
            signal: z.enum(['helpful', 'used', 'wrong']),
            kind: z.enum(['memory', 'document']).optional().describe('default memory'),
            text: z.string().optional().describe('a document\'s text (documents only)'),
          }),
        )
        .describe('1 to 256 results'),
      weight: z.number().optional().describe('multiplies each signal, above 0 and up to 10 (default 1)'),
    }),
    role: 'write',
    annotations: WRITE,
    run: async (args, s) => ({ structured: { ...(await s.engine.feedback.record(s.space, args, s.call)) } }),
  }),
  defineTool({
    name: 'rerank_documents',
    title: 'Rerank documents',
    description:
      'Order documents that are not stored (from a web search, a file, another tool) for a query: by similarity, plus the feedback ' +
      'given on their ids and the likeness to what helped lately in this space. Returns {results:[{id, index, score, scores}], weights}.',
    input: z.strictObject({
      query: z.string().describe('what the documents should answer'),
      documents: z.array(z.strictObject({ id: z.string().min(1), text: z.string() })).describe('1 to 256 documents, each with an id of the caller\'s choosing'),
      limit: z.number().int().optional().describe('most documents to return (default all)'),
      rank: z
        .strictObject({ feedback: z.number().optional(), narrative: z.number().optional() })
        .optional()
        .describe('weights 0 to 1, summing to at most 1; default the space\'s, else 0.5 and 0.5'),
    }),
    role: 'read',
    annotations: READ,
    run: async (args, s) => ({ structured: { ...(await s.engine.feedback.rerank(s.space, args, s.call)) } }),
  }),
  defineTool({
    name: 'get_memory',
    title: 'Get a memory',
    description: 'One memory of this space by id.',
    input: z.strictObject({ id }),
    role: 'read',
    annotations: READ,
    run: async ({ id }, s) => ({ structured: { ...(await s.engine.memories.get(s.space, id, {}, s.call)) } }),
  }),
  defineTool({
    name: 'update_memory',
    title: 'Update a memory',
    description: 'Change a memory of this space; metadata and tags replace the old values, new content is embedded again. Returns the memory.',
    input: z.strictObject({
      id,
      content: z.string().optional(),
      metadata: metadata.optional(),
      tags: tags.optional(),
      kind: z.string().optional(),
      importance: importance.optional(),
      expiresAt: expiresAt.optional(),
      embedding: embedding.optional(),
    }),
    role: 'write',
    annotations: { ...WRITE, idempotentHint: true },
    run: async ({ id, ...patch }, s) => ({ structured: { ...(await s.engine.memories.update(s.space, id, patch, s.call)) } }),
  }),
  defineTool({
    name: 'delete_memory',
    title: 'Delete a memory',
    description: 'Delete a memory of this space and its relations (its history is kept).',
    input: z.strictObject({ id }),
    role: 'write',
    annotations: { ...WRITE, destructiveHint: true, idempotentHint: true },
    run: async ({ id }, s) => {
      await s.engine.memories.delete(s.space, id, s.call);
      return { structured: { deleted: id } };
    },
  }),
  defineTool({
    name: 'list_memories',
    title: 'List memories',
    description: 'A page of the memories of this space, newest first unless order is "asc"; pass nextCursor back as cursor for the next page.',
    input: z.strictObject({
      userId: scope.optional(),
      agentId: scope.optional(),
      runId: scope.optional(),
      tags: tags.optional().describe('memories with any of these tags'),
      kind: z.string().optional(),
      filter: filter.optional(),
      limit: z.number().int().optional().describe('most memories (default 100)'),
      cursor: z.string().optional(),
      order: z.enum(['asc', 'desc']).optional(),
    }),
    role: 'read',
    annotations: READ,
    run: async (args, s) => ({ structured: { ...(await s.engine.memories.list(s.space, args, s.call)) } }),
  }),
  defineTool({
    name: 'memory_history',
    title: 'History of a memory',
    description: 'Every create, update and delete of a memory of this space, oldest first (kept after the memory is deleted).',
    input: z.strictObject({ id }),
    role: 'read',
    annotations: READ,
    run: async ({ id }, s) => ({ structured: { history: await s.engine.memories.history(s.space, id, s.call) } }),
  }),
  defineTool({
    name: 'relate_memories',
    title: 'Relate two memories',
    description: 'Add a typed, directed relation between two memories of this space, e.g. type "caused_by". Returns the relation.',
    input: z.strictObject({
      from: id.describe('id of the memory the relation starts at'),
      to: id.describe('id of the memory the relation ends at'),
      type: z.string().describe('1-64 characters of A-Z, a-z, 0-9, "_", ".", ":" or "-"'),
      weight: z.number().optional(),
      metadata: metadata.optional(),
    }),
    role: 'write',
    annotations: WRITE,
    run: async (args, s) => ({ structured: { ...(await s.engine.memories.relate(s.space, args, s.call)) } }),
  }),
  defineTool({
    name: 'list_spaces',
    title: 'List spaces',
    description: 'The memory spaces this key can see (this connection works in one of them: `current`).',
    input: z.strictObject({
      prefix: z.string().optional(),
      limit: z.number().int().min(1).max(1000).optional(),
      cursor: z.string().optional().describe('the nextCursor of the previous page'),
    }),
    // Listing shows only what the key's grants cover, so it needs no role in the session's space.
    role: null,
    annotations: READ,
    run: async (args, s) => ({ structured: { current: s.space, ...(await s.engine.spaces.list(args, s.call)) } }),
  }),
];
