import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { signIn } from '../session.js';
import { ErrorNote, Field } from '../ui/components.js';
import { useAction } from '../ui/load.js';

/**
 * Sign-in with an API key. The key is checked (`GET /v1/whoami`) before it is kept, in this
 * tab's sessionStorage only. The form posts nowhere: the key never reaches a URL or a log.
 */
export function SignInPage(props: { onSignedIn(): void }): JSX.Element {
  const [key, setKey] = useState('');
  const { busy, error, run } = useAction();
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    await run(async () => {
      await api('GET', '/v1/whoami', { key: key.trim() });
      signIn(key.trim());
      setKey('');
      props.onSignedIn();
    });
  };
  return (
    <main id="main" class="sign-in" data-ready="true">
      <h1>memspace console</h1>
      <p class="muted">Sign in with an API key. It is kept in this tab only, and sent with each request.</p>
      <form onSubmit={(e) => void submit(e)} method="post" action="#">
        <Field id="key" label="API key">
          <input id="key" name="key" type="password" autoComplete="off" spellcheck={false} required value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        </Field>
        <ErrorNote error={error} />
        <button type="submit" class="primary" disabled={busy || key.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
