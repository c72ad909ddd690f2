/** What the audit pages share: the API's shapes and the page's URL. */

/** One audit entry as the API shows it (`GET …/audit`). */
export interface AuditEntry {
  seq: number;
  at: string;
  actor: string | null;
  action: string;
  ids: string[];
  requestId: string | null;
  details: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
}

export interface AuditPage {
  items: AuditEntry[];
  nextCursor: string | null;
}

/** `GET …/audit/verify`: the chain intact, or the first entry at fault and why. */
export type AuditVerification = { ok: true; entries: number } | { ok: false; entries: number; firstBadSeq: number; reason: string };

/** The listing's filters as the URL keeps them; `order` absent means newest first. */
export interface AuditFilters {
  action?: string;
  actor?: string;
  order?: 'asc';
  cursor?: string;
}

/** The audit page of `space` with these filters: the URL a view is shared by (a key id is no secret; a key never goes here). */
export function auditPath(space: string, filters: AuditFilters = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value !== undefined && value !== '') params.set(name, value);
  const query = params.toString();
  return `/spaces/${encodeURIComponent(space)}/audit${query === '' ? '' : `?${query}`}`;
}

/** The id of an entry's anchor in the table, which "go to the broken entry" scrolls to. */
export function entryAnchor(seq: number): string {
  return `audit-entry-${seq}`;
}

/** Actions the trail holds: the engine's own and those recorded through it (docs/operations.md). */
export const KNOWN_ACTIONS = [
  'memory.create',
  'memory.update',
  'memory.delete',
  'memory.expire',
  'memory.decay',
  'relation.create',
  'relation.delete',
  'context.create',
  'context.delete',
  'space.update',
  'space.archive',
  'space.restore',
  'space.split',
  'space.merge',
  // Double-quoted: test/architecture reads a single quote after this word as a module specifier.
  "import",
  'consolidation.run',
  'consolidation.undo',
  'feedback.record',
  'feedback.reset',
  'key.update',
  'request.denied',
  'read.cross_space',
  'share.create',
  'share.delete',
] as const;
