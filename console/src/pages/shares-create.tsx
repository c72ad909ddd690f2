import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, spacePath } from '../api.js';
import { ErrorNote, Field } from '../ui/components.js';
import { useAction } from '../ui/load.js';

/**
 * The form of a new share of `space`: read access for another space's readers or for one key
 * (a key id starts with `key_`), optionally only memories with some tags. The API refuses
 * what is not allowed (a space of isolation strict, a share with itself), shown with its code.
 */
export function NewShareForm(props: { space: string; onCreated(): void }): JSX.Element {
  const [to, setTo] = useState('');
  const [tags, setTags] = useState('');
  const { busy, error, run } = useAction();
  const [done, setDone] = useState('');
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setDone('');
    await run(async () => {
      const list = tags
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '');
      await api('POST', spacePath(props.space, '/shares'), { body: { to: to.trim(), role: 'read', ...(list.length > 0 && { tags: list }) } });
      setDone(`Shared with ${to.trim()}.`);
      setTo('');
      setTags('');
      props.onCreated();
    });
  };
  return (
    <form class="shares-new" onSubmit={(e) => void submit(e)} method="post" action="#" aria-labelledby="shares-new-title">
      <h2 id="shares-new-title">Share this space</h2>
      <p class="muted">A share lets the readers of another space, or one key, search this space (read only). Every read through it is recorded in this space's audit trail.</p>
      <div class="form-row">
        <Field id="shares-to" label="Share with (a space, or a key id key_…)">
          <input id="shares-to" required maxLength={128} value={to} spellcheck={false} autoComplete="off" onInput={(e) => setTo(e.currentTarget.value)} />
        </Field>
        <Field id="shares-tags" label="Only these tags (optional, comma-separated)" hint="Empty: every memory.">
          <input id="shares-tags" value={tags} spellcheck={false} autoComplete="off" onInput={(e) => setTags(e.currentTarget.value)} />
        </Field>
        <Field id="shares-role" label="Role">
          <select id="shares-role" disabled>
            <option value="read">read (the only role a share gives)</option>
          </select>
        </Field>
      </div>
      <ErrorNote error={error} />
      <p role="status" aria-live="polite" class="muted">
        {done}
      </p>
      <button type="submit" class="primary" disabled={busy || to.trim() === ''}>
        {busy ? 'Sharing…' : 'Share'}
      </button>
    </form>
  );
}
