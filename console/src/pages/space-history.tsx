import type { JSX } from 'preact';
import { Sparkline } from '../ui/components.js';
import { formatBytes, formatNumber } from '../ui/format.js';

/** `GET /v1/spaces/{space}/health/history` (src/core/views.ts `HealthHistory`). */
export interface HealthHistoryView {
  space: string;
  intervalMs: number;
  samples: { at: string; memories: number; payloadBytes: number; bytes: number; indexLag: number; writes: number | null }[];
}

/**
 * The last hour as the server sampled it: sparklines of memories, payload bytes and writes, each
 * with its latest figure written beside it.
 */
export function SpaceHistory(props: { history: HealthHistoryView }): JSX.Element {
  const { samples, intervalMs } = props.history;
  const every = intervalMs === 0 ? 'Sampling is off in this server.' : `Sampled every ${Math.round(intervalMs / 1000)} s while the space is open in this server.`;
  if (samples.length === 0) {
    return (
      <p class="muted space-history-empty">
        No samples yet. {every}
      </p>
    );
  }
  const last = samples[samples.length - 1]!;
  const rows: { label: string; values: number[]; now: string }[] = [
    { label: 'Memories', values: samples.map((s) => s.memories), now: formatNumber(last.memories) },
    { label: 'Payload bytes', values: samples.map((s) => s.payloadBytes), now: formatBytes(last.payloadBytes) },
    { label: 'Writes per sample', values: samples.map((s) => s.writes ?? 0), now: formatNumber(last.writes) },
    { label: 'Index lag', values: samples.map((s) => s.indexLag), now: formatNumber(last.indexLag) },
  ];
  return (
    <>
      <p class="muted">
        {samples.length} sample{samples.length === 1 ? '' : 's'} from {samples[0]!.at.slice(11, 19)} to {last.at.slice(11, 19)} UTC. {every}
      </p>
      <dl class="props space-history">
        {rows.map((r) => (
          <div key={r.label} class="space-history-row">
            <dt>{r.label}</dt>
            <dd>
              <Sparkline values={r.values} label={`${r.label}, last hour`} /> <span class="space-history-now">latest {r.now}</span>
            </dd>
          </div>
        ))}
      </dl>
    </>
  );
}
