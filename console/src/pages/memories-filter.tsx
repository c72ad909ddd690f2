import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Field } from '../ui/components.js';

/** The builder's fields; blank ones add no condition. */
interface BuilderFields {
  tag: string;
  key: string;
  value: string;
  after: string;
  before: string;
}

/**
 * A value typed in the builder as the filter language compares it: `42`, `true`, `false` and
 * `null` as themselves (comparisons are typed: 42 is not "42"), `"42"` quoted for the text, and
 * anything else as text.
 */
export function typedValue(text: string): unknown {
  const trimmed = text.trim();
  if (/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null|".*")$/.test(trimmed)) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** A UTC date (`2026-12-07`, as a date input gives it) as the ISO instant its day starts. */
function dayStart(date: string): string {
  return `${date}T00:00:00.000Z`;
}

/** The filter the builder's fields make, as the API's JSON; several conditions must all hold. */
export function buildFilter(f: BuilderFields): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  if (f.tag.trim() !== '') filter['tags'] = { contains: f.tag.trim() };
  if (f.key.trim() !== '') filter[`metadata.${f.key.trim()}`] = { eq: typedValue(f.value) };
  const created: Record<string, string> = {};
  if (f.after !== '') created['gte'] = dayStart(f.after);
  if (f.before !== '') created['lt'] = dayStart(f.before);
  if (Object.keys(created).length > 0) filter['createdAt'] = created;
  return filter;
}

/**
 * The filter as text, in the API's own language, applied to the list (and the page's URL, so it
 * can be shared). Text that is not JSON is sent as it is: the API's refusal names the problem.
 */
export function FilterForm(props: { filter: string; onApply(filter: string): void }): JSX.Element {
  const [text, setText] = useState(props.filter);
  // The URL changed (Back, a shared link, the builder): the text follows it.
  useEffect(() => setText(props.filter), [props.filter]);
  const apply = (value: string): void => {
    let compact = value.trim();
    try {
      compact = compact === '' ? '' : JSON.stringify(JSON.parse(compact));
    } catch {
      // Left as typed: the API answers VALIDATION_FAILED with where it went wrong.
    }
    props.onApply(compact);
  };
  return (
    <div class="memories-filter">
      <form
        role="search"
        aria-label="Filter memories"
        onSubmit={(e) => {
          e.preventDefault();
          apply(text);
        }}
      >
        <Field id="memories-filter-text" label="Filter" hint='JSON in the filter language, e.g. {"tags": {"contains": "infra"}, "metadata.priority": {"gte": 3}}.'>
          <textarea id="memories-filter-text" class="mono memories-filter-text" value={text} spellcheck={false} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
        </Field>
        <div class="actions">
          <button type="submit" class="primary">
            Apply filter
          </button>
          <button type="button" disabled={props.filter === '' && text === ''} onClick={() => {
            setText('');
            apply('');
          }}>
            Clear filter
          </button>
        </div>
      </form>
      <Builder
        onBuild={(filter) => {
          const value = JSON.stringify(filter);
          setText(value);
          apply(value);
        }}
      />
    </div>
  );
}

/** Common conditions without writing JSON: it writes the filter text, which can then be refined by hand. */
function Builder(props: { onBuild(filter: Record<string, unknown>): void }): JSX.Element {
  const [f, setF] = useState<BuilderFields>({ tag: '', key: '', value: '', after: '', before: '' });
  const input = (name: keyof BuilderFields, label: string, type = 'text', hint?: string): JSX.Element => (
    <Field id={`memories-builder-${name}`} label={label} hint={hint}>
      <input id={`memories-builder-${name}`} type={type} value={f[name]} onInput={(e) => setF({ ...f, [name]: (e.target as HTMLInputElement).value })} />
    </Field>
  );
  const empty = Object.keys(buildFilter(f)).length === 0;
  return (
    <details class="memories-builder">
      <summary>Build a filter</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          props.onBuild(buildFilter(f));
        }}
      >
        <div class="form-row">
          {input('tag', 'Has tag')}
          {input('key', 'Metadata field', 'text', 'e.g. topic or team.name')}
          {input('value', 'equals', 'text', '42 and true are typed; "42" is text')}
          {input('after', 'Created on or after (UTC)', 'date')}
          {input('before', 'Created before (UTC)', 'date')}
        </div>
        <button type="submit" disabled={empty}>
          Write and apply filter
        </button>
      </form>
    </details>
  );
}
