import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { isAdmin, useIdentity, type Grant } from '../identity.js';
import { ConfirmButton, ErrorNote, Loading, Page } from '../ui/components.js';
import { formatTime } from '../ui/format.js';
import { useLoad } from '../ui/load.js';
import { Table, type Column } from '../ui/table.js';
import { NewKeyForm } from './keys-create.js';
import { grantText } from './keys-grants.js';
import { SecretPanel, type CreatedKey } from './keys-secret.js';

/** A key as `GET /v1/keys` lists it: never its secret. */
interface KeyView {
  id: string;
  name: string;
  grants: Grant[];
  defaultSpace: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/**
 * API keys, for keys holding an admin grant: those the signed-in key administers (every grant
 * within its own admin grants, as the API lists them), a new one (its secret shown once), and
 * revocation. A key without an admin grant is told so, as the API would refuse it.
 */
export function KeysPage(): JSX.Element {
  const identity = useIdentity();
  if (!isAdmin(identity)) {
    return (
      <Page title="Keys" ready={true}>
        <div class="note error" role="alert">
          <strong>FORBIDDEN</strong> This key holds no admin grant: it may not create, list or revoke keys.
        </div>
      </Page>
    );
  }
  return <KeysAdmin />;
}

function KeysAdmin(): JSX.Element {
  const identity = useIdentity();
  const keys = useLoad((signal) => api<{ items: KeyView[] }>('GET', '/v1/keys', { signal }), []);
  // The secret of the key just created: in this component's state only, so leaving the page forgets it.
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [showRevoked, setShowRevoked] = useState(false);
  const all = keys.data?.items ?? [];
  const rows = showRevoked ? all : all.filter((k) => k.revokedAt === null);
  return (
    <Page title="Keys" ready={keys.data !== undefined || keys.error !== undefined}>
      {created !== null && <SecretPanel created={created} onDone={() => setCreated(null)} />}
      <NewKeyForm
        onCreated={(c) => {
          setCreated(c);
          keys.reload();
        }}
      />
      <h2>Keys this key administers</h2>
      <ErrorNote error={keys.error} />
      {keys.data === undefined && keys.error === undefined && <Loading />}
      {keys.data !== undefined && (
        <>
          <div class="keys-filter">
            <label>
              <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.currentTarget.checked)} /> Show revoked keys ({all.length - all.filter((k) => k.revokedAt === null).length})
            </label>
          </div>
          <Table caption="API keys" columns={columns(identity.id, keys.reload)} rows={rows} rowKey={(k) => k.id} initialSort={{ key: 'created', descending: true }} empty="No key to show." />
        </>
      )}
    </Page>
  );
}

function columns(selfId: string, reload: () => void): Column<KeyView>[] {
  return [
    { key: 'name', label: 'Name', render: (k) => (k.id === selfId ? `${k.name} (this key)` : k.name), sort: (k) => k.name },
    { key: 'id', label: 'Id', render: (k) => <code class="keys-id">{k.id}</code> },
    {
      key: 'grants',
      label: 'Grants',
      render: (k) => (
        <ul class="keys-grant-list">
          {k.grants.map((g, i) => (
            <li key={i}>{grantText(g)}</li>
          ))}
        </ul>
      ),
    },
    { key: 'default', label: 'Default space', render: (k) => k.defaultSpace ?? '—', sort: (k) => k.defaultSpace },
    { key: 'created', label: 'Created', render: (k) => formatTime(k.createdAt), sort: (k) => k.createdAt },
    { key: 'revoked', label: 'State', render: (k) => (k.revokedAt === null ? <span class="badge active">active</span> : <span class="badge damaged">revoked {formatTime(k.revokedAt)}</span>), sort: (k) => k.revokedAt ?? '' },
    { key: 'actions', label: 'Actions', render: (k) => (k.revokedAt === null ? <span class="keys-action"><RevokeButton keyView={k} self={k.id === selfId} onRevoked={reload} /></span> : '—') },
  ];
}

function RevokeButton(props: { keyView: KeyView; self: boolean; onRevoked(): void }): JSX.Element {
  const k = props.keyView;
  return (
    <ConfirmButton
      label={`Revoke ${k.name}`}
      confirmLabel="Revoke the key"
      danger
      question={
        <>
          Revoke key “{k.name}” ({k.id})? Every request with it fails from now on, and open change streams end. This cannot be undone.
          {props.self && <strong> This is the key you are signed in with: the console will sign you out.</strong>}
        </>
      }
      onConfirm={async () => {
        await api('DELETE', `/v1/keys/${encodeURIComponent(k.id)}`);
        props.onRevoked();
      }}
    />
  );
}
