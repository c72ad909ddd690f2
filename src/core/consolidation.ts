/**
 * Consolidation (issue 19), the domain rules once: which memories are duplicates to merge and
 * what the merged memory holds, which memory supersedes which, and how a merge re-points the
 * relations of the memories it removes. Pure; the pass that reads and writes is
 * `engine/consolidation-service.ts`, the transaction that applies a batch the store's.
 *
 * How a consolidation is recorded, with no new kind of history row for a merge: a memory merged
 * into another is deleted with a `delete` history row whose `newMetadata` (null for any other
 * delete) is `{consolidatedInto, consolidationRun}`; the survivor gets an ordinary `update` row;
 * a superseded memory gets a `supersede` row whose `newMetadata` is `{supersededBy,
 * consolidationRun}`. The run itself (what each batch changed and what was there before) is kept
 * in the space, so `undo` restores exactly what the run changed.
 */
import { analyseText, capitalisationOf, DEFAULT_DUPLICATE_RULE, sameStatement, type TextAnalysis } from './consolidation-rule.js';
import type { JsonObject, JsonValue, MemoryRecord, RelationRecord } from './types.js';

/** Thresholds of a pass. */
export interface ConsolidationThresholds {
  /** Least cosine similarity of two memories for the lexical rule to look at them, in [0, 1]. */
  minCosine: number;
  /** Least overlap of content words, in [0.5, 1]; 1 is the identity (core/consolidation-rule.ts). */
  minOverlap: number;
}

/** The thresholds of a pass nobody tuned: those the study measured at merge precision 1.00. */
export const DEFAULT_THRESHOLDS: ConsolidationThresholds = { ...DEFAULT_DUPLICATE_RULE };

/** The kind of a memory a chat model wrote to summarise one session (its sources stay). */
export const SUMMARY_KIND = 'summary';
/** The type of the edges from a summary to each memory it summarises. */
export const SUMMARIZES = 'summarizes';

/** Metadata fields that name the fact a memory states; a newer memory of the same scope and value supersedes an older one. */
export const FACT_KEY_FIELDS = ['key', 'subject'] as const;

/** The scope of a memory as one string: memories merge or supersede only within one scope. */
export function scopeOf(m: Pick<MemoryRecord, 'userId' | 'agentId' | 'runId'>): string {
  return JSON.stringify([m.userId, m.agentId, m.runId]);
}

/** Older first (creation time, then id), the order in which a survivor is chosen. */
export function olderFirst(a: Pick<MemoryRecord, 'createdAt' | 'id'>, b: Pick<MemoryRecord, 'createdAt' | 'id'>): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The duplicates of `memory` among `neighbours` (memories of its scope whose cosine with it
 * passed `minCosine`), as one group with its survivor: the oldest of them all that `memory`
 * matches, and every candidate that matches that survivor. Every member is compared with the
 * survivor itself, so a chain of near-matches never merges two memories that differ. Returns
 * undefined when nothing matches. The capitals of the texts compared decide which words are names.
 */
export function duplicateGroup(memory: MemoryRecord, neighbours: readonly MemoryRecord[], thresholds: ConsolidationThresholds): { survivor: MemoryRecord; merged: MemoryRecord[] } | undefined {
  const others = neighbours.filter((n) => n.id !== memory.id && scopeOf(n) === scopeOf(memory));
  if (others.length === 0) return undefined;
  const capitals = capitalisationOf([memory.content, ...others.map((o) => o.content)]);
  const analyses = new Map<string, TextAnalysis>();
  const analysis = (m: MemoryRecord): TextAnalysis => {
    let a = analyses.get(m.id);
    if (a === undefined) analyses.set(m.id, (a = analyseText(m.content, capitals)));
    return a;
  };
  const same = (x: MemoryRecord, y: MemoryRecord): boolean => sameStatement(analysis(x), analysis(y), thresholds);
  const matches = others.filter((o) => same(memory, o));
  if (matches.length === 0) return undefined;
  const survivor = [memory, ...matches].sort(olderFirst)[0]!;
  const merged = [memory, ...others].filter((m) => m.id !== survivor.id && same(survivor, m)).sort(olderFirst);
  return merged.length === 0 ? undefined : { survivor, merged };
}

