import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, spacePath } from '../api.js';
import type { Identity } from '../identity.js';
import { ConfirmButton } from '../ui/components.js';
import { formatBytes, formatNumber } from '../ui/format.js';

/**
 * Whether the key holds admin over this space, as the API decides it (src/core/grants.ts); a
 * project grant counts when the space's project is known. This only hides what the API would
 * refuse: the API decides, and its refusal is shown when it comes.
 */
export function mayAdmin(identity: Identity, space: string, project: string | null | undefined): boolean {
  const name = space.toLowerCase();
  return identity.grants.some(
    (g) =>
      g.role === 'admin' &&
      ('space' in g ? g.space.toLowerCase() === name : 'prefix' in g ? name.startsWith(g.prefix.toLowerCase()) : project !== null && project !== undefined && g.project.toLowerCase() === project.toLowerCase()),
  );
}

/** Archive, restore and sweep, each asked first; what the server answered is written below them. */
export function SpaceActions(props: { space: string; archived: boolean; onDone(): void }): JSX.Element {
  const [result, setResult] = useState('');
  const run = async (path: string, describe: (answer: Record<string, unknown>) => string): Promise<void> => {
    setResult('');
    const answer = await api<Record<string, unknown>>('POST', spacePath(props.space, path));
    setResult(describe(answer));
    props.onDone();
  };
  return (
    <>
      <div class="actions space-actions">
        {props.archived ? (
          <ConfirmButton
            label="Restore"
            question={`Restore space “${props.space}” from its archive? It becomes usable again.`}
            onConfirm={() => run('/restore', () => `Restored “${props.space}”: it is idle and opens on its next use.`)}
          />
        ) : (
          <>
            <ConfirmButton
              label="Archive"
              danger
              question={`Archive space “${props.space}”? It is closed and packed into one file; reads and writes are refused until it is restored.`}
              onConfirm={() => run('/archive', (a) => `Archived “${props.space}” into ${formatBytes(a['archiveBytes'] as number)}.`)}
            />
            <ConfirmButton
              label="Sweep"
              question={`Sweep space “${props.space}” now? Expired memories and those past its retention are deleted for good.`}
              onConfirm={() => run('/sweep', (a) => `Swept “${props.space}”: ${formatNumber(a['deleted'] as number)} memories deleted.`)}
            />
          </>
        )}
      </div>
      <p class={result === '' ? 'sr-only' : 'note ok space-action-result'} role="status" aria-live="polite">
        {result}
      </p>
    </>
  );
}
