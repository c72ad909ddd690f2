import type { JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { api, ApiError, spacePath } from '../api.js';
import { isAdmin, useIdentity } from '../identity.js';
import { navigate, useLocation } from '../router.js';
import { ErrorNote, Link, Loading, Page } from '../ui/components.js';
import { useLoad } from '../ui/load.js';
import { SpaceTabs } from '../ui/space-tabs.js';
import { AuditFilterForm, type KnownKey } from './audit-filter.js';
import { auditPath, type AuditFilters, type AuditPage as Listing } from './audit-model.js';
import { AuditTable } from './audit-table.js';
import { VerifyChain } from './audit-verify.js';

/** Entries per page: one listing call of at most this many, whatever the trail's length. */
const PAGE_SIZE = 50;

/** The filters the URL holds (`?action=…&actor=…&order=asc&cursor=…`). */
function filtersOf(query: URLSearchParams): AuditFilters {
  const get = (name: string): string | undefined => query.get(name) || undefined;
  return { action: get('action'), actor: get('actor'), order: query.get('order') === 'asc' ? 'asc' : undefined, cursor: get('cursor') };
}

/** The names of the keys the signed-in key administers (`GET /v1/keys`, one call), to show beside actor ids. */
function useKeyNames(): KnownKey[] {
  const identity = useIdentity();
  const admin = isAdmin(identity);
  const loaded = useLoad(async (signal) => (admin ? (await api<{ items: KnownKey[] }>('GET', '/v1/keys', { signal })).items : []), [admin]);
  return useMemo(() => [{ id: identity.id, name: identity.name }, ...(loaded.data ?? []).filter((k) => k.id !== identity.id)], [identity, loaded.data]);
}

/**
 * A space's hash-chained audit trail (admins), newest first or oldest first, a page at a time,
 * filtered by action and by key; "Verify chain" recomputes it and names the first broken entry.
 */
export function AuditPage(props: { space: string }): JSX.Element {
  const { space } = props;
  const { query } = useLocation();
  const filters = filtersOf(query);
  const keys = useKeyNames();
  const names = useMemo(() => new Map(keys.map((k) => [k.id, k.name])), [keys]);
  // The verdict belongs to the space it was asked of: another space's page starts without one.
  const [broken, setBroken] = useState<{ space: string; seq: number } | undefined>(undefined);
  const brokenSeq = broken?.space === space ? broken.seq : undefined;
  const list = useLoad(
    (signal) =>
      api<Listing>('GET', spacePath(space, '/audit'), {
        signal,
        query: { limit: PAGE_SIZE, action: filters.action, actor: filters.actor, order: filters.order ?? 'desc', cursor: filters.cursor },
      }),
    [space, filters.action, filters.actor, filters.order, filters.cursor],
  );
  // Neither an unseen space nor a trail this key may not read has anything else to show.
  const refused = list.error instanceof ApiError && (list.error.code === 'SPACE_NOT_FOUND' || list.error.code === 'FORBIDDEN');
  const filtered = filters.action !== undefined || filters.actor !== undefined;
  const entries = list.data?.items ?? [];
  return (
    <Page title={`Audit trail of ${space}`} ready={!list.loading}>
      <SpaceTabs space={space} current="/audit" />
      {refused ? (
        <ErrorNote error={list.error} />
      ) : (
        <>
          <AuditFilterForm key={`${filters.action}|${filters.actor}|${filters.order}`} filters={filters} keys={keys} onApply={(f) => navigate(auditPath(space, f))} />
          <VerifyChain key={space} space={space} shown={entries.map((e) => e.seq)} onResult={(r) => setBroken(r !== undefined && !r.ok ? { space, seq: r.firstBadSeq } : undefined)} />
          <h2>{filtered ? 'Entries matching the filters' : 'Entries'}</h2>
          <ErrorNote error={list.error} />
          {list.data === undefined ? (
            list.error === undefined && <Loading />
          ) : (
            <AuditTable space={space} entries={entries} names={names} filters={filters} brokenSeq={brokenSeq} filtered={filtered} />
          )}
          <Pager space={space} filters={filters} next={list.data?.nextCursor ?? null} shown={list.data?.items.length} />
        </>
      )}
    </Page>
  );
}

/** First page and next page, as links (the cursor in the URL); the count shown is announced as it changes. */
function Pager(props: { space: string; filters: AuditFilters; next: string | null; shown: number | undefined }): JSX.Element {
  const { cursor, ...rest } = props.filters;
  return (
    <nav class="audit-pager" aria-label="Pages of the audit trail">
      <span class="muted" aria-live="polite">
        {props.shown === undefined ? '' : `${props.shown} ${props.shown === 1 ? 'entry' : 'entries'} on this page${cursor === undefined ? '' : ' (not the first)'}.`}
      </span>
      {cursor !== undefined && <Link to={auditPath(props.space, rest)}>« First page</Link>}
      {props.next !== null && <Link to={auditPath(props.space, { ...rest, cursor: props.next })}>Next page »</Link>}
    </nav>
  );
}
