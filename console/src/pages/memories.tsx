import type { JSX } from 'preact';
import { api, spacePath } from '../api.js';
import { useIdentity } from '../identity.js';
import { navigate, useLocation } from '../router.js';
import { ErrorNote, Link, Loading, Page } from '../ui/components.js';
import { formatTime } from '../ui/format.js';
import { useLoad } from '../ui/load.js';
import { SpaceTabs } from '../ui/space-tabs.js';
import { Table } from '../ui/table.js';
import { FilterForm } from './memories-filter.js';
import { NewMemoryForm } from './memories-new.js';
import { TagList } from './memory.js';
import { mayWrite, memoriesPath, memoryPath, truncate, type Memory, type MemoryPage } from './memory-model.js';

/** Rows per page: one listing call of at most this many, whatever the space's size. */
const PAGE_SIZE = 50;

/**
 * A space's memories, newest first, a page at a time. The filter and the page's cursor live in
 * the URL (`?filter=…&cursor=…`), so a view can be shared and Back works; the key never does.
 */
export function MemoriesPage(props: { space: string }): JSX.Element {
  const { space } = props;
  const identity = useIdentity();
  const { query } = useLocation();
  const filter = query.get('filter') ?? '';
  const cursor = query.get('cursor') ?? '';
  const list = useLoad(
    (signal) => api<MemoryPage>('GET', spacePath(space, '/memories'), { signal, query: { limit: PAGE_SIZE, filter, cursor } }),
    [space, filter, cursor],
  );
  const spaceMissing = list.error !== undefined && (list.error as { code?: string }).code === 'SPACE_NOT_FOUND';
  return (
    <Page title={`Memories of ${space}`} ready={!list.loading}>
      <SpaceTabs space={space} current="/memories" />
      {spaceMissing ? (
        <ErrorNote error={list.error} />
      ) : (
        <>
          <FilterForm filter={filter} onApply={(f) => navigate(memoriesPath(space, { filter: f }))} />
          {mayWrite(identity) && <NewMemoryForm space={space} />}
          <h2>{filter === '' ? 'All memories' : 'Memories matching the filter'}</h2>
          <ErrorNote error={list.error} />
          {list.data === undefined ? list.error === undefined && <Loading /> : <MemoryTable space={space} page={list.data} filtered={filter !== ''} />}
          <Pager space={space} filter={filter} cursor={cursor} next={list.data?.nextCursor ?? null} shown={list.data?.items.length} />
        </>
      )}
    </Page>
  );
}

/** What a row says of a memory besides its content: kind, importance, metadata keys. */
function summary(m: Memory): string {
  const keys = Object.keys(m.metadata);
  const parts = [m.kind, `importance ${m.importance.toFixed(2)}`];
  if (keys.length > 0) parts.push(`metadata: ${truncate(keys.join(', '), 40)}`);
  if (m.supersededBy !== null) parts.push('superseded');
  return parts.join(' · ');
}

function MemoryTable(props: { space: string; page: MemoryPage; filtered: boolean }): JSX.Element {
  return (
    <Table
      caption="Memories, newest first"
      rows={props.page.items}
      rowKey={(m) => m.id}
      empty={props.filtered ? 'No memory matches this filter.' : 'This space has no memories yet.'}
      columns={[
        {
          key: 'id',
          label: 'Id',
          render: (m) => (
            <Link to={memoryPath(props.space, m.id)} class="mono memories-id">
              {/* A UUIDv7 starts with its time, shared by memories made together: its end tells them apart. */}
              {m.id.length > 14 ? `…${m.id.slice(-10)}` : m.id}
            </Link>
          ),
        },
        { key: 'content', label: 'Content', render: (m) => <span class="memories-content">{truncate(m.content, 140)}</span>, sort: (m) => m.content },
        { key: 'tags', label: 'Tags', render: (m) => (m.tags.length === 0 ? <span class="muted">none</span> : <TagList tags={m.tags} />) },
        { key: 'kind', label: 'Kind and metadata', render: summary, sort: (m) => m.kind },
        { key: 'updated', label: 'Updated (UTC)', render: (m) => <span class="nowrap">{formatTime(m.updatedAt)}</span>, sort: (m) => m.updatedAt },
      ]}
    />
  );
}

/** First page and next page, as links (the cursor in the URL); the count shown is announced as it changes. */
function Pager(props: { space: string; filter: string; cursor: string; next: string | null; shown: number | undefined }): JSX.Element {
  const filter = props.filter === '' ? undefined : props.filter;
  return (
    <nav class="memories-pager" aria-label="Pages of memories">
      <span class="muted" aria-live="polite">
        {props.shown === undefined ? '' : `${props.shown} ${props.shown === 1 ? 'memory' : 'memories'} on this page${props.cursor === '' ? '' : ' (not the first)'}.`}
      </span>
      {props.cursor !== '' && <Link to={memoriesPath(props.space, { filter })}>« First page</Link>}
      {props.next !== null && <Link to={memoriesPath(props.space, { filter, cursor: props.next })}>Next page »</Link>}
    </nav>
  );
}
