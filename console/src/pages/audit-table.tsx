import type { JSX } from 'preact';
import { Link } from '../ui/components.js';
import { formatTime } from '../ui/format.js';
import { Table } from '../ui/table.js';
import { auditPath, entryAnchor, type AuditEntry, type AuditFilters } from './audit-model.js';

/** Longest details shown in a row; the rest is a click away, so a large entry does not stretch the table. */
const DETAILS_CHARS = 160;
/** Characters of a hash shown: enough to compare by eye with `memspace audit` or an export. */
const HASH_CHARS = 12;

/** The entry's ids and details as compact JSON. */
export function compactDetails(entry: AuditEntry): string {
  const shown: Record<string, unknown> = {};
  if (entry.ids.length > 0) shown['ids'] = entry.ids.length > 3 ? [...entry.ids.slice(0, 3), `… ${entry.ids.length - 3} more`] : entry.ids;
  if (entry.details !== null) Object.assign(shown, entry.details);
  return Object.keys(shown).length === 0 ? '' : JSON.stringify(shown);
}

function Details(props: { entry: AuditEntry }): JSX.Element {
  const text = compactDetails(props.entry);
  const request = props.entry.requestId === null ? null : <span class="muted audit-request">request {props.entry.requestId}</span>;
  if (text.length <= DETAILS_CHARS) {
    return (
      <>
        {text === '' ? <span class="muted">none</span> : <code class="audit-json">{text}</code>}
        {request}
      </>
    );
  }
  return (
    <details class="audit-more">
      <summary>
        <code class="audit-json">{text.slice(0, DETAILS_CHARS)}…</code>
      </summary>
      <pre class="audit-json">{JSON.stringify({ ids: props.entry.ids, details: props.entry.details }, null, 2)}</pre>
      {request}
    </details>
  );
}

/** Who wrote the entry: the key's name when this key administers it, its id, or the server's own name; a link filters by it. */
function Actor(props: { space: string; actor: string | null; names: ReadonlyMap<string, string>; filters: AuditFilters }): JSX.Element {
  if (props.actor === null) return <span class="muted">none</span>;
  const name = props.names.get(props.actor);
  return (
    <Link to={auditPath(props.space, { ...props.filters, actor: props.actor, cursor: undefined })} class="audit-actor">
      {name !== undefined && <span class="audit-actor-name">{name} </span>}
      <span class="mono">{props.actor}</span>
      <span class="sr-only"> (show only this key's entries)</span>
    </Link>
  );
}

/** The seq, with the entry's anchor; the first broken entry is marked in words, not colour alone. */
function Seq(props: { seq: number; broken: boolean }): JSX.Element {
  return (
    <span id={entryAnchor(props.seq)} tabIndex={-1} class={props.broken ? 'audit-seq broken' : 'audit-seq'}>
      {props.seq}
      {props.broken && (
        <strong class="audit-broken">
          <span aria-hidden="true"> ⚠</span> first broken entry
        </strong>
      )}
    </span>
  );
}

/** A page of the trail, in the order the API gave it. */
export function AuditTable(props: { space: string; entries: readonly AuditEntry[]; names: ReadonlyMap<string, string>; filters: AuditFilters; brokenSeq: number | undefined; filtered: boolean }): JSX.Element {
  const order = props.filters.order === 'asc' ? 'oldest first' : 'newest first';
  return (
    <Table
      caption={`Audit entries, ${order}`}
      rows={props.entries}
      rowKey={(e) => String(e.seq)}
      empty={props.filtered ? 'No entry matches these filters.' : 'This space has no audit entry yet.'}
      columns={[
        { key: 'seq', label: 'Seq', numeric: true, render: (e) => <Seq seq={e.seq} broken={e.seq === props.brokenSeq} /> },
        { key: 'at', label: 'Time (UTC)', render: (e) => <span class="audit-time">{formatTime(e.at)}</span> },
        { key: 'action', label: 'Action', render: (e) => <span class="mono">{e.action}</span> },
        { key: 'actor', label: 'Key (actor)', render: (e) => <Actor space={props.space} actor={e.actor} names={props.names} filters={props.filters} /> },
        { key: 'details', label: 'Details', render: (e) => <Details entry={e} /> },
        { key: 'hash', label: 'Hash', render: (e) => <code title={e.hash}>{e.hash.slice(0, HASH_CHARS)}</code> },
      ]}
    />
  );
}
