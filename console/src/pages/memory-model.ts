/** The memory API's shapes as the console reads them (src/core/views.ts), and small helpers its pages share. */
import type { Identity } from '../identity.js';

/** A memory as `GET …/memories/{id}` answers it. */
export interface Memory {
  id: string;
  content: string;
  metadata: Record<string, unknown>;
  tags: string[];
  userId: string | null;
  agentId: string | null;
  runId: string | null;
  kind: string;
  importance: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  lastAccessedAt: string | null;
  accessCount: number;
  supersededBy: string | null;
}

/** One page of `GET …/memories`. */
export interface MemoryPage {
  items: Memory[];
  nextCursor: string | null;
}

/** One entry of `GET …/memories/{id}/history`. */
export interface HistoryEntry {
  memoryId: string;
  action: 'create' | 'update' | 'delete' | 'supersede';
  oldContent: string | null;
  newContent: string | null;
  oldMetadata: Record<string, unknown> | null;
  newMetadata: Record<string, unknown> | null;
  actor: string | null;
  at: string;
}

/** A typed, directed edge of `GET …/memories/{id}/relations`. */
export interface Relation {
  id: string;
  from: string;
  to: string;
  type: string;
  weight: number;
  metadata: Record<string, unknown>;
  createdAt: string;
}

/** The console path of a space's memory list, with its query (filter, cursor) when given. */
export function memoriesPath(space: string, query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, value);
  const text = params.toString();
  return `/spaces/${encodeURIComponent(space)}/memories${text === '' ? '' : `?${text}`}`;
}

/** The console path of one memory's page. */
export function memoryPath(space: string, id: string): string {
  return `/spaces/${encodeURIComponent(space)}/memories/${encodeURIComponent(id)}`;
}

/** The first `max` characters of a text on one line, with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/**
 * Whether the key may write somewhere. Only to hide buttons a read-only key would have refused:
 * the engine decides, and a refusal still shows with its code.
 */
export function mayWrite(identity: Identity): boolean {
  return identity.grants.some((g) => g.role === 'write' || g.role === 'admin');
}

/** Tags typed as `a, b c`: split on commas (a tag may hold spaces), trimmed, blanks dropped, each once. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(',').map((t) => t.trim()).filter((t) => t !== ''))];
}

/** A metadata object typed as JSON (blank: `{}`); throws an Error naming the problem otherwise. */
export function parseMetadata(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('Metadata is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('Metadata must be a JSON object, like {"topic": "deploys"}.');
  return value as Record<string, unknown>;
}
