import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { Field } from '../ui/components.js';
import { KNOWN_ACTIONS, type AuditFilters } from './audit-model.js';

/** A key the signed-in key administers, to name actors and offer them as filters. */
export interface KnownKey {
  id: string;
  name: string;
}

/**
 * The listing's filters: an action and a key (the actor: a key id, or a name such as `cli` or
 * `sweeper`), both exact, and the order. Applied to the URL, so a view can be shared. A value the
 * API refuses is shown with its code by the page; it is sent as typed.
 */
export function AuditFilterForm(props: { filters: AuditFilters; keys: readonly KnownKey[]; onApply(filters: AuditFilters): void }): JSX.Element {
  const [action, setAction] = useState(props.filters.action ?? '');
  const [actor, setActor] = useState(props.filters.actor ?? '');
  const [order, setOrder] = useState<'desc' | 'asc'>(props.filters.order ?? 'desc');
  const filtered = props.filters.action !== undefined || props.filters.actor !== undefined;
  return (
    <form
      class="audit-filter form-row"
      aria-label="Filter the audit trail"
      onSubmit={(e) => {
        e.preventDefault();
        props.onApply({ action: action.trim() || undefined, actor: actor.trim() || undefined, order: order === 'asc' ? 'asc' : undefined });
      }}
    >
      <Field id="audit-action" label="Action" hint="exact, e.g. memory.create">
        <input id="audit-action" list="audit-actions" value={action} onInput={(e) => setAction(e.currentTarget.value)} autocomplete="off" spellcheck={false} />
        <datalist id="audit-actions">
          {KNOWN_ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
      </Field>
      <Field id="audit-actor" label="Key (actor)" hint="a key id (key_…) or a name such as cli">
        <input id="audit-actor" list="audit-keys" value={actor} onInput={(e) => setActor(e.currentTarget.value)} autocomplete="off" spellcheck={false} />
        <datalist id="audit-keys">
          {props.keys.slice(0, 200).map((k) => (
            <option key={k.id} value={k.id}>
              {k.name}
            </option>
          ))}
        </datalist>
      </Field>
      <Field id="audit-order" label="Order">
        <select id="audit-order" value={order} onChange={(e) => setOrder(e.currentTarget.value === 'asc' ? 'asc' : 'desc')}>
          <option value="desc">Newest first</option>
          <option value="asc">Oldest first</option>
        </select>
      </Field>
      <div class="actions audit-filter-actions">
        <button type="submit" class="primary">
          Apply
        </button>
        {filtered && (
          <button type="button" onClick={() => props.onApply({ order: props.filters.order })}>
            Clear filters
          </button>
        )}
      </div>
    </form>
  );
}
