import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, spacePath } from '../api.js';
import { navigate, useLocation } from '../router.js';
import { ErrorNote, Page } from '../ui/components.js';
import { formatNumber } from '../ui/format.js';
import { useLoad } from '../ui/load.js';
import { SpaceTabs } from '../ui/space-tabs.js';
import { SearchForm } from './search-form.js';
import { movesFrom, missingFrom, readState, requestOf, wasRun, writeState, type Hit, type SearchState } from './search-query.js';
import { RequestDetails } from './search-request.js';
import { Legend, ResultColumn, type Outcome } from './search-results.js';

/** The parts of `GET /v1/spaces/{space}` the page shows. */
interface SpaceInfo {
  name: string;
  embedder: string;
  dimension: number;
  stats: { memories: number };
}

/** The searches of one submitted state: `key` ties them to it, so a late answer never shows under newer settings. */
interface Run {
  key: string;
  a: Outcome;
  b?: Outcome;
}

/**
 * The search playground: one query under one or two settings (mode, weights, fusion, limit,
 * threshold, rank weights), each hit with its vector, keyword and fused scores as bars. The
 * settings live in the page's query string, so a search can be shared as a link; the search runs
 * from it, and the form is a draft until Search is pressed.
 */
export function SearchPage(props: { space: string }): JSX.Element {
  const { space } = props;
  const { query } = useLocation();
  const qs = query.toString();
  const asked = useMemo(() => readState(new URLSearchParams(qs)), [qs]);
  const [draft, setDraft] = useState<SearchState>(asked);
  // Back and forward show the form of the search shown.
  useEffect(() => setDraft(asked), [asked]);
  const [round, setRound] = useState(0);
  const info = useLoad((signal) => api<SpaceInfo>('GET', spacePath(space), { signal }), [space]);
  // A missing (or hidden) space is told once, by the space's own answer, rather than by a search too.
  const runKey = info.data !== undefined && wasRun(query) ? `${space}?${qs}#${round}` : '';
  const run = useLoad((signal) => runSearches(space, asked, runKey, signal), [runKey]);
  const current = run.data?.key === runKey ? run.data : undefined;
  const ready = !info.loading && (runKey === '' || current !== undefined);
  const title = `Search · ${space}`;

  if (info.error !== undefined) {
    return (
      <Page title={title} ready={!info.loading}>
        <ErrorNote error={info.error} />
      </Page>
    );
  }
  const submit = (): void => {
    const next = writeState(draft);
    if (next === qs) setRound((n) => n + 1);
    else navigate(`/spaces/${encodeURIComponent(space)}/search?${next}`);
  };
  return (
    <Page title={title} ready={ready}>
      <SpaceTabs space={space} current="/search" />
      {info.data !== undefined && (
        <p class="muted">
          {formatNumber(info.data.stats.memories)} memories · embedder <code>{info.data.embedder}</code> ({info.data.dimension} dimensions)
        </p>
      )}
      <SearchForm state={draft} busy={runKey !== '' && current === undefined} onChange={setDraft} onSubmit={submit} />
      <RequestDetails space={space} state={draft} />
      <Results space={space} asked={asked} run={runKey === '' ? undefined : (current ?? run.data)} searching={runKey !== '' && current === undefined} />
    </Page>
  );
}

/** Runs the search of each side; a refusal is kept as that side's outcome, never thrown. */
async function runSearches(space: string, state: SearchState, key: string, signal: AbortSignal): Promise<Run | undefined> {
  if (key === '') return undefined;
  const one = async (side: 'a' | 'b'): Promise<Outcome> => {
    const request = requestOf(state, side);
    if ('error' in request) return { error: new Error(request.error) };
    try {
      return { hits: (await api<{ results: Hit[] }>('POST', spacePath(space, '/search'), { body: request.body, signal })).results };
    } catch (error) {
      return { error };
    }
  };
  const [a, b] = await Promise.all([one('a'), state.compare ? one('b') : undefined]);
  return { key, a, ...(b !== undefined && { b }) };
}

/** The results of the search shown: one column, or A and B side by side with their rank moves. */
function Results(props: { space: string; asked: SearchState; run: Run | undefined; searching: boolean }): JSX.Element {
  const { asked, run } = props;
  const compare = asked.compare && run?.b !== undefined;
  return (
    <section class="search-results" aria-labelledby="search-results-heading">
      <h2 id="search-results-heading">Results</h2>
      <p role="status" aria-live="polite" class="search-status">
        {props.searching ? 'Searching…' : run === undefined ? 'Type a query and press Search.' : summary(run)}
      </p>
      {run !== undefined && <Legend compare={compare} />}
      {run !== undefined && !compare && <ResultColumn space={props.space} side="a" settings={asked.a} outcome={run.a} />}
      {run !== undefined && compare && (
        <div class="columns search-columns">
          <ResultColumn space={props.space} side="a" title="Settings A" settings={asked.a} outcome={run.a} moves={missingFrom(run.b!.hits ?? [], run.a.hits ?? [])} />
          <ResultColumn space={props.space} side="b" title="Settings B" settings={asked.b} outcome={run.b} moves={movesFrom(run.a.hits ?? [], run.b!.hits ?? [])} />
        </div>
      )}
    </section>
  );
}

/** The run in a few words, for the live status line. */
function summary(run: Run): string {
  const count = (o: Outcome): string => (o.hits !== undefined ? `${o.hits.length} ${o.hits.length === 1 ? 'result' : 'results'}` : 'refused');
  return run.b === undefined ? `${count(run.a)}.` : `A: ${count(run.a)}; B: ${count(run.b)}.`;
}
