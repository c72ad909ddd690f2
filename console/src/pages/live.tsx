import type { JSX } from 'preact';
import { useEffect, useReducer, useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { ErrorNote, Link, Page } from '../ui/components.js';
import { formatNumber, formatTime } from '../ui/format.js';
import { SpaceTabs } from '../ui/space-tabs.js';
import { Table } from '../ui/table.js';
import { followChanges, type ChangeEvent, type LiveState } from './live-stream.js';

/** Most events the list keeps (and holds while paused): the newest; older ones scroll away. */
export const LIVE_CAP = 200;

/** What the page shows: the list (newest first), and what arrived while paused. */
interface Feed {
  shown: ChangeEvent[];
  /** Held while paused, newest first, at most {@link LIVE_CAP}. */
  held: ChangeEvent[];
  /** Every event held since the pause, counted even beyond the cap. */
  heldCount: number;
  paused: boolean;
  received: number;
}

type FeedAction = { type: 'event'; event: ChangeEvent } | { type: 'pause' } | { type: 'resume' } | { type: 'clear' } | { type: 'reset' };

const EMPTY: Feed = { shown: [], held: [], heldCount: 0, paused: false, received: 0 };

function feedReducer(feed: Feed, action: FeedAction): Feed {
  switch (action.type) {
    case 'event':
      return feed.paused
        ? { ...feed, held: [action.event, ...feed.held].slice(0, LIVE_CAP), heldCount: feed.heldCount + 1, received: feed.received + 1 }
        : { ...feed, shown: [action.event, ...feed.shown].slice(0, LIVE_CAP), received: feed.received + 1 };
    case 'pause':
      return { ...feed, paused: true };
    case 'resume':
      return { ...feed, paused: false, shown: [...feed.held, ...feed.shown].slice(0, LIVE_CAP), held: [], heldCount: 0 };
    case 'clear':
      return { ...feed, shown: [] };
    case 'reset':
      return EMPTY;
  }
}

/**
 * A space's changes as they are committed, newest at the top. It follows from now on, resumes
 * after a drop from the last event it received (nothing lost, nothing twice), and stops the
 * stream when the page is left.
 */
export function LivePage(props: { space: string }): JSX.Element {
  const { space } = props;
  const [feed, dispatch] = useReducer(feedReducer, EMPTY);
  const [state, setState] = useState<LiveState>({ kind: 'connecting' });
  // Ready once the first connection is settled (open, or refused): a reconnection later does not make the page busy again.
  const [settled, setSettled] = useState(false);
  // Bumped by "Follow again from now", after a refusal such as CURSOR_EXPIRED ended the stream.
  const [round, setRound] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    const onState = (next: LiveState): void => {
      setState(next);
      if (next.kind !== 'connecting') setSettled(true);
    };
    void followChanges(space, controller.signal, (event) => dispatch({ type: 'event', event }), onState);
    return () => {
      controller.abort();
      dispatch({ type: 'reset' });
      setSettled(false);
    };
  }, [space, round]);
  const failed = state.kind === 'failed' ? state.error : undefined;
  const missing = failed instanceof ApiError && failed.code === 'SPACE_NOT_FOUND';
  return (
    <Page title={`Live changes of ${space}`} ready={settled}>
      <SpaceTabs space={space} current="/live" />
      {missing ? (
        <ErrorNote error={failed} />
      ) : (
        <>
          <LiveControls feed={feed} state={state} dispatch={dispatch} />
          <ErrorNote error={failed} />
          {failed !== undefined && (
            <button type="button" onClick={() => setRound((n) => n + 1)}>
              Follow again from now
            </button>
          )}
          <h2>Changes, newest first</h2>
          <LiveTable space={space} events={feed.shown} />
        </>
      )}
    </Page>
  );
}

/** The connection as words: what a screen reader announces and what sits beside any colour. */
export function describeState(state: LiveState): string {
  switch (state.kind) {
    case 'connecting':
      return 'Connecting…';
    case 'open':
      return state.reconnects === 0
        ? 'Connected: changes appear as they are committed.'
        : `Connected again after event ${state.position ?? '(none yet)'}; reconnected ${state.reconnects} ${state.reconnects === 1 ? 'time' : 'times'}, nothing missed.`;
    case 'retrying':
      return `Connection lost; reconnecting in ${(state.inMs / 1000).toFixed(1)} s (attempt ${state.attempt}).`;
    case 'failed':
      return `Stopped: ${state.error instanceof ApiError ? state.error.code : 'error'}.`;
  }
}

function LiveControls(props: { feed: Feed; state: LiveState; dispatch(action: FeedAction): void }): JSX.Element {
  const { feed, state, dispatch } = props;
  return (
    <div class="live-controls">
      <p class={`live-state ${state.kind}`} role="status" aria-live="polite">
        <span class="live-dot" aria-hidden="true" /> {describeState(state)}
        {feed.paused && ` Paused: ${formatNumber(feed.heldCount)} new ${feed.heldCount === 1 ? 'event' : 'events'} held.`}
      </p>
      <div class="actions">
        <button type="button" class={feed.paused ? 'primary' : ''} onClick={() => dispatch({ type: feed.paused ? 'resume' : 'pause' })}>
          {feed.paused ? `Resume (${formatNumber(feed.heldCount)} held)` : 'Pause'}
        </button>
        <button type="button" disabled={feed.shown.length === 0} onClick={() => dispatch({ type: 'clear' })}>
          Clear list
        </button>
        <span class="muted">
          {formatNumber(feed.received)} received since this page opened; the newest {LIVE_CAP} are kept.
        </span>
      </div>
    </div>
  );
}

/** A change's subject: a link to the memory while it exists, its id otherwise. */
function subject(space: string, event: ChangeEvent): JSX.Element {
  if (event.op === 'memory.created' || event.op === 'memory.updated') {
    return (
      <Link to={`/spaces/${encodeURIComponent(space)}/memories/${encodeURIComponent(event.id)}`} class="mono live-subject">
        {event.id}
      </Link>
    );
  }
  return <span class="mono live-subject">{event.id}</span>;
}

function LiveTable(props: { space: string; events: ChangeEvent[] }): JSX.Element {
  return (
    <Table
      caption="Changes of this space, newest first"
      rows={props.events}
      rowKey={(e) => String(e.seq)}
      empty="No change yet since this page opened: changes appear here as they are committed."
      columns={[
        { key: 'seq', label: 'Seq', render: (e) => <span class="live-seq">{e.seq}</span> },
        { key: 'at', label: 'Time (UTC)', render: (e) => <span class="live-time">{formatTime(e.at)}</span> },
        { key: 'op', label: 'Change', render: (e) => <span class={`live-op ${e.op.split('.')[1] ?? ''}`}>{e.op}</span> },
        { key: 'id', label: 'Subject', render: (e) => subject(props.space, e) },
      ]}
    />
  );
}
