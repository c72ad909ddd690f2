import type { JSX } from 'preact';
import { Field } from '../ui/components.js';
import { MODES, type SearchState, type Settings } from './search-query.js';

/** What an input event carries, for the form's one-line handlers. */
type InputEvent = JSX.TargetedEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>;

/**
 * The playground's form: the query and filters both settings share, one or two settings (A and
 * B when comparing), Search and the Compare toggle. `noValidate`: a value the API refuses is
 * sent, so its answer, with its code, is what the user sees.
 */
export function SearchForm(props: { state: SearchState; busy: boolean; onChange(state: SearchState): void; onSubmit(): void }): JSX.Element {
  const { state, onChange } = props;
  const toggleCompare = (on: boolean): void => onChange({ ...state, compare: on, b: on && !state.compare ? { ...state.a } : state.b });
  return (
    <form
      class="search-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit();
      }}
    >
      <SharedFields state={state} onChange={onChange} />
      <div class={state.compare ? 'columns search-sides' : 'search-sides'}>
        <SettingsFields side="a" legend={state.compare ? 'Settings A' : 'Settings'} value={state.a} onChange={(a) => onChange({ ...state, a })} />
        {state.compare && <SettingsFields side="b" legend="Settings B" value={state.b} onChange={(b) => onChange({ ...state, b })} />}
      </div>
      <div class="actions">
        <button type="submit" class="primary" disabled={props.busy}>
          {props.busy ? 'Searching…' : 'Search'}
        </button>
        <label class="search-toggle">
          <input type="checkbox" checked={state.compare} onChange={(e) => toggleCompare(e.currentTarget.checked)} /> Compare two settings
        </label>
      </div>
    </form>
  );
}

/** The query, filter and tags: the same for A and B, so only the settings explain a difference. */
function SharedFields(props: { state: SearchState; onChange(state: SearchState): void }): JSX.Element {
  const { state, onChange } = props;
  const set = (key: 'q' | 'filter' | 'tags' | 'tagsMatch') => (e: InputEvent) => onChange({ ...state, [key]: e.currentTarget.value });
  return (
    <>
      <Field id="search-q" label="Query">
        <input id="search-q" type="search" class="search-query" value={state.q} onInput={set('q')} autoComplete="off" />
      </Field>
      <div class="form-row">
        <Field id="search-filter" label="Filter (JSON)" hint={'e.g. {"metadata.topic": "deploys"}; see docs/search.md'}>
          <textarea id="search-filter" class="search-filter mono" rows={2} spellcheck={false} value={state.filter} onInput={set('filter')} />
        </Field>
        <Field id="search-tags" label="Tags" hint="comma-separated">
          <input id="search-tags" value={state.tags} onInput={set('tags')} autoComplete="off" />
        </Field>
        <Field id="search-tags-match" label="Tags match">
          <select id="search-tags-match" value={state.tagsMatch} onChange={set('tagsMatch')}>
            <option value="any">any of them</option>
            <option value="all">all of them</option>
          </select>
        </Field>
      </div>
    </>
  );
}

/** One side's settings: mode, fusion and weights, limit, threshold, rank weights. */
function SettingsFields(props: { side: 'a' | 'b'; legend: string; value: Settings; onChange(value: Settings): void }): JSX.Element {
  const { side, value, onChange } = props;
  const id = (key: string): string => `search-${side}-${key}`;
  const set = (key: keyof Settings) => (e: InputEvent) => onChange({ ...value, [key]: e.currentTarget.value });
  const hybrid = value.mode === 'hybrid';
  return (
    <fieldset class="search-side">
      <legend>{props.legend}</legend>
      <div class="form-row">
        <Field id={id('mode')} label="Mode">
          <select id={id('mode')} value={value.mode} onChange={set('mode')}>
            {MODES.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </Field>
        <Field id={id('fusion')} label="Fusion">
          <select id={id('fusion')} value={value.fusion} onChange={set('fusion')} disabled={!hybrid}>
            <option value="weighted">weighted</option>
            <option value="rrf">rrf (reciprocal rank)</option>
          </select>
        </Field>
        <Field id={id('limit')} label="Limit">
          <input id={id('limit')} class="search-number" type="number" min={1} max={1000} step={1} value={value.limit} onInput={set('limit')} />
        </Field>
        <Field id={id('threshold')} label="Threshold">
          <input id={id('threshold')} class="search-number" type="number" min={-1} max={1} step="any" placeholder="none" value={value.threshold} onInput={set('threshold')} />
        </Field>
      </div>
      <WeightField id={id('vector-weight')} value={value.vectorWeight} enabled={hybrid} onChange={(vectorWeight) => onChange({ ...value, vectorWeight })} />
      <div class="form-row">
        <Field id={id('recency')} label="Recency weight">
          <input id={id('recency')} class="search-number" type="number" min={0} max={1} step="any" placeholder="0" value={value.recency} onInput={set('recency')} />
        </Field>
        <Field id={id('importance')} label="Importance weight">
          <input id={id('importance')} class="search-number" type="number" min={0} max={1} step="any" placeholder="0" value={value.importance} onInput={set('importance')} />
        </Field>
      </div>
    </fieldset>
  );
}

/** The vector weight as a slider and as a number, kept equal, with the keyword half's share written out. */
function WeightField(props: { id: string; value: string; enabled: boolean; onChange(value: string): void }): JSX.Element {
  const weight = Number(props.value);
  const valid = props.value.trim() !== '' && Number.isFinite(weight);
  const split = valid ? `vector ${round(weight)} · keyword ${round(1 - weight)}` : 'not a number';
  return (
    <div class="field search-weight">
      <label for={props.id}>Vector weight</label>
      <div class="search-weight-row">
        <input
          id={props.id}
          type="range"
          min={0}
          max={1}
          step={0.01}
          value={valid ? String(Math.min(1, Math.max(0, weight))) : '0.5'}
          disabled={!props.enabled}
          aria-describedby={`${props.id}-split`}
          onInput={(e) => props.onChange(e.currentTarget.value)}
        />
        <input
          id={`${props.id}-number`}
          class="search-number"
          type="number"
          min={0}
          max={1}
          step="any"
          aria-label="Vector weight, as a number"
          value={props.value}
          disabled={!props.enabled}
          onInput={(e) => props.onChange(e.currentTarget.value)}
        />
      </div>
      <small id={`${props.id}-split`} class="muted">
        {props.enabled ? split : 'used by hybrid mode only'}
      </small>
    </div>
  );
}

/** A weight to two decimals, without trailing zeros (0.5, not 0.50). */
function round(value: number): string {
  return String(Math.round(value * 100) / 100);
}
