import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, spacePath } from '../api.js';
import { ErrorNote } from '../ui/components.js';
import { formatNumber } from '../ui/format.js';
import { entryAnchor, type AuditVerification } from './audit-model.js';

/** Moves the view and focus to an entry's row, so a keyboard user lands where a sighted one looks. */
function goToEntry(seq: number): void {
  const anchor = document.getElementById(entryAnchor(seq));
  anchor?.scrollIntoView({ block: 'center' });
  anchor?.focus({ preventScroll: true });
}

function Outcome(props: { result: AuditVerification; shown: readonly number[] }): JSX.Element {
  const r = props.result;
  if (r.ok) {
    return (
      <p class="note ok audit-verdict">
        <span aria-hidden="true">✔ </span>
        <strong>Chain intact:</strong> {formatNumber(r.entries)} {r.entries === 1 ? 'entry' : 'entries'} verified.
      </p>
    );
  }
  return (
    <div class="note error audit-verdict">
      <p>
        <span aria-hidden="true">✖ </span>
        <strong>Chain broken</strong> at entry {r.firstBadSeq} (of {formatNumber(r.entries)}): {r.reason}.
      </p>
      {props.shown.includes(r.firstBadSeq) ? (
        <a
          href={`#${entryAnchor(r.firstBadSeq)}`}
          onClick={(e) => {
            e.preventDefault();
            goToEntry(r.firstBadSeq);
          }}
        >
          Go to entry {r.firstBadSeq}
        </a>
      ) : (
        <p>Entry {r.firstBadSeq} is not on this page: clear the filters and list oldest first to reach it.</p>
      )}
    </div>
  );
}

/**
 * "Verify chain": the server recomputes the whole hash chain; the verdict is written out, with an
 * icon beside it, and a broken chain names its first bad entry, with a link to its row when shown.
 */
export function VerifyChain(props: { space: string; shown: readonly number[]; onResult(result: AuditVerification | undefined): void }): JSX.Element {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<AuditVerification | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const verify = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await api<AuditVerification>('GET', spacePath(props.space, '/audit/verify'));
      setResult(r);
      props.onResult(r);
    } catch (e) {
      setResult(undefined);
      props.onResult(undefined);
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="audit-verify" aria-labelledby="audit-verify-title">
      <h2 id="audit-verify-title">Hash chain</h2>
      <div class="actions">
        <button type="button" onClick={() => void verify()} disabled={busy}>
          {busy ? 'Verifying…' : 'Verify chain'}
        </button>
        <span class="muted">Recomputes every entry's hash on the server.</span>
      </div>
      <div role="status" aria-live="polite">
        {result !== undefined && <Outcome result={result} shown={props.shown} />}
      </div>
      <ErrorNote error={error} />
    </section>
  );
}
