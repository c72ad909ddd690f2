import type { JSX } from 'preact';

/** A space's figures as `GET /v1/health/spaces` lists them (src/core/views.ts `SpaceHealthRow`). */
export interface SpaceRow {
  name: string;
  description: string;
  project: string | null;
  state: 'active' | 'idle' | 'archived' | 'damaged';
  open: boolean;
  memories: number | null;
  bytes: number | null;
  payloadBytes: number | null;
  indexLag: number | null;
  lastWriteAt: string | null;
  quotas: { maxMemories: number | null; maxBytes: number | null; maxRequestsPerSecond: number | null };
  retentionDays: number | null;
  error?: string;
}

export type ShownState = SpaceRow['state'];

/** How recent a write keeps a closed space "active": the server's idle timeout, by default. */
export const RECENT_WRITE_MS = 5 * 60_000;

/** What the badge says, in words, for the legend and the docs. */
export const STATE_LEGEND = 'active: open in this server, or written in the last 5 minutes; idle: closed; archived: packed into one file; damaged: its files failed to open.';

/**
 * The state the console shows, defined here once for the table, its filter and the space page:
 * the server's own (`active` = open in this process), and `active` too for a closed space
 * written in the last {@link RECENT_WRITE_MS} (by another process of a shared backend, or just
 * before it closed).
 */
export function shownState(row: Pick<SpaceRow, 'state' | 'lastWriteAt'>, now = Date.now()): ShownState {
  if (row.state !== 'idle') return row.state;
  return row.lastWriteAt !== null && now - Date.parse(row.lastWriteAt) < RECENT_WRITE_MS ? 'active' : 'idle';
}

/** The state as a text badge: the word is the signal, the colour only repeats it. */
export function StateBadge(props: { state: ShownState }): JSX.Element {
  return <span class={`badge ${props.state}`}>{props.state}</span>;
}

/** The index state in words: "up to date", or how many changes wait for the index. */
export function indexText(lag: number | null): string {
  if (lag === null) return '— (closed)';
  return lag === 0 ? 'up to date' : `${lag.toLocaleString('en-US')} behind`;
}
