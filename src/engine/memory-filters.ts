import { andFilters, columnCondition, MATCH_ALL, type FilterNode } from '../core/filter.js';

/** The scopes a request narrows to inside its space (mem0's user, agent and run). */
export interface Scopes {
  userId?: string | undefined;
  agentId?: string | undefined;
  runId?: string | undefined;
}

/** Memories of the given scopes only; all when none is given. */
export function scopeFilter(q: Scopes): FilterNode {
  return andFilters(
    q.userId === undefined ? undefined : columnCondition('userId', 'eq', q.userId),
    q.agentId === undefined ? undefined : columnCondition('agentId', 'eq', q.agentId),
    q.runId === undefined ? undefined : columnCondition('runId', 'eq', q.runId),
  );
}

/** Memories holding any (or all) of `tags`; all when none is given. */
export function tagsFilter(tags: string[] | undefined, match: 'any' | 'all'): FilterNode {
  if (tags === undefined || tags.length === 0) return MATCH_ALL;
  if (match === 'any') return columnCondition('tags', 'in', tags);
  return andFilters(...tags.map((t) => columnCondition('tags', 'eq', t)));
}

/** Memories not expired at `now`: expired ones are invisible until the sweeper deletes them. */
export function notExpiredAt(now: number): FilterNode {
  return { kind: 'or', nodes: [columnCondition('expiresAt', 'exists', false), columnCondition('expiresAt', 'gt', now)] };
}

/** True when `m` has expired at `now`. */
export function isExpired(m: { expiresAt: number | null }, now: number): boolean {
  return m.expiresAt !== null && m.expiresAt <= now;
}
