import { z } from 'zod';
import { MAX_LIMIT } from '../../core/schemas.js';

/**
 * Request schemas of the mem0-compatible API, in mem0's snake_case. Every object is strict:
 * an unknown field is `VALIDATION_FAILED`, and so is a known mem0 option memspace cannot honour
 * (it is named in the message), so nothing a client asks for is silently dropped. Options that
 * only steer mem0's hosted service and change nothing here (`org_id`, `async_mode`, `rerank`...)
 * are accepted and ignored; README.md lists them.
 */

/** A user, agent or run id. */
const entityId = z.string().min(1, 'may not be empty').max(512);
/** An entity id as clients send it: absent, null (the v2 client passes options through) or a string. */
const optionalEntity = entityId.nullish();
const metadata = z.record(z.string().max(256), z.unknown());
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const pageNumber = z.coerce.number().int().min(1);
const pageSize = z.coerce.number().int().min(1).max(MAX_LIMIT);
/** A date (`2024-07-01`) or an ISO-8601 time. */
const dateOrTime = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}$/.test(s) || /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})$/.test(s), 'expected a date (YYYY-MM-DD) or an ISO-8601 time with a zone')
  .refine((s) => Number.isFinite(Date.parse(s)), 'not a valid date');

/**
 * A mem0 option memspace does not implement: absent, null or false pass; anything else is a
 * validation error that names the option and says what to do instead.
 */
function unsupported(hint: string) {
  return z
    .unknown()
    .optional()
    .superRefine((value, ctx) => {
      if (value !== undefined && value !== null && value !== false) ctx.addIssue({ code: 'custom', message: `not supported by memspace: ${hint}` });
    });
}

/** Options of mem0's hosted service that change nothing here: accepted and ignored. */
const bookkeeping = {
  org_id: z.union([z.string(), z.number()]).nullish(),
  project_id: z.union([z.string(), z.number()]).nullish(),
  org_name: z.string().nullish(),
  project_name: z.string().nullish(),
  version: z.string().nullish(),
  api_version: z.string().nullish(),
  source: z.string().nullish(),
};

/** Entity ids given at the top level of a request. */
const entities = {
  user_id: optionalEntity,
  agent_id: optionalEntity,
  run_id: optionalEntity,
  app_id: unsupported('memspace has no app scope; give each app a space of its own (X-Memory-Space or a key with a default space)'),
};

/** `v1.0` answers lists as bare arrays; `v1.1` wraps them in `{results}`. */
const outputFormat = z.enum(['v1.0', 'v1.1']).nullish();

/** One chat message; only text content is stored. */
export const Mem0MessageSchema = z.strictObject({
  role: z.enum(['user', 'assistant', 'system']),
  content: z.string({ error: 'content must be text: images and other multimodal messages are not supported' }),
  name: z.string().nullish(),
});
/** A parsed chat message. */
export type Mem0Message = z.output<typeof Mem0MessageSchema>;

/** Body of `POST /v1/memories/` and `POST /v3/memories/add/`. */
export const Mem0AddSchema = z
  .strictObject({
    // A bare string is one user message, as mem0 takes it.
    messages: z.preprocess((v) => (typeof v === 'string' ? [{ role: 'user', content: v }] : v), z.array(Mem0MessageSchema).min(1, 'messages may not be empty').max(1000)),
    ...entities,
    ...bookkeeping,
    metadata: metadata.nullish(),
    infer: z.boolean().default(true),
    output_format: outputFormat,
    async_mode: z.boolean().nullish(),
    custom_instructions: z.string().max(10_000).nullish(),
    agent_custom_instructions: z.string().max(10_000).nullish(),
    includes: z.string().max(10_000).nullish(),
    excludes: z.string().max(10_000).nullish(),
    expiration_date: dateOrTime.nullish(),
    custom_categories: unsupported('memspace does not categorise memories; use metadata'),
    enable_graph: unsupported('use memspace relations (POST /v1/relations)'),
    immutable: unsupported('memories can always be updated'),
    timestamp: unsupported('memspace sets created_at itself'),
    structured_data_schema: unsupported('structured extraction is not implemented'),
    filter_memories: unsupported('filtering memories with the LLM is not implemented'),
  })
  .refine((b) => b.user_id != null || b.agent_id != null || b.run_id != null, {
    message: 'give at least one of user_id, agent_id or run_id',
    path: ['user_id'],
  });
/** A parsed add request. */
export type Mem0Add = z.output<typeof Mem0AddSchema>;

