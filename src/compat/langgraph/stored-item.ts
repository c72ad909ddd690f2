import type { Item } from '@langchain/langgraph-checkpoint';
import { z } from 'zod';
import { MAX_CONTENT_CHARS } from '../../core/schemas.js';
import type { JsonObject } from '../../core/types.js';
import type { Memory } from '../../core/views.js';
import { labelFields } from './namespace.js';

/** The `kind` of the memories that hold LangGraph items; every query of the store is limited to it. */
export const ITEM_KIND = 'langgraph-item';

/** Metadata path telling whether an item has a vector of its own (it was embedded). */
export const INDEXED_PATH = 'metadata.langgraph.indexed';

/** What the store writes in a memory's metadata, read back through this schema. */
const StoredItemSchema = z.object({
  langgraph: z.object({
    namespace: z.array(z.string()).min(1),
    key: z.string(),
    indexed: z.boolean(),
  }),
  value: z.record(z.string(), z.unknown()),
});

/**
 * The metadata of the memory holding an item: the namespace (whole, and label by label for
 * prefix and suffix filters), the key, whether it is embedded, and the value itself (whose
 * fields the search filters reach as `metadata.value.<field>`).
 */
export function itemMetadata(namespace: readonly string[], key: string, value: JsonObject, indexed: boolean): JsonObject {
  return { langgraph: { namespace: [...namespace], key, indexed, labels: labelFields(namespace) }, value };
}

/**
 * The content of an item's memory: the texts its index fields name (what is embedded and
 * keyword-indexed), or, for an item that is not indexed, a label naming it.
 */
export function itemContent(namespace: readonly string[], key: string, texts: readonly string[] | undefined): string {
  const text = texts === undefined ? `LangGraph item ${JSON.stringify(key)} in ${JSON.stringify(namespace)} (not indexed)` : texts.join('\n');
  return text.length > MAX_CONTENT_CHARS ? text.slice(0, MAX_CONTENT_CHARS) : text;
}

/** True when a memory holds an item that was stored without a vector of its own. */
export function wasUnindexed(memory: Memory): boolean {
  const parsed = StoredItemSchema.safeParse(memory.metadata);
  return parsed.success && !parsed.data.langgraph.indexed;
}

/**
 * The LangGraph item a memory holds, or undefined when the memory is not one this store wrote
 * (another kind, or metadata of another shape): such memories are not items and are skipped.
 */
export function itemOf(memory: Memory): Item | undefined {
  if (memory.kind !== ITEM_KIND) return undefined;
  const parsed = StoredItemSchema.safeParse(memory.metadata);
  if (!parsed.success) return undefined;
  const { langgraph, value } = parsed.data;
  return { namespace: langgraph.namespace, key: langgraph.key, value, createdAt: new Date(memory.createdAt), updatedAt: new Date(memory.updatedAt) };
}
