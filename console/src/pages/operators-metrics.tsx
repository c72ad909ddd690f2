import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { currentKey } from '../session.js';
import { formatBytes, formatNumber } from '../ui/format.js';

/**
 * `/metrics` as text. It needs the key like every call, so a plain link would be refused: it is
 * fetched with the key in the Authorization header, never in the URL.
 */
export async function fetchMetrics(signal: AbortSignal): Promise<string> {
  const key = currentKey();
  const response = await fetch('/metrics', { headers: key === null ? {} : { authorization: `Bearer ${key}` }, signal, cache: 'no-store', credentials: 'omit' });
  const text = await response.text();
  if (!response.ok) {
    const error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? response.statusText);
  }
  return text;
}

/** Each metric's value summed over its series (`name{labels} value` lines of the text format). */
export function sumMetrics(text: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{.*\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const value = Number(match[2]);
    if (Number.isFinite(value)) sums.set(match[1]!, (sums.get(match[1]!) ?? 0) + value);
  }
  return sums;
}

/** The figures the page picks out of `/metrics`, with how each reads. */
const PICKED: { name: string; label: string; format?(value: number): string }[] = [
  { name: 'memspace_http_requests_total', label: 'HTTP requests' },
  { name: 'memspace_open_spaces', label: 'Open spaces' },
  { name: 'memspace_space_opens_total', label: 'Space opens' },
  { name: 'memspace_space_evictions_total', label: 'Evictions (cap)' },
  { name: 'memspace_space_idle_closes_total', label: 'Idle closes' },
  { name: 'memspace_space_open_failures_total', label: 'Failed opens' },
  { name: 'memspace_sweeps_total', label: 'Retention sweeps' },
  { name: 'memspace_swept_memories_total', label: 'Memories swept' },
  { name: 'memspace_consolidation_runs_total', label: 'Consolidation passes' },
  { name: 'memspace_feedback_signals_total', label: 'Feedback signals' },
  { name: 'process_resident_memory_bytes', label: 'Resident memory', format: formatBytes },
];

/** Selected figures of `/metrics`, and the whole text on request. */
export function MetricsPanel(props: { text: string }): JSX.Element {
  const [raw, setRaw] = useState(false);
  const sums = sumMetrics(props.text);
  const shown = PICKED.filter((p) => sums.has(p.name));
  return (
    <section aria-labelledby="operators-metrics-title">
      <h2 id="operators-metrics-title">Metrics</h2>
      <p class="muted">
        From <code>/metrics</code>, fetched with this key (the endpoint needs it, so a plain link would be refused). Counters run since the process started.
      </p>
      <dl class="operators-metrics">
        {shown.map((p) => (
          <div key={p.name} class="operators-metric">
            <dt>
              {p.label} <code class="muted">{p.name}</code>
            </dt>
            <dd>{(p.format ?? formatNumber)(sums.get(p.name)!)}</dd>
          </div>
        ))}
      </dl>
      <button type="button" aria-expanded={raw} aria-controls="operators-raw" onClick={() => setRaw(!raw)}>
        {raw ? 'Hide raw metrics' : 'View raw metrics'}
      </button>
      {raw && (
        <pre id="operators-raw" class="operators-raw" tabIndex={0} aria-label="Raw metrics, Prometheus text format">
          {props.text}
        </pre>
      )}
    </section>
  );
}
