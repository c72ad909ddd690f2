import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { useIdentity } from '../identity.js';
import { ErrorNote, Field } from '../ui/components.js';
import { GrantsEditor, grantOf, grantText, type GrantRow } from './keys-grants.js';
import type { CreatedKey } from './keys-secret.js';
import { useAction } from '../ui/load.js';

/**
 * The form of a new key: its name, grants and default space. The API decides what may be
 * granted (only what the signed-in key's own admin grants cover); its refusal is shown with
 * its code. The secret goes to `onCreated` and nowhere else.
 */
export function NewKeyForm(props: { onCreated(created: CreatedKey): void }): JSX.Element {
  const identity = useIdentity();
  const first: GrantRow = { kind: 'space', name: identity.defaultSpace ?? '', role: 'read' };
  const [name, setName] = useState('');
  const [rows, setRows] = useState<GrantRow[]>([first]);
  const [defaultSpace, setDefaultSpace] = useState('');
  const { busy, error, run } = useAction();
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    await run(async () => {
      const body = { name: name.trim(), grants: rows.map(grantOf), ...(defaultSpace.trim() !== '' && { defaultSpace: defaultSpace.trim() }) };
      const created = await api<CreatedKey>('POST', '/v1/keys', { body });
      setName('');
      setRows([first]);
      setDefaultSpace('');
      props.onCreated(created);
    });
  };
  return (
    <form class="keys-new" onSubmit={(e) => void submit(e)} method="post" action="#" aria-labelledby="keys-new-title">
      <h2 id="keys-new-title">New key</h2>
      <div class="form-row">
        <Field id="keys-new-name" label="Name">
          <input id="keys-new-name" required maxLength={128} value={name} autoComplete="off" onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field id="keys-new-default" label="Default space (optional)" hint="Where its requests go when they name no space.">
          <input id="keys-new-default" value={defaultSpace} spellcheck={false} autoComplete="off" onInput={(e) => setDefaultSpace(e.currentTarget.value)} />
        </Field>
      </div>
      <p class="muted">
        This key may grant only what its admin grants cover:{' '}
        {identity.grants
          .filter((g) => g.role === 'admin')
          .map((g) => grantText(g).replace(/^admin on /, ''))
          .join('; ')}
        .
      </p>
      <GrantsEditor rows={rows} onChange={setRows} />
      <ErrorNote error={error} />
      <button type="submit" class="primary" disabled={busy || name.trim() === ''}>
        {busy ? 'Creating…' : 'Create key'}
      </button>
    </form>
  );
}
