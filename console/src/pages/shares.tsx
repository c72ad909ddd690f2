import type { JSX } from 'preact';
import { api, spacePath } from '../api.js';
import { useIdentity, type Identity } from '../identity.js';
import { ConfirmButton, ErrorNote, Loading, Page } from '../ui/components.js';
import { formatTime } from '../ui/format.js';
import { useLoad } from '../ui/load.js';
import { SpaceTabs } from '../ui/space-tabs.js';
import { Table, type Column } from '../ui/table.js';
import { NewShareForm } from './shares-create.js';

/** A share as the API shows it. */
interface ShareView {
  id: string;
  space: string;
  to: string;
  toKind: 'space' | 'key';
  role: 'read';
  tags: string[] | null;
  createdAt: string;
}

interface Shares {
  /** Shares of this space, for its admins; null for a key that is not one (not asked: the API would refuse it). */
  outgoing: ShareView[] | null;
  /** Shares other spaces gave to this one. */
  incoming: ShareView[];
}

/**
 * Whether the key holds admin over the space, as the API decides it (src/core/grants.ts): only
 * to leave out a call the API would refuse. A project grant counts with the space's project.
 */
function adminIn(identity: Identity, space: string, project: string | null): boolean {
  const name = space.toLowerCase();
  return identity.grants.some(
    (g) => g.role === 'admin' && ('space' in g ? g.space.toLowerCase() === name : 'prefix' in g ? name.startsWith(g.prefix.toLowerCase()) : project !== null && g.project.toLowerCase() === project.toLowerCase()),
  );
}

/** Both lists; a space the key cannot see fails on the first call, which needs only read. */
async function loadShares(identity: Identity, space: string, signal: AbortSignal): Promise<Shares> {
  const incoming = (await api<{ items: ShareView[] }>('GET', spacePath(space, '/shares/incoming'), { signal })).items;
  // The space's project matters only to a key with a project grant: only then is the space read.
  const project = identity.grants.some((g) => 'project' in g && g.role === 'admin') ? (await api<{ project: string | null }>('GET', spacePath(space), { signal })).project : null;
  const outgoing = adminIn(identity, space, project) ? (await api<{ items: ShareView[] }>('GET', spacePath(space, '/shares'), { signal })).items : null;
  return { incoming, outgoing };
}

/**
 * Shares from this space (its admins: list, create, stop) and to it (its readers: which
 * spaces they may read through a share). A space the key cannot see answers as a missing one.
 */
export function SharesPage(props: { space: string }): JSX.Element {
  const space = props.space;
  const identity = useIdentity();
  const shares = useLoad((signal) => loadShares(identity, space, signal), [space]);
  const ready = shares.data !== undefined || shares.error !== undefined;
  const outgoing = shares.data?.outgoing ?? null;
  return (
    <Page title={`Shares of ${space}`} ready={ready}>
      <SpaceTabs space={space} current="/shares" />
      <ErrorNote error={shares.error} />
      {!ready && <Loading />}
      {shares.data !== undefined && (
        <>
          <h2>Shared from this space</h2>
          {outgoing !== null ? (
            <>
              <OutgoingTable space={space} rows={outgoing} onChange={shares.reload} />
              <NewShareForm space={space} onCreated={shares.reload} />
            </>
          ) : (
            <p class="note">Only an admin of this space sees and manages what it shares; this key reads it.</p>
          )}
          <h2>Shared with this space</h2>
          <p class="muted">Spaces whose admins let this space's readers search them. Shares that stopped working (their space turned strict) are not listed.</p>
          <Table caption={`Shares given to ${space}`} columns={INCOMING} rows={shares.data.incoming} rowKey={(s) => s.id} empty="No space shares anything with this one." />
        </>
      )}
    </Page>
  );
}

const tagsText = (s: ShareView): string => (s.tags === null ? 'every memory' : `only tags: ${s.tags.join(', ')}`);

const INCOMING: Column<ShareView>[] = [
  { key: 'source', label: 'From space', render: (s) => s.space, sort: (s) => s.space },
  { key: 'role', label: 'Role', render: (s) => s.role },
  { key: 'tags', label: 'What', render: tagsText },
  { key: 'created', label: 'Since', render: (s) => formatTime(s.createdAt), sort: (s) => s.createdAt },
  { key: 'id', label: 'Id', render: (s) => <code>{s.id}</code> },
];

function OutgoingTable(props: { space: string; rows: ShareView[]; onChange(): void }): JSX.Element {
  const columns: Column<ShareView>[] = [
    { key: 'to', label: 'Shared with', render: (s) => `${s.toKind === 'key' ? 'key' : "space's readers"}: ${s.to}`, sort: (s) => s.to },
    { key: 'role', label: 'Role', render: (s) => s.role },
    { key: 'tags', label: 'What', render: tagsText },
    { key: 'created', label: 'Since', render: (s) => formatTime(s.createdAt), sort: (s) => s.createdAt },
    { key: 'id', label: 'Id', render: (s) => <code>{s.id}</code> },
    {
      key: 'actions',
      label: 'Actions',
      render: (s) => (
        <ConfirmButton
          label={`Stop sharing with ${s.to}`}
          confirmLabel="Stop sharing"
          danger
          question={`Stop sharing ${props.space} with ${s.toKind === 'key' ? 'key' : 'the readers of'} ${s.to}? Their access ends at once.`}
          onConfirm={async () => {
            await api('DELETE', spacePath(props.space, `/shares/${encodeURIComponent(s.id)}`));
            props.onChange();
          }}
        />
      ),
    },
  ];
  return <Table caption={`Shares of ${props.space}`} columns={columns} rows={props.rows} rowKey={(s) => s.id} empty="This space shares nothing." />;
}
