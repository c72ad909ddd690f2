import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { isAdmin, useIdentity } from '../identity.js';
import { ErrorNote, Field, Page } from '../ui/components.js';
import { useLoad } from '../ui/load.js';
import { NewSpaceForm } from './spaces-new.js';
import { shownState, STATE_LEGEND, type ShownState, type SpaceRow } from './spaces-state.js';
import { SpacesTable } from './spaces-table.js';

/** Rows per page: each row reads a space's figures on the server. */
const PAGE_SIZE = 50;
const STATES: ShownState[] = ['active', 'idle', 'archived', 'damaged'];

/** The filter: a name prefix (asked of the server) and a state (applied to the page shown). */
function Filters(props: { prefix: string; state: string; onPrefix(prefix: string): void; onState(state: string): void }): JSX.Element {
  const [draft, setDraft] = useState(props.prefix);
  return (
    <form
      class="form-row spaces-filters"
      role="search"
      aria-label="Filter spaces"
      onSubmit={(e) => {
        e.preventDefault();
        props.onPrefix(draft.trim());
      }}
    >
      <Field id="spaces-prefix" label="Name starts with">
        <input id="spaces-prefix" type="search" value={draft} maxLength={64} autoComplete="off" onInput={(e) => setDraft(e.currentTarget.value)} />
      </Field>
      <Field id="spaces-state" label="State">
        <select id="spaces-state" value={props.state} onChange={(e) => props.onState(e.currentTarget.value)}>
          <option value="">any</option>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </Field>
      <div class="field">
        <button type="submit">Filter</button>
      </div>
    </form>
  );
}

/** The spaces the key can see, a page at a time, with their figures and quotas. */
export function SpacesPage(): JSX.Element {
  const identity = useIdentity();
  const [prefix, setPrefix] = useState('');
  const [state, setState] = useState('');
  // The cursors of the pages before the one shown, so "Previous page" can go back.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const loaded = useLoad((signal) => api<{ items: SpaceRow[]; nextCursor: string | null }>('GET', '/v1/health/spaces', { query: { prefix, limit: PAGE_SIZE, cursor }, signal }), [prefix, cursor]);
  const now = Date.now();
  const rows = (loaded.data?.items ?? []).filter((r) => state === '' || shownState(r, now) === state);
  const next = loaded.data?.nextCursor ?? null;
  return (
    <Page title="Spaces" ready={!loaded.loading} actions={isAdmin(identity) ? <NewSpaceForm onCreated={loaded.reload} /> : undefined}>
      <Filters
        prefix={prefix}
        state={state}
        onPrefix={(p) => {
          setPrefix(p);
          setCursors([undefined]);
        }}
        onState={setState}
      />
      <ErrorNote error={loaded.error} />
      <p class="muted spaces-summary" role="status" aria-live="polite">
        {loaded.loading
          ? 'Loading…'
          : `${rows.length} space${rows.length === 1 ? '' : 's'} shown${prefix === '' ? '' : ` starting with “${prefix}”`}${state === '' ? '' : `, ${state} only`}; page ${cursors.length}.`}
      </p>
      {loaded.data !== undefined && <SpacesTable rows={rows} now={now} empty={state === '' ? 'No space visible to this key matches.' : `No ${state} space on this page.`} />}
      <div class="actions spaces-paging">
        <button type="button" disabled={cursors.length === 1 || loaded.loading} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <button type="button" disabled={next === null || loaded.loading} onClick={() => setCursors([...cursors, next!])}>
          Next page
        </button>
      </div>
      <p class="muted spaces-legend">States — {STATE_LEGEND}</p>
    </Page>
  );
}
