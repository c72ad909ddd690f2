import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiError, spacePath } from '../api.js';
import { useIdentity } from '../identity.js';
import { navigate } from '../router.js';
import { ConfirmButton, ErrorNote, Link, Loading, Page } from '../ui/components.js';
import { formatAge, formatNumber, formatTime } from '../ui/format.js';
import { useLoad } from '../ui/load.js';
import { SpaceTabs } from '../ui/space-tabs.js';
import { EditMemory } from './memory-edit.js';
import { loadNeighbourhood, RelationsSection } from './memory-graph.js';
import { HistorySection, loadHistory } from './memory-history.js';
import { mayWrite, memoriesPath, memoryPath, type Memory } from './memory-model.js';

/**
 * One memory: its content and fields, its history with a diff between versions, its relations
 * as a one-hop graph, and edit and delete (each confirmed). Three calls, made together.
 */
export function MemoryPage(props: { space: string; id: string }): JSX.Element {
  const { space, id } = props;
  const identity = useIdentity();
  // Bumped after an edit: the memory and its history load again.
  const [round, setRound] = useState(0);
  const memory = useLoad((signal) => api<Memory>('GET', spacePath(space, `/memories/${encodeURIComponent(id)}`), { signal }), [space, id, round]);
  const history = useLoad((signal) => loadHistory(space, id, signal), [space, id, round]);
  const hood = useLoad((signal) => loadNeighbourhood(space, id, signal), [space, id]);
  const m = memory.data;
  const ready = !memory.loading && (m === undefined || (!history.loading && !hood.loading));
  const remove = async (): Promise<void> => {
    await api('DELETE', spacePath(space, `/memories/${encodeURIComponent(id)}`));
    navigate(memoriesPath(space), { replace: true });
  };
  return (
    <Page
      title={`Memory ${id}`}
      ready={ready}
      actions={
        m !== undefined &&
        mayWrite(identity) && (
          <ConfirmButton label="Delete memory" danger question={`Delete memory ${id} and its relations? Its history is kept, but the memory cannot be brought back.`} confirmLabel="Delete" onConfirm={remove} />
        )
      }
    >
      <SpaceTabs space={space} current="/memories" />
      <p>
        <Link to={memoriesPath(space)}>← All memories of {space}</Link>
      </p>
      {memory.error !== undefined ? (
        <Missing space={space} id={id} error={memory.error} />
      ) : m === undefined ? (
        <Loading />
      ) : (
        <>
          <Details memory={m} space={space} />
          <HistorySection history={history} />
          <RelationsSection space={space} id={id} loaded={hood} />
          {mayWrite(identity) && <EditMemory key={`${m.id} ${m.updatedAt}`} space={space} memory={m} onSaved={() => setRound((n) => n + 1)} />}
        </>
      )}
    </Page>
  );
}

/** A memory that is not there (never was, deleted, expired) or a space this key cannot see: said plainly, with the API's code. */
function Missing(props: { space: string; id: string; error: unknown }): JSX.Element {
  const notFound = props.error instanceof ApiError && props.error.code === 'NOT_FOUND';
  return (
    <>
      <ErrorNote error={props.error} />
      {notFound && <p>No memory with the id {props.id} in this space: it may have been deleted or have expired.</p>}
    </>
  );
}

/** The memory's content and every field, metadata as pretty JSON. */
function Details(props: { memory: Memory; space: string }): JSX.Element {
  const m = props.memory;
  return (
    <section aria-labelledby="memory-details-h">
      <h2 id="memory-details-h">Content</h2>
      <p class="memory-content">{m.content}</p>
      <dl class="props">
        <dt>Id</dt>
        <dd class="mono">{m.id}</dd>
        <dt>Tags</dt>
        <dd>{m.tags.length === 0 ? <span class="muted">none</span> : <TagList tags={m.tags} />}</dd>
        <dt>Kind</dt>
        <dd>{m.kind}</dd>
        <dt>Importance</dt>
        <dd>{m.importance.toFixed(2)}</dd>
        <dt>Created (UTC)</dt>
        <dd>{formatTime(m.createdAt)}</dd>
        <dt>Updated (UTC)</dt>
        <dd>
          {formatTime(m.updatedAt)} <span class="muted">({formatAge(m.updatedAt)})</span>
        </dd>
        <dt>Expires</dt>
        <dd>{m.expiresAt === null ? 'never' : formatTime(m.expiresAt)}</dd>
        <dt>Accessed</dt>
        <dd>
          {formatNumber(m.accessCount)} {m.accessCount === 1 ? 'time' : 'times'}, last {formatAge(m.lastAccessedAt)}
        </dd>
        {(m.userId ?? m.agentId ?? m.runId) !== null && (
          <>
            <dt>Scope</dt>
            <dd>{[m.userId && `user ${m.userId}`, m.agentId && `agent ${m.agentId}`, m.runId && `run ${m.runId}`].filter(Boolean).join(', ')}</dd>
          </>
        )}
        {m.supersededBy !== null && (
          <>
            <dt>Superseded by</dt>
            <dd>
              <Link to={memoryPath(props.space, m.supersededBy)}>{m.supersededBy}</Link>
            </dd>
          </>
        )}
      </dl>
      <h3>Metadata</h3>
      <pre class="memory-metadata">{JSON.stringify(m.metadata, null, 2)}</pre>
    </section>
  );
}

/** Tags as a list of labelled chips (their text is the signal, not a colour). */
export function TagList(props: { tags: readonly string[] }): JSX.Element {
  return (
    <ul class="memory-tags" aria-label="Tags">
      {props.tags.map((t) => (
        <li key={t} class="badge">
          {t}
        </li>
      ))}
    </ul>
  );
}
