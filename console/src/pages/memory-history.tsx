import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, spacePath } from '../api.js';
import { ErrorNote, Field, Loading } from '../ui/components.js';
import type { Loaded } from '../ui/load.js';
import { formatTime } from '../ui/format.js';
import { Table } from '../ui/table.js';
import { LineDiff, WordDiff } from './memory-diff.js';
import { truncate, type HistoryEntry } from './memory-model.js';

/** A state of the memory the history records: what a create or an update left. */
interface Version {
  number: number;
  entry: HistoryEntry;
  content: string;
  metadata: Record<string, unknown>;
}

/** Loads a memory's history, oldest first. */
export function loadHistory(space: string, id: string, signal: AbortSignal): Promise<HistoryEntry[]> {
  return api<{ history: HistoryEntry[] }>('GET', spacePath(space, `/memories/${encodeURIComponent(id)}/history`), { signal }).then((r) => r.history);
}

/** The versions among history entries: each create and update, numbered from 1 (supersede and delete entries change no content). */
function versionsOf(history: readonly HistoryEntry[]): Version[] {
  return history
    .filter((e) => (e.action === 'create' || e.action === 'update') && e.newContent !== null)
    .map((entry, i) => ({ number: i + 1, entry, content: entry.newContent!, metadata: entry.newMetadata ?? {} }));
}

/** The history section of a memory's page: every entry, and a diff between two chosen versions. */
export function HistorySection(props: { history: Loaded<HistoryEntry[]> }): JSX.Element {
  const { data, error } = props.history;
  const versions = data === undefined ? [] : versionsOf(data);
  return (
    <section aria-labelledby="memory-history-h">
      <h2 id="memory-history-h">History</h2>
      <ErrorNote error={error} />
      {data === undefined ? (
        error === undefined && <Loading />
      ) : (
        <>
          <p class="muted" aria-live="polite">
            {versions.length === 1 ? '1 version' : `${versions.length} versions`}, {data.length === 1 ? '1 entry' : `${data.length} entries`}.
          </p>
          <Table
            caption="History entries, oldest first"
            rows={data.map((entry, i) => ({ entry, i }))}
            rowKey={(r) => String(r.i)}
            columns={[
              { key: 'at', label: 'When (UTC)', render: (r) => formatTime(r.entry.at) },
              { key: 'action', label: 'Action', render: (r) => r.entry.action },
              { key: 'actor', label: 'By', render: (r) => r.entry.actor ?? '—' },
              { key: 'content', label: 'Content after', render: (r) => (r.entry.newContent === null ? '—' : truncate(r.entry.newContent, 100)) },
            ]}
          />
          {/* Keyed by the count: after an edit, the comparison starts again from the latest two. */}
          <Compare key={versions.length} versions={versions} />
        </>
      )}
    </section>
  );
}

function versionLabel(v: Version): string {
  return `Version ${v.number} (${v.entry.action}, ${formatTime(v.entry.at)})`;
}

/** Two version pickers and the differences between them: content word by word, metadata line by line. */
function Compare(props: { versions: Version[] }): JSX.Element {
  const count = props.versions.length;
  const [from, setFrom] = useState(Math.max(1, count - 1));
  const [to, setTo] = useState(count);
  if (count < 2) return <p class="muted">Only one version so far: edit the memory to compare versions.</p>;
  const before = props.versions[from - 1] ?? props.versions[0]!;
  const after = props.versions[to - 1] ?? props.versions[count - 1]!;
  const pick = (id: string, label: string, value: number, set: (n: number) => void): JSX.Element => (
    <Field id={id} label={label}>
      <select id={id} value={String(value)} onChange={(e) => set(Number((e.target as HTMLSelectElement).value))}>
        {props.versions.map((v) => (
          <option key={v.number} value={String(v.number)}>
            {versionLabel(v)}
          </option>
        ))}
      </select>
    </Field>
  );
  return (
    <section aria-labelledby="memory-compare-h" class="memory-compare">
      <h3 id="memory-compare-h">Compare versions</h3>
      <div class="form-row">
        {pick('memory-diff-from', 'From (older)', from, setFrom)}
        {pick('memory-diff-to', 'To (newer)', to, setTo)}
      </div>
      <p class="muted memory-diff-legend">
        Removed text is <del>struck through</del> and added text is <ins>underlined</ins>; in the metadata, lines start with - or +.
      </p>
      <div aria-live="polite">
        {before.content === after.content && JSON.stringify(before.metadata) === JSON.stringify(after.metadata) && (
          <p class="note">
            Versions {before.number} and {after.number} have the same content and metadata: the update between them changed another field (tags, importance,
            scopes, expiry), which the history does not keep.
          </p>
        )}
        <h4>Content: version {before.number} → version {after.number}</h4>
        <WordDiff before={before.content} after={after.content} />
        <h4>Metadata</h4>
        <LineDiff label="metadata" before={JSON.stringify(before.metadata, null, 2)} after={JSON.stringify(after.metadata, null, 2)} />
      </div>
    </section>
  );
}
