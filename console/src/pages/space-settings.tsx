import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, spacePath } from '../api.js';
import { ConfirmButton, Field } from '../ui/components.js';

/** The settings this form edits, as `GET /v1/spaces/{space}` gives them. */
export interface SpaceSettingsView {
  name: string;
  project: string | null;
  description: string;
  retentionDays: number | null;
  quotas: { maxMemories: number | null; maxBytes: number | null; maxRequestsPerSecond: number | null };
  labels: Record<string, string>;
}

interface Draft {
  description: string;
  retentionDays: string;
  maxMemories: string;
  maxBytes: string;
  labels: string;
}

const text = (n: number | null): string => (n === null ? '' : String(n));

function draftOf(s: SpaceSettingsView): Draft {
  return {
    description: s.description,
    retentionDays: text(s.retentionDays),
    maxMemories: text(s.quotas.maxMemories),
    maxBytes: text(s.quotas.maxBytes),
    labels: Object.entries(s.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  };
}

/** Empty is "none"; a number is sent as one; anything else is sent as typed, for the API to refuse with its reason. */
function numberOf(value: string): number | string | null {
  const trimmed = value.trim();
  if (trimmed === '') return null;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : trimmed;
}

function labelsOf(value: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const line of value.split('\n')) {
    if (line.trim() === '') continue;
    const at = line.indexOf('=');
    labels[(at < 0 ? line : line.slice(0, at)).trim()] = at < 0 ? '' : line.slice(at + 1).trim();
  }
  return labels;
}

/** The PATCH of what changed between the settings and the draft: only fields that differ. */
function patchOf(current: SpaceSettingsView, draft: Draft): Record<string, unknown> {
  const before = draftOf(current);
  const patch: Record<string, unknown> = {};
  if (draft.description !== before.description) patch['description'] = draft.description;
  if (draft.retentionDays.trim() !== before.retentionDays) patch['retentionDays'] = numberOf(draft.retentionDays);
  const quotas: Record<string, unknown> = {};
  if (draft.maxMemories.trim() !== before.maxMemories) quotas['maxMemories'] = numberOf(draft.maxMemories);
  if (draft.maxBytes.trim() !== before.maxBytes) quotas['maxBytes'] = numberOf(draft.maxBytes);
  if (Object.keys(quotas).length > 0) patch['quotas'] = quotas;
  if (JSON.stringify(labelsOf(draft.labels)) !== JSON.stringify(labelsOf(before.labels))) patch['labels'] = labelsOf(draft.labels);
  return patch;
}

/** The settings an admin changes: description, retention, quotas and labels; saved after a confirmation. */
export function SpaceSettings(props: { settings: SpaceSettingsView; onSaved(): void }): JSX.Element {
  const [draft, setDraft] = useState<Draft>(() => draftOf(props.settings));
  const [saved, setSaved] = useState('');
  const patch = patchOf(props.settings, draft);
  const changed = Object.keys(patch);
  const set =
    (field: keyof Draft) =>
    (e: { currentTarget: { value: string } }): void => {
      setSaved('');
      setDraft({ ...draft, [field]: e.currentTarget.value });
    };
  return (
    <form class="space-settings" aria-label="Settings" onSubmit={(e) => e.preventDefault()}>
      <Field id="space-description" label="Description">
        <textarea id="space-description" maxLength={2000} value={draft.description} onInput={set('description')} />
      </Field>
      <div class="form-row">
        <Field id="space-retention" label="Retention (days)" hint="Empty: kept forever.">
          <input id="space-retention" inputMode="numeric" value={draft.retentionDays} onInput={set('retentionDays')} />
        </Field>
        <Field id="space-max-memories" label="Most memories" hint="Empty: no limit.">
          <input id="space-max-memories" inputMode="numeric" value={draft.maxMemories} onInput={set('maxMemories')} />
        </Field>
        <Field id="space-max-bytes" label="Most payload bytes" hint="Empty: no limit.">
          <input id="space-max-bytes" inputMode="numeric" value={draft.maxBytes} onInput={set('maxBytes')} />
        </Field>
      </div>
      <Field id="space-labels" label="Labels" hint="One key=value a line.">
        <textarea id="space-labels" value={draft.labels} onInput={set('labels')} />
      </Field>
      <div class="actions">
        <ConfirmButton
          label="Save settings"
          disabled={changed.length === 0}
          question={`Change ${changed.join(', ')} of space “${props.settings.name}”?`}
          onConfirm={async () => {
            await api('PATCH', spacePath(props.settings.name), { body: patch });
            setSaved(`Saved: ${changed.join(', ')}.`);
            props.onSaved();
          }}
        />
        <span role="status" aria-live="polite" class={saved === '' ? 'sr-only' : 'space-saved'}>
          {saved}
        </span>
      </div>
    </form>
  );
}
