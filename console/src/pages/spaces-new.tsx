import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { navigate } from '../router.js';
import { ErrorNote, Field } from '../ui/components.js';
import { useAction } from '../ui/load.js';

/**
 * "New space": a name and a description, in a modal dialog. The server decides whether this key
 * may create that name (admin over it); its refusal is shown with its code.
 */
export function NewSpaceForm(props: { onCreated(): void }): JSX.Element {
  const dialog = useRef<HTMLDialogElement>(null);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const { busy, error, run } = useAction();
  const submit = async (): Promise<void> => {
    await run(async () => {
      const created = await api<{ name: string }>('POST', '/v1/spaces', { body: { name: name.trim(), description } });
      dialog.current?.close();
      props.onCreated();
      navigate(`/spaces/${encodeURIComponent(created.name)}`);
    });
  };
  return (
    <>
      <button type="button" class="primary" onClick={() => dialog.current?.showModal()}>
        New space
      </button>
      <dialog ref={dialog} aria-labelledby="spaces-new-title">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <h2 id="spaces-new-title">New space</h2>
          <Field id="spaces-new-name" label="Name" hint="Letters, digits, dot, underscore and hyphen; at most 64 characters.">
            <input id="spaces-new-name" required maxLength={64} autoComplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </Field>
          <Field id="spaces-new-description" label="Description">
            <textarea id="spaces-new-description" maxLength={2000} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
          </Field>
          <ErrorNote error={error} />
          <div class="actions">
            <button type="button" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="submit" class="primary" disabled={busy || name.trim() === ''}>
              {busy ? 'Creating…' : 'Create space'}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
