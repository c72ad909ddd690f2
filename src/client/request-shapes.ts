import { METADATA_LIMITS } from '../core/json-limits.js';
import { checkJson } from '../core/validate.js';
import type { Query } from './transport.js';
import type { MemoryListQuery } from './types.js';

/**
 * `input`, once its metadata is checked by the limits the server holds it to
 * ({@link METADATA_LIMITS}): refused here, nothing is sent. `path` names it in the request body.
 */
export function withCheckedMetadata<T extends { metadata?: unknown }>(input: T, path = 'metadata'): T {
  if (typeof input.metadata === 'object' && input.metadata !== null) checkJson(input.metadata, 'input', path, METADATA_LIMITS);
  return input;
}

/** A memory listing as a query string: `tags` as repeated `tag`, `filter` as JSON. */
export function listQuery(query: MemoryListQuery): Query {
  const { tags, filter, ...rest } = query;
  return { ...rest, ...(tags !== undefined && { tag: tags }), ...(filter !== undefined && { filter: JSON.stringify(filter) }) };
}
