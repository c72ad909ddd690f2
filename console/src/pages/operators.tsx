import type { JSX } from 'preact';
import { api } from '../api.js';
import { isOperator, useIdentity } from '../identity.js';
import { ErrorNote, Link, Loading, Page } from '../ui/components.js';
import { formatAge, formatNumber, formatTime } from '../ui/format.js';
import { useLoad } from '../ui/load.js';
import { Table, type Column } from '../ui/table.js';
import { fetchMetrics, MetricsPanel } from './operators-metrics.js';

/** `GET /v1/operators/registry` (src/core/response-schemas.ts `RegistryReport`). */
interface RegistryReport {
  open: number;
  cap: number;
  opens: number;
  evictions: number;
  idleCloses: number;
  openFailures: number;
  openSpaces: { name: string; recency: number; memories: number | null; lastWriteAt: string | null }[];
  openTruncated: boolean;
  damaged: { name: string; error: string | null }[];
  damagedTruncated: boolean;
}

interface Health {
  status: 'ok' | 'degraded';
  ready: boolean;
  damagedSpaces?: number;
}

interface OperatorData {
  health: Health;
  registry: RegistryReport;
  metrics: string | { error: unknown };
}

/**
 * The process as operators see it (keys with a grant over every space): the open-space
 * registry, damaged spaces and `/metrics`. Any other key is told it may not, as the API says;
 * nothing of other spaces is asked for.
 */
export function OperatorsPage(): JSX.Element {
  const identity = useIdentity();
  if (!isOperator(identity)) {
    return (
      <Page title="Operators" ready={true}>
        <div class="note error" role="alert">
          <strong>FORBIDDEN</strong> Only a key whose grants cover every space (prefix "") sees the registry and the metrics of this process.
        </div>
      </Page>
    );
  }
  return <OperatorsView />;
}

async function load(signal: AbortSignal): Promise<OperatorData> {
  const [health, registry, metrics] = await Promise.all([
    // /v1/health answers 503 with the same body when not ready: still worth showing.
    api<Health>('GET', '/v1/health', { signal }),
    api<RegistryReport>('GET', '/v1/operators/registry', { signal }),
    fetchMetrics(signal).catch((error: unknown) => ({ error })),
  ]);
  return { health, registry, metrics };
}

function OperatorsView(): JSX.Element {
  const data = useLoad(load, []);
  const ready = data.data !== undefined || data.error !== undefined;
  return (
    <Page
      title="Operators"
      ready={ready}
      actions={
        <button type="button" onClick={data.reload} disabled={data.loading}>
          Refresh
        </button>
      }
    >
      <ErrorNote error={data.error} />
      {!ready && <Loading />}
      {data.data !== undefined && <Registry data={data.data} />}
      {data.data !== undefined && (typeof data.data.metrics === 'string' ? <MetricsPanel text={data.data.metrics} /> : <ErrorNote error={data.data.metrics.error} />)}
    </Page>
  );
}

const OPEN: Column<RegistryReport['openSpaces'][number]>[] = [
  { key: 'recency', label: 'Recency', render: (s) => (s.recency === 1 ? '1 (last used)' : String(s.recency)), sort: (s) => s.recency, numeric: true },
  { key: 'name', label: 'Space', render: (s) => <Link to={`/spaces/${encodeURIComponent(s.name)}`}>{s.name}</Link>, sort: (s) => s.name },
  { key: 'memories', label: 'Memories', render: (s) => formatNumber(s.memories), sort: (s) => s.memories, numeric: true },
  { key: 'write', label: 'Last write', render: (s) => (s.lastWriteAt === null ? 'never' : `${formatTime(s.lastWriteAt)} (${formatAge(s.lastWriteAt)})`), sort: (s) => s.lastWriteAt },
];

const DAMAGED: Column<RegistryReport['damaged'][number]>[] = [
  { key: 'name', label: 'Space', render: (s) => <Link to={`/spaces/${encodeURIComponent(s.name)}`}>{s.name}</Link>, sort: (s) => s.name },
  { key: 'error', label: 'Error', render: (s) => s.error ?? 'marked damaged; not opened by this process since it started' },
];

function Registry(props: { data: OperatorData }): JSX.Element {
  const { health, registry } = props.data;
  const figures: [string, string][] = [
    ['Status', `${health.status}${health.ready ? ', ready' : ', not ready'}`],
    ['Open spaces', `${formatNumber(registry.open)} of ${formatNumber(registry.cap)} (cap)`],
    ['Evictions', formatNumber(registry.evictions)],
    ['Idle closes', formatNumber(registry.idleCloses)],
    ['Opens', formatNumber(registry.opens)],
    ['Failed opens', formatNumber(registry.openFailures)],
    ['Damaged spaces', formatNumber(registry.damaged.length)],
  ];
  return (
    <>
      <h2>Registry</h2>
      <div class="cards operators-cards">
        {figures.map(([label, value]) => (
          <div class="card" key={label}>
            <h3>{label}</h3>
            <p class={`figure ${label === 'Status' && health.status !== 'ok' ? 'operators-bad' : ''}`}>{value}</p>
          </div>
        ))}
      </div>
      <h2>Open spaces</h2>
      <p class="muted">Most recently used first: past the cap, the least recently used idle space is closed. Counters run since the process started.</p>
      <Table caption="Open spaces" columns={OPEN} rows={registry.openSpaces} rowKey={(s) => s.name} empty="No space is open." />
      {registry.openTruncated && <p class="muted">Only the 200 most recently used are listed.</p>}
      <h2>Damaged spaces</h2>
      <Table caption="Damaged spaces" columns={DAMAGED} rows={registry.damaged} rowKey={(s) => s.name} empty="No space is marked damaged." />
      {registry.damagedTruncated && <p class="muted">Only the first 100 are listed.</p>}
    </>
  );
}
