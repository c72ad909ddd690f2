import { createHash } from 'node:crypto';
import { MemspaceError } from '../../core/errors.js';
import type { JsonObject } from '../../core/types.js';
import type { HistoryEntry, Memory } from '../../core/views.js';

/** A memory in mem0's shape: memspace `content` is `memory`, `tags` are `categories`. */
export interface Mem0Memory {
  id: string;
  memory: string;
  /** md5 of the text, as mem0 computes it. */
  hash: string;
  user_id: string | null;
  agent_id: string | null;
  /** Always null: memspace has no app scope. */
  app_id: null;
  run_id: string | null;
  metadata: JsonObject;
  categories: string[];
  created_at: string;
  updated_at: string;
  /** The last day the memory lives (YYYY-MM-DD), from memspace `expiresAt`. */
  expiration_date: string | null;
  immutable: false;
  /** Search results only. */
  score?: number;
}

/** Fields a `fields` option may pick. */
export const MEM0_MEMORY_FIELDS: readonly string[] = ['id', 'memory', 'hash', 'user_id', 'agent_id', 'app_id', 'run_id', 'metadata', 'categories', 'created_at', 'updated_at', 'expiration_date', 'immutable', 'score'];

/** One history entry in mem0's shape. */
export interface Mem0HistoryEntry {
  id: string;
  memory_id: string;
  input: [];
  old_memory: string | null;
  new_memory: string | null;
  user_id: string | null;
  categories: string[];
  event: 'ADD' | 'UPDATE' | 'DELETE';
  metadata: JsonObject | null;
  /** memspace key id that made the change. */
  actor: string | null;
  created_at: string;
  updated_at: string;
}

/** A memory event of an add: what happened to which memory. */
export interface Mem0Event {
  id: string;
  memory: string;
  event: 'ADD' | 'UPDATE' | 'DELETE';
  /** The text before an UPDATE. */
  previous_memory?: string;
}

/** A user, agent or run present in a space, in mem0's entity shape. */
export interface Mem0Entity {
  id: string;
  name: string;
  type: 'user' | 'agent' | 'run';
  total_memories: number;
  created_at: string;
  updated_at: string;
  owner: null;
  organization: null;
  metadata: null;
}

const EVENT_OF: Readonly<Record<HistoryEntry['action'], Mem0HistoryEntry['event']>> = { create: 'ADD', update: 'UPDATE', delete: 'DELETE', supersede: 'UPDATE' };
const DAY_MS = 86_400_000;

/** A memspace memory as mem0 shows it. */
export function toMem0(m: Memory, score?: number): Mem0Memory {
  return {
    id: m.id,
    memory: m.content,
    hash: createHash('md5').update(m.content).digest('hex'),
    user_id: m.userId,
    agent_id: m.agentId,
    app_id: null,
    run_id: m.runId,
    metadata: m.metadata,
    categories: m.tags,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    // A date means "through that day": stored as the next midnight, shown as the day itself.
    expiration_date: m.expiresAt === null ? null : new Date(Date.parse(m.expiresAt) - 1).toISOString().slice(0, 10),
    immutable: false,
    ...(score !== undefined && { score }),
  };
}

/** Only the `fields` asked for; unknown field names are `VALIDATION_FAILED`. */
export function pickFields(memory: Mem0Memory, fields: readonly string[] | null | undefined): Record<string, unknown> {
  if (fields == null || fields.length === 0) return { ...memory };
  const out: Record<string, unknown> = {};
  for (const name of fields) {
    if (!MEM0_MEMORY_FIELDS.includes(name)) {
      throw new MemspaceError('VALIDATION_FAILED', `unknown field "${name}"; fields are ${MEM0_MEMORY_FIELDS.join(', ')}`, { issues: [{ path: 'fields', message: `unknown field ${name}` }] });
    }
    if (name in memory) out[name] = (memory as unknown as Record<string, unknown>)[name];
  }
  return out;
}

/** A memory's history as mem0 shows it, oldest first. */
export function historyToMem0(entries: readonly HistoryEntry[], userId: string | null): Mem0HistoryEntry[] {
  return entries.map((h, i) => ({
    id: `${h.memoryId}:${i + 1}`,
    memory_id: h.memoryId,
    input: [],
    old_memory: h.oldContent,
    new_memory: h.newContent,
    user_id: userId,
    categories: [],
    event: EVENT_OF[h.action],
    metadata: h.newMetadata ?? h.oldMetadata,
    actor: h.actor,
    created_at: h.at,
    updated_at: h.at,
  }));
}

/**
 * memspace `expiresAt` for a mem0 `expiration_date`: a date (`2025-12-31`) keeps the memory
 * through that whole day (UTC); an ISO time is used as it is.
 */
export function expiresAtOf(expiration: string | null): string | null {
  if (expiration === null) return null;
  return /^\d{4}-\d{2}-\d{2}$/.test(expiration) ? new Date(Date.parse(`${expiration}T00:00:00Z`) + DAY_MS).toISOString() : expiration;
}

/** Counts memories per user, agent and run: the entities of a space. */
export class EntityTally {
  private readonly byKey = new Map<string, Mem0Entity>();

  /** Counts one memory towards each entity it names. */
  add(m: Memory): void {
    for (const [type, name] of [['user', m.userId], ['agent', m.agentId], ['run', m.runId]] as const) {
      if (name === null) continue;
      const key = `${type}\u0000${name}`;
      const entity = this.byKey.get(key);
      if (entity === undefined) {
        this.byKey.set(key, { id: name, name, type, total_memories: 1, created_at: m.createdAt, updated_at: m.updatedAt, owner: null, organization: null, metadata: null });
      } else {
        entity.total_memories += 1;
        if (m.createdAt < entity.created_at) entity.created_at = m.createdAt;
        if (m.updatedAt > entity.updated_at) entity.updated_at = m.updatedAt;
      }
    }
  }

  /** Every entity, users first, then agents, then runs, each by name. */
  entities(): Mem0Entity[] {
    const order = { user: 0, agent: 1, run: 2 } as const;
    return [...this.byKey.values()].sort((a, b) => order[a.type] - order[b.type] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
