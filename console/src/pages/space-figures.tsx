import type { JSX } from 'preact';
import { Bar } from '../ui/components.js';
import { formatAge, formatBytes, formatNumber, formatTime } from '../ui/format.js';
import { indexText, shownState, StateBadge, type SpaceRow } from './spaces-state.js';

/** `GET /v1/spaces/{space}/health` (src/core/views.ts `SpaceHealth`): the fields this page reads. */
export interface SpaceHealthView extends Omit<SpaceRow, 'description' | 'project'> {
  walBytes: number | null;
  walLagMs: number | null;
}

function Card(props: { title: string; children: JSX.Element | string; note?: string }): JSX.Element {
  return (
    <section class="card" aria-label={props.title}>
      <h3>{props.title}</h3>
      <div class="figure">{props.children}</div>
      {props.note !== undefined && <div class="muted">{props.note}</div>}
    </section>
  );
}

/** A space's figures as cards: state, memories, bytes, index, last write. */
export function SpaceFigures(props: { health: SpaceHealthView; now: number }): JSX.Element {
  const h = props.health;
  return (
    <div class="cards space-cards">
      <Card title="State" note={h.open ? 'open in this server' : 'not open in this server'}>
        <StateBadge state={shownState(h, props.now)} />
      </Card>
      <Card title="Memories">{formatNumber(h.memories)}</Card>
      <Card title="Payload" note="counted against the bytes quota">
        {formatBytes(h.payloadBytes)}
      </Card>
      <Card title="On disk" note={h.walBytes === null ? undefined : `WAL ${formatBytes(h.walBytes)}`}>
        {formatBytes(h.bytes)}
      </Card>
      <Card title="Index">{indexText(h.indexLag)}</Card>
      <Card title="Last write" note={formatTime(h.lastWriteAt)}>
        {formatAge(h.lastWriteAt, props.now)}
      </Card>
    </div>
  );
}

/** Quotas used, as bars with their figures written, and the retention. */
export function SpaceQuotas(props: { health: SpaceHealthView }): JSX.Element {
  const { quotas, memories, payloadBytes, retentionDays } = props.health;
  return (
    <dl class="props space-quotas">
      <dt>Memories</dt>
      <dd>
        {quotas.maxMemories === null ? (
          `${formatNumber(memories)} (no limit)`
        ) : (
          <Bar value={memories ?? 0} max={quotas.maxMemories} tone="quota" label="Memories quota" text={`${formatNumber(memories)} of ${formatNumber(quotas.maxMemories)}`} />
        )}
      </dd>
      <dt>Payload bytes</dt>
      <dd>
        {quotas.maxBytes === null ? (
          `${formatBytes(payloadBytes)} (no limit)`
        ) : (
          <Bar value={payloadBytes ?? 0} max={quotas.maxBytes} tone="quota" label="Bytes quota" text={`${formatBytes(payloadBytes)} of ${formatBytes(quotas.maxBytes)}`} />
        )}
      </dd>
      <dt>Requests per second</dt>
      <dd>{quotas.maxRequestsPerSecond === null ? 'no limit' : formatNumber(quotas.maxRequestsPerSecond)}</dd>
      <dt>Retention</dt>
      <dd>{retentionDays === null ? 'kept forever' : `${retentionDays} days`}</dd>
    </dl>
  );
}
