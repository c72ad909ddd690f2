import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again (after an action changed what the page shows). */
  reload(): void;
}

/**
 * Loads what a page shows, again whenever `deps` change; an answer that arrives after a newer
 * load started is dropped, so a quick click through pages never shows the wrong space's data.
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [round, setRound] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const id = ++latest.current;
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    load(controller.signal).then(
      (data) => id === latest.current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => id === latest.current && !controller.signal.aborted && setState({ data: undefined, error, loading: false }),
    );
    return () => controller.abort();
  }, [...deps, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { ...state, reload };
}

/** A user action in progress or failed. */
export interface Action {
  /** True while the action runs: its button says so and takes no second click. */
  busy: boolean;
  /** Its last failure, for an `ErrorNote`; cleared when it runs again. */
  error: unknown;
  /** Runs `action`, keeping `busy` and `error`; a failure is kept, not thrown. */
  run(action: () => Promise<void>): Promise<void>;
}

/** What a form or a button does on the user's request: one busy flag and one error, the same way everywhere. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = useCallback(async (action: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}