/**
 * The survivor of a merge as it will be: its own content, vector, kind, scope, creation time and
 * supersession; the union of every tag (its own first); its metadata with the keys only the
 * others hold added (the survivor wins a conflict, then the older of the others); the highest
 * importance; the access counts summed and the latest access; the latest expiry (none when any
 * never expires: a merge must not make a fact expire sooner); `updatedAt` = `now`.
 */
export function mergedSurvivor(survivor: MemoryRecord, merged: readonly MemoryRecord[], now: number): MemoryRecord {
  const all = [survivor, ...merged];
  const metadata: JsonObject = { ...survivor.metadata };
  for (const m of merged) {
    for (const [key, value] of Object.entries(m.metadata)) if (!(key in metadata)) metadata[key] = value as JsonValue;
  }
  const accessed = all.map((m) => m.lastAccessedAt).filter((t): t is number => t !== null);
  const expiries = all.map((m) => m.expiresAt);
  return {
    ...survivor,
    tags: [...new Set(all.flatMap((m) => m.tags))],
    metadata,
    importance: Math.max(...all.map((m) => m.importance)),
    accessCount: all.reduce((sum, m) => sum + m.accessCount, 0),
    lastAccessedAt: accessed.length === 0 ? null : Math.max(...accessed),
    expiresAt: expiries.includes(null) ? null : Math.max(...(expiries as number[])),
    updatedAt: now,
  };
}

/**
 * The relations touching merged memories after a merge into `survivorOf`'s survivors: each end
 * that was merged points at its survivor; an edge that became a self-loop, or repeats an edge
 * (same ends and type) that exists or was kept before it, is dropped. `relations` are every edge
 * touching a merged memory, plus the edges of the survivors (to find repeats).
 */
export function repointRelations(relations: readonly RelationRecord[], survivorOf: ReadonlyMap<string, string>): { updated: RelationRecord[]; dropped: RelationRecord[] } {
  const key = (r: Pick<RelationRecord, 'from' | 'to' | 'type'>): string => JSON.stringify([r.from, r.to, r.type]);
  const touched = (r: RelationRecord): boolean => survivorOf.has(r.from) || survivorOf.has(r.to);
  // Edges that stay as they are claim their place first, so a re-pointed copy of one is the one dropped.
  const taken = new Set(relations.filter((r) => !touched(r)).map(key));
  const updated: RelationRecord[] = [];
  const dropped: RelationRecord[] = [];
  for (const r of [...relations].filter(touched).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))) {
    const next = { ...r, from: survivorOf.get(r.from) ?? r.from, to: survivorOf.get(r.to) ?? r.to };
    if (next.from === next.to || taken.has(key(next))) {
      dropped.push(r);
      continue;
    }
    taken.add(key(next));
    updated.push(next);
  }
  return { updated, dropped };
}

/** The value of the first fact-key field a memory's metadata holds as a non-empty string, with the field's name. */
export function factKeyOf(m: Pick<MemoryRecord, 'metadata'>): string | undefined {
  for (const field of FACT_KEY_FIELDS) {
    const value = m.metadata[field];
    if (typeof value === 'string' && value.trim() !== '') return JSON.stringify([field, value.trim().toLowerCase()]);
  }
  return undefined;
}

/**
 * Supersessions among memories that name a fact (see {@link factKeyOf}): within one scope and
 * fact key, the newest memory supersedes every older one whose content differs (the same
 * content is a duplicate, not an update). Returns `[older id, newest id]` pairs for memories not
 * already superseded by that newest one. The conservative rule without a chat model.
 */
export function supersessions(memories: readonly Pick<MemoryRecord, 'id' | 'content' | 'metadata' | 'userId' | 'agentId' | 'runId' | 'createdAt' | 'supersededBy'>[]): [string, string][] {
  const groups = new Map<string, (typeof memories)[number][]>();
  for (const m of memories) {
    const fact = factKeyOf(m);
    if (fact === undefined) continue;
    const k = `${scopeOf(m)}\u0000${fact}`;
    const list = groups.get(k) ?? [];
    list.push(m);
    groups.set(k, list);
  }
  const out: [string, string][] = [];
  for (const list of groups.values()) {
    if (list.length < 2) continue;
    const sorted = [...list].sort(olderFirst);
    const newest = sorted[sorted.length - 1]!;
    for (const m of sorted.slice(0, -1)) {
      if (m.content.trim() !== newest.content.trim() && m.supersededBy !== newest.id) out.push([m.id, newest.id]);
    }
  }
  return out;
}