/** Body of `POST /v1|v2|v3/memories/search/`. */
export const Mem0SearchSchema = z.strictObject({
  query: z.string().min(1, 'query may not be empty').max(10_000),
  filters: z.record(z.string(), z.unknown()).nullish(),
  ...entities,
  ...bookkeeping,
  metadata: metadata.nullish(),
  categories: z.array(z.string().min(1)).max(64).nullish(),
  top_k: z.number().int().min(1).max(MAX_LIMIT).nullish(),
  limit: z.number().int().min(1).max(MAX_LIMIT).nullish(),
  threshold: z.number().min(0).max(1).nullish(),
  keyword_search: z.boolean().nullish(),
  fields: z.array(z.string()).max(32).nullish(),
  output_format: outputFormat,
  rerank: z.boolean().nullish(),
  latest_only: z.boolean().nullish(),
  enable_graph: unsupported('use memspace relations (POST /v1/search with expand)'),
  show_expired: unsupported('expired memories are invisible until swept'),
  reference_date: unsupported('time-aware ranking is not implemented'),
  filter_memories: unsupported('filtering memories with the LLM is not implemented'),
});
/** A parsed search request. */
export type Mem0Search = z.output<typeof Mem0SearchSchema>;

/** Fields a listing may give besides `filters`, shared by the v1 query string and the v2/v3 bodies. */
const listFields = {
  ...entities,
  ...bookkeeping,
  start_date: dateOrTime.nullish(),
  end_date: dateOrTime.nullish(),
  categories: z.array(z.string().min(1)).max(64).nullish(),
  output_format: outputFormat,
  fields: z.array(z.string()).max(32).nullish(),
  latest_only: z.boolean().nullish(),
  enable_graph: unsupported('use memspace relations'),
  show_expired: unsupported('expired memories are invisible until swept'),
};

/** Query string of `GET /v1/memories/` (the v2 client's default `getAll`). */
export const Mem0ListQuerySchema = z.strictObject({
  ...entities,
  ...bookkeeping,
  start_date: dateOrTime.optional(),
  end_date: dateOrTime.optional(),
  output_format: outputFormat,
  page: pageNumber.optional(),
  page_size: pageSize.optional(),
  limit: pageSize.optional(),
  enable_graph: z.enum(['false']).optional(),
});
/** A parsed v1 listing query. */
export type Mem0ListQuery = z.output<typeof Mem0ListQuerySchema>;

/** Body of `POST /v2/memories/` and `POST /v3/memories/`. */
export const Mem0ListBodySchema = z.strictObject({
  filters: z.record(z.string(), z.unknown()).nullish(),
  ...listFields,
  limit: pageSize.nullish(),
});
/** A parsed v2/v3 listing body. */
export type Mem0ListBody = z.output<typeof Mem0ListBodySchema>;

/** Query string of the v2/v3 listings: the page only. */
export const Mem0PageQuerySchema = z.strictObject({
  page: pageNumber.optional(),
  page_size: pageSize.optional(),
});

/** Body of `PUT /v1/memories/{id}/`. */
export const Mem0UpdateSchema = z
  .strictObject({
    text: z.string().min(1, 'text may not be empty').nullish(),
    metadata: metadata.nullish(),
    expiration_date: dateOrTime.nullable().optional(),
    timestamp: unsupported('memspace sets updated_at itself'),
  })
  .refine((b) => b.text != null || b.metadata != null || b.expiration_date !== undefined, 'give text, metadata or expiration_date');
/** A parsed update. */
export type Mem0Update = z.output<typeof Mem0UpdateSchema>;

/** Query string of `DELETE /v1/memories/{id}/` (the v3 client may send `delete_linked`). */
export const Mem0DeleteOneQuerySchema = z.strictObject({
  // Nothing is linked in memspace, so deleting linked memories deletes nothing more.
  delete_linked: bool.optional(),
});

/** Query string of `DELETE /v1/memories/` (deleteAll). */
export const Mem0DeleteAllQuerySchema = z.strictObject({ ...entities, ...bookkeeping });
/** A parsed deleteAll query. */
export type Mem0DeleteAllQuery = z.output<typeof Mem0DeleteAllQuerySchema>;

/** Query string of `GET /v1/entities/` and of the entity deletions. */
export const Mem0EntitiesQuerySchema = z.strictObject({
  ...bookkeeping,
  page: pageNumber.optional(),
  page_size: pageSize.optional(),
});

/** The entity kinds memspace has: `app` is not one of them. */
export const Mem0EntityTypeSchema = z.enum(['user', 'agent', 'run'], { error: 'entity type is user, agent or run (memspace has no app scope)' });
