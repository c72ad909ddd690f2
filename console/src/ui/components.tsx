import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from '../api.js';
import { onLinkClick, BASE } from '../router.js';
import { useAction } from './load.js';

/** A link to a console page. */
export function Link(props: { to: string; children: ComponentChildren; class?: string; current?: boolean }): JSX.Element {
  return (
    <a href={`${BASE}${props.to}`} class={props.class} aria-current={props.current === true ? 'page' : undefined} onClick={(e) => onLinkClick(e, props.to)}>
      {props.children}
    </a>
  );
}

/**
 * A page: its heading, and `data-ready` once what it shows has loaded (tests and the console
 * bench wait for it). Focus moves to the heading on each new page, for keyboard and screen
 * reader users.
 */
export function Page(props: { title: string; ready: boolean; children: ComponentChildren; actions?: ComponentChildren }): JSX.Element {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · memspace console`;
    heading.current?.focus({ preventScroll: true });
  }, [props.title]);
  useEffect(() => {
    if (!props.ready) return;
    performance.mark('console:ready');
    try {
      performance.measure('console:page', 'console:navigate', 'console:ready');
    } catch {
      // The first page has no navigate mark: its time is the load's own.
    }
  }, [props.ready, props.title]);
  return (
    <main id="main" data-ready={props.ready ? 'true' : 'false'} aria-busy={!props.ready}>
      <div class="page-head">
        <h1 tabIndex={-1} ref={heading}>
          {props.title}
        </h1>
        {props.actions !== undefined && <div class="actions">{props.actions}</div>}
      </div>
      {props.children}
    </main>
  );
}

/** What a failed call means to a person; SPACE_NOT_FOUND says nothing of whether the space exists. */
export function ErrorNote(props: { error: unknown }): JSX.Element | null {
  if (props.error === undefined || props.error === null) return null;
  const error = props.error;
  const text =
    error instanceof ApiError
      ? error.code === 'SPACE_NOT_FOUND'
        ? 'No such space, or this key cannot see it.'
        : error.code === 'FORBIDDEN'
          ? `This key may not do that: ${error.message}`
          : error.message
      : error instanceof Error
        ? error.message
        : String(error);
  return (
    <div class="note error" role="alert">
      <strong>{error instanceof ApiError ? error.code : 'Error'}</strong> {text}
    </div>
  );
}

export function Loading(): JSX.Element {
  return (
    <p class="muted" role="status">
      Loading…
    </p>
  );
}

/**
 * A bar for a share of a whole (a quota used, a score): the figure is always written beside it,
 * so the colour is never the only signal.
 */
export function Bar(props: { value: number; max: number; label: string; text?: string; tone?: 'vector' | 'keyword' | 'fused' | 'quota' }): JSX.Element {
  const share = props.max > 0 ? Math.max(0, Math.min(1, props.value / props.max)) : 0;
  const warn = props.tone === 'quota' && share >= 0.9;
  return (
    <div class="bar-row">
      <span class="bar" aria-hidden="true">
        <span class={`bar-fill ${props.tone ?? ''} ${warn ? 'warn' : ''}`} style={{ width: `${(share * 100).toFixed(1)}%` }} />
      </span>
      <span class="bar-text">
        <span class="sr-only">{props.label}: </span>
        {props.text ?? `${Math.round(share * 100)}%`}
        {warn && ' (near the limit)'}
      </span>
    </div>
  );
}

/** A small line of values over time, with its summary as text for those who do not see it. */
export function Sparkline(props: { values: readonly number[]; label: string; width?: number; height?: number }): JSX.Element {
  const width = props.width ?? 160;
  const height = props.height ?? 32;
  const values = props.values;
  if (values.length === 0) return <span class="muted">no samples yet</span>;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - ((v - min) / span) * (height - 4)).toFixed(1)}`).join(' ');
  const summary = `${props.label}: ${values.length} samples, from ${min} to ${max}, now ${values[values.length - 1]}`;
  return (
    <svg class="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary}>
      <title>{summary}</title>
      <polyline points={points} fill="none" stroke="currentColor" stroke-width="1.5" />
    </svg>
  );
}

/**
 * A button that asks first, in a modal dialog (focus stays inside until it closes; Escape
 * cancels). `onConfirm` runs on yes; its failure is shown in the dialog.
 */
export function ConfirmButton(props: { label: string; question: ComponentChildren; confirmLabel?: string; danger?: boolean; disabled?: boolean; onConfirm(): Promise<void> }): JSX.Element {
  const dialog = useRef<HTMLDialogElement>(null);
  const { busy, error, run } = useAction();
  const confirm = async (): Promise<void> => {
    await run(async () => {
      await props.onConfirm();
      dialog.current?.close();
    });
  };
  return (
    <>
      <button type="button" class={props.danger === true ? 'danger' : ''} disabled={props.disabled} onClick={() => dialog.current?.showModal()}>
        {props.label}
      </button>
      <dialog ref={dialog} aria-label={props.label}>
        <p>{props.question}</p>
        <ErrorNote error={error} />
        <div class="actions">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="button" class={props.danger === true ? 'danger' : 'primary'} disabled={busy} onClick={() => void confirm()}>
            {busy ? 'Working…' : (props.confirmLabel ?? props.label)}
          </button>
        </div>
      </dialog>
    </>
  );
}

/** A labelled form field; the label is tied to its control by id. */
export function Field(props: { id: string; label: string; children: ComponentChildren; hint?: string }): JSX.Element {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint !== undefined && <small class="muted">{props.hint}</small>}
    </div>
  );
}
