import type { JSX } from 'preact';
import { Bar, Link } from '../ui/components.js';
import { formatAge, formatBytes, formatNumber } from '../ui/format.js';
import { Table, type Column } from '../ui/table.js';
import { indexText, shownState, StateBadge, type SpaceRow } from './spaces-state.js';

/** A quota used, as a bar with its figures written; no bar when the space has no such limit. */
function QuotaBar(props: { used: number | null; max: number | null; label: string; format(n: number | null): string }): JSX.Element {
  if (props.max === null) return <span class="muted">{props.format(props.used)} (no limit)</span>;
  return <Bar value={props.used ?? 0} max={props.max} label={props.label} tone="quota" text={`${props.format(props.used)} of ${props.format(props.max)}`} />;
}

/** The table's columns; `now` fixes "last write" ages and states for one render. */
function columns(now: number): Column<SpaceRow>[] {
  return [
    {
      key: 'name',
      label: 'Name',
      sort: (r) => r.name,
      render: (r) => (
        <>
          <Link to={`/spaces/${encodeURIComponent(r.name)}`}>{r.name}</Link>
          {r.description !== '' && <div class="muted spaces-description">{r.description}</div>}
        </>
      ),
    },
    { key: 'state', label: 'State', sort: (r) => shownState(r, now), render: (r) => <StateBadge state={shownState(r, now)} /> },
    { key: 'memories', label: 'Memories', numeric: true, sort: (r) => r.memories, render: (r) => formatNumber(r.memories) },
    { key: 'payload', label: 'Payload', numeric: true, sort: (r) => r.payloadBytes, render: (r) => formatBytes(r.payloadBytes) },
    { key: 'disk', label: 'On disk', numeric: true, sort: (r) => r.bytes, render: (r) => formatBytes(r.bytes) },
    {
      key: 'lastWrite',
      label: 'Last write',
      sort: (r) => (r.lastWriteAt === null ? null : -Date.parse(r.lastWriteAt)),
      render: (r) => (r.lastWriteAt === null ? <span class="muted">never</span> : <time dateTime={r.lastWriteAt} title={r.lastWriteAt}>{formatAge(r.lastWriteAt, now)}</time>),
    },
    { key: 'index', label: 'Index', sort: (r) => r.indexLag, render: (r) => <span class="spaces-nowrap">{indexText(r.indexLag)}</span> },
    {
      key: 'quotaMemories',
      label: 'Memories quota',
      sort: (r) => (r.quotas.maxMemories === null ? null : (r.memories ?? 0) / r.quotas.maxMemories),
      render: (r) => <QuotaBar used={r.memories} max={r.quotas.maxMemories} label={`${r.name} memories quota`} format={formatNumber} />,
    },
    {
      key: 'quotaBytes',
      label: 'Bytes quota',
      sort: (r) => (r.quotas.maxBytes === null ? null : (r.payloadBytes ?? 0) / r.quotas.maxBytes),
      render: (r) => <QuotaBar used={r.payloadBytes} max={r.quotas.maxBytes} label={`${r.name} bytes quota`} format={formatBytes} />,
    },
    { key: 'retention', label: 'Retention', numeric: true, sort: (r) => r.retentionDays, render: (r) => (r.retentionDays === null ? 'forever' : `${r.retentionDays} d`) },
  ];
}

/** The spaces of one page as a sortable table. */
export function SpacesTable(props: { rows: readonly SpaceRow[]; now: number; empty: string }): JSX.Element {
  return <Table caption="Spaces" columns={columns(props.now)} rows={props.rows} rowKey={(r) => r.name} empty={props.empty} initialSort={{ key: 'name' }} />;
}
