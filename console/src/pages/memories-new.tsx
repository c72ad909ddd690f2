import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, spacePath } from '../api.js';
import { navigate } from '../router.js';
import { ErrorNote, Field } from '../ui/components.js';
import { memoryPath, parseMetadata, parseTags, type Memory } from './memory-model.js';
import { useAction } from '../ui/load.js';

/** Adds a memory (content, tags, metadata JSON) and opens its page; the API's refusal is shown with its code. */
export function NewMemoryForm(props: { space: string }): JSX.Element {
  const [content, setContent] = useState('');
  const [tags, setTags] = useState('');
  const [metadata, setMetadata] = useState('');
  const { busy, error, run } = useAction();
  const submit = async (): Promise<void> => {
    await run(async () => {
      const body = { content, tags: parseTags(tags), metadata: parseMetadata(metadata) };
      const created = await api<Memory>('POST', spacePath(props.space, '/memories'), { body });
      navigate(memoryPath(props.space, created.id));
    });
  };
  return (
    <details class="memories-new">
      <summary>New memory</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Field id="memories-new-content" label="Content">
          <textarea id="memories-new-content" required value={content} onInput={(e) => setContent((e.target as HTMLTextAreaElement).value)} />
        </Field>
        <Field id="memories-new-tags" label="Tags" hint="Separated by commas.">
          <input id="memories-new-tags" value={tags} onInput={(e) => setTags((e.target as HTMLInputElement).value)} />
        </Field>
        <Field id="memories-new-metadata" label="Metadata (JSON object)" hint='e.g. {"topic": "deploys"}; blank for none.'>
          <textarea id="memories-new-metadata" class="mono" value={metadata} onInput={(e) => setMetadata((e.target as HTMLTextAreaElement).value)} />
        </Field>
        <ErrorNote error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add memory'}
        </button>
      </form>
    </details>
  );
}
