import { z } from 'zod';

/*
 * The bodies of the mem0-compatible API, in mem0's snake_case (mapping.ts builds them): the
 * server documents them in /openapi.json, and test/server/openapi.test.ts checks real answers
 * against the document. Loose objects, as mem0 itself may add fields.
 */

const loose = z.looseObject;
const time = z.string().describe('ISO-8601 UTC');
const nullableText = z.string().nullable();
const count = z.number().int().nonnegative();

/** A memory in mem0's shape (`memory` is memspace's `content`, `categories` its tags). */
const memory = loose({
  id: z.string(),
  memory: z.string(),
  hash: z.string(),
  user_id: nullableText,
  agent_id: nullableText,
  app_id: z.null(),
  run_id: nullableText,
  metadata: z.record(z.string(), z.unknown()),
  categories: z.array(z.string()),
  created_at: time,
  updated_at: time,
  expiration_date: nullableText,
  immutable: z.literal(false),
  score: z.number().optional().describe('search results only'),
});
/** A memory with only the `fields` a request picked. */
const picked = memory.partial();
const numbered = (item: z.ZodType) => loose({ count, next: nullableText, previous: nullableText, results: z.array(item) });
/** A listing: a bare array (`v1.0`), `{results}` (`v1.1`), or numbered pages (`page`/`page_size`, v3). */
const listing = z.union([z.array(picked), loose({ results: z.array(picked) }), numbered(picked)]);
const event = loose({ id: z.string(), memory: z.string(), event: z.enum(['ADD', 'UPDATE', 'DELETE']), previous_memory: z.string().optional() });
const message = loose({ message: z.string() });
const deleted = loose({ message: z.string(), deleted: count });

/** The response schema of each mem0 handler, by the handler's name. */
export const Mem0Responses = {
  ping: loose({ status: z.literal('ok'), message: z.string(), default_space: z.string() }),
  add: z.union([
    loose({ results: z.array(event), inference: z.enum(['applied', 'unavailable', 'off']), warning: z.string().optional() }),
    z.array(event.extend({ data: loose({ memory: z.string() }) })).describe('output_format v1.0 of /v1/memories/'),
  ]),
  search: z.union([z.array(picked), loose({ results: z.array(picked) })]),
  list: listing,
  memory,
  message,
  history: z.array(
    loose({
      id: z.string(),
      memory_id: z.string(),
      old_memory: nullableText,
      new_memory: nullableText,
      user_id: nullableText,
      event: z.enum(['ADD', 'UPDATE', 'DELETE']),
      actor: nullableText,
      created_at: time,
      updated_at: time,
    }),
  ),
  deleted,
  entities: numbered(loose({ id: z.string(), name: z.string(), type: z.enum(['user', 'agent', 'run']), total_memories: count, created_at: time, updated_at: time })),
} as const;
