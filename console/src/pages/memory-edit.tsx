import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, spacePath } from '../api.js';
import { ConfirmButton, Field } from '../ui/components.js';
import { parseMetadata, parseTags, type Memory } from './memory-model.js';

/** The PATCH body for what the form changed; only changed fields, as the API replaces tags and metadata whole. */
function patchOf(memory: Memory, content: string, tags: string, metadata: string): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  if (content !== memory.content) patch['content'] = content;
  const newTags = parseTags(tags);
  if (newTags.join('\u0000') !== memory.tags.join('\u0000')) patch['tags'] = newTags;
  const newMetadata = parseMetadata(metadata);
  if (JSON.stringify(newMetadata) !== JSON.stringify(memory.metadata)) patch['metadata'] = newMetadata;
  return patch;
}

/**
 * The edit form: content, tags and metadata, saved with `PATCH` after a confirmation (new content
 * is embedded again, and the old version stays in the history). A bad field is refused by the
 * API and its error shown in the dialog.
 */
export function EditMemory(props: { space: string; memory: Memory; onSaved(memory: Memory): void }): JSX.Element {
  const m = props.memory;
  const [content, setContent] = useState(m.content);
  const [tags, setTags] = useState(m.tags.join(', '));
  const [metadata, setMetadata] = useState(JSON.stringify(m.metadata, null, 2));
  let problem: string | undefined;
  let changes = 0;
  try {
    changes = Object.keys(patchOf(m, content, tags, metadata)).length;
  } catch (e) {
    problem = (e as Error).message;
  }
  const save = async (): Promise<void> => {
    const patch = patchOf(m, content, tags, metadata);
    const saved = await api<Memory>('PATCH', spacePath(props.space, `/memories/${encodeURIComponent(m.id)}`), { body: patch });
    props.onSaved(saved);
  };
  return (
    <section aria-labelledby="memory-edit-h">
      <h2 id="memory-edit-h">Edit</h2>
      <Field id="memory-edit-content" label="Content">
        <textarea id="memory-edit-content" value={content} onInput={(e) => setContent((e.target as HTMLTextAreaElement).value)} />
      </Field>
      <Field id="memory-edit-tags" label="Tags" hint="Separated by commas.">
        <input id="memory-edit-tags" value={tags} onInput={(e) => setTags((e.target as HTMLInputElement).value)} />
      </Field>
      <Field id="memory-edit-metadata" label="Metadata (JSON object)">
        <textarea
          id="memory-edit-metadata"
          class="mono"
          value={metadata}
          aria-invalid={problem !== undefined}
          aria-describedby={problem !== undefined ? 'memory-edit-problem' : undefined}
          onInput={(e) => setMetadata((e.target as HTMLTextAreaElement).value)}
        />
      </Field>
      {problem !== undefined && (
        <p id="memory-edit-problem" class="note error" role="alert">
          <strong>Invalid</strong> {problem}
        </p>
      )}
      <div class="actions">
        <ConfirmButton
          label="Save changes"
          disabled={problem !== undefined || changes === 0}
          question={`Save ${changes === 1 ? 'this change' : `these ${changes} changes`} to the memory? Changed content is embedded again; the old version stays in the history.`}
          confirmLabel="Save"
          onConfirm={save}
        />
        <span class="muted" aria-live="polite">
          {changes === 0 ? 'No changes yet.' : `${changes} field${changes === 1 ? '' : 's'} changed.`}
        </span>
      </div>
    </section>
  );
}
