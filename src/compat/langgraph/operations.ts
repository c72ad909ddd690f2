import type { MatchCondition, Operation } from '@langchain/langgraph-checkpoint';
import { z } from 'zod';
import { MemspaceError } from '../../core/errors.js';
import type { JsonObject } from '../../core/types.js';
import { parseWith } from '../../core/validate.js';
import { checkItemNamespace, checkReadNamespace } from './namespace.js';

/** A LangGraph operation, validated: namespaces by LangGraph's rules, the rest by zod. */
export type ParsedOperation =
  | { type: 'get'; namespace: string[]; key: string }
  | { type: 'put'; namespace: string[]; key: string; value: JsonObject | null; index: false | string[] | undefined }
  | { type: 'search'; namespacePrefix: string[]; filter: Record<string, unknown> | undefined; limit: number; offset: number; query: string | undefined }
  | { type: 'list'; matchConditions: MatchCondition[]; maxDepth: number | undefined; limit: number; offset: number };

const count = z.number().int().min(0);

const GetSchema = z.object({ key: z.string() });

const PutSchema = z.object({
  key: z.string(),
  value: z.record(z.string(), z.unknown()).nullable(),
  index: z.union([z.literal(false), z.array(z.string().max(1000)).max(100)]).nullish(),
});

const SearchSchema = z.object({
  filter: z.record(z.string(), z.unknown()).nullish(),
  limit: count.default(10),
  offset: count.default(0),
  query: z.string().max(10_000).nullish(),
});

const ListSchema = z.object({
  matchConditions: z
    .array(z.object({ matchType: z.enum(['prefix', 'suffix']), path: z.array(z.string()) }))
    .nullish(),
  maxDepth: z.number().int().min(1).nullish(),
  limit: count.default(100),
  offset: count.default(0),
});

/**
 * Tells the four kinds of operation apart as LangGraph's stores do (a put has `value`, a search
 * `namespacePrefix`, a get `namespace` and `key`, a listing the rest) and validates each.
 * Invalid namespaces throw LangGraph's `InvalidNamespaceError`; other fields `VALIDATION_FAILED`.
 */
export function parseOperation(op: Operation): ParsedOperation {
  if (op === null || typeof op !== 'object') throw new MemspaceError('VALIDATION_FAILED', 'a store operation must be an object');
  if ('namespacePrefix' in op) {
    const namespacePrefix = checkReadNamespace(op.namespacePrefix);
    const s = parseWith(SearchSchema, op, 'search operation');
    return { type: 'search', namespacePrefix, filter: s.filter ?? undefined, limit: s.limit, offset: s.offset, query: s.query || undefined };
  }
  if ('value' in op) {
    const p = parseWith(PutSchema, op, 'put operation');
    const namespace = p.value === null ? checkReadNamespace(op.namespace) : checkItemNamespace(op.namespace);
    // Stored as JSON: what comes back is what JSON keeps (dates become strings, undefined fields go).
    const value = p.value === null ? null : (JSON.parse(JSON.stringify(p.value)) as JsonObject);
    return { type: 'put', namespace, key: p.key, value, index: p.index ?? undefined };
  }
  if ('namespace' in op && 'key' in op) {
    const namespace = checkReadNamespace(op.namespace);
    return { type: 'get', namespace, key: parseWith(GetSchema, op, 'get operation').key };
  }
  const l = parseWith(ListSchema, op, 'listNamespaces operation');
  const matchConditions = l.matchConditions ?? [];
  for (const condition of matchConditions) checkReadNamespace(condition.path);
  return { type: 'list', matchConditions, maxDepth: l.maxDepth ?? undefined, limit: l.limit, offset: l.offset };
}
