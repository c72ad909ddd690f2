import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/** What creating a key answers: the key's view and, this once, its secret. */
export interface CreatedKey {
  id: string;
  name: string;
  key: string;
}

/**
 * The secret of a key just created, shown once. It lives in this panel's props only (the page's
 * state): never in a URL, sessionStorage or a log, and gone when the page is left or the panel
 * dismissed. Copying uses the clipboard; where the browser refuses, the text is selected for
 * Ctrl+C instead.
 */
export function SecretPanel(props: { created: CreatedKey; onDone(): void }): JSX.Element {
  const value = useRef<HTMLElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const [status, setStatus] = useState('');
  useEffect(() => heading.current?.focus(), [props.created.id]);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(props.created.key);
      setStatus('Copied to the clipboard.');
    } catch {
      if (value.current !== null) window.getSelection()?.selectAllChildren(value.current);
      setStatus('The browser did not allow copying: the secret is selected, press Ctrl+C (⌘C) to copy it.');
    }
  };
  return (
    <section class="keys-secret" aria-labelledby="keys-secret-title">
      <h2 id="keys-secret-title" tabIndex={-1} ref={heading}>
        Key “{props.created.name}” created
      </h2>
      <p class="note warn">
        <strong>Copy the secret now: it will not be shown again.</strong> memspace keeps only its hash. Anyone holding it acts with this key's grants.
      </p>
      <p class="keys-secret-label" id="keys-secret-label">
        Secret of key <code>{props.created.id}</code>:
      </p>
      <code id="keys-secret-value" class="keys-secret-value" ref={value}>
        {props.created.key}
      </code>
      <div class="actions">
        <button type="button" class="primary" onClick={() => void copy()}>
          Copy the secret
        </button>
        <button type="button" onClick={props.onDone}>
          Done: forget it
        </button>
      </div>
      <p class="muted" role="status" aria-live="polite">
        {status}
      </p>
    </section>
  );
}
