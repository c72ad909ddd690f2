import { useEffect, useState } from 'preact/hooks';

/** Every console page lives under this path; the server answers index.html for all of them. */
export const BASE = '/console';

const listeners = new Set<() => void>();

/** The console path of the page shown, without BASE (`/spaces/a`), and its query. */
export function location(): { path: string; query: URLSearchParams } {
  const path = window.location.pathname.startsWith(BASE) ? window.location.pathname.slice(BASE.length) : window.location.pathname;
  return { path: path === '' ? '/' : path, query: new URLSearchParams(window.location.search) };
}

/** Shows another page: `to` is a console path (`/spaces/a/memories?tag=x`). */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = `${BASE}${to}`;
  if (options.replace === true) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  performance.mark('console:navigate');
  for (const listener of listeners) listener();
}

window.addEventListener('popstate', () => {
  performance.mark('console:navigate');
  for (const listener of listeners) listener();
});

/** The current location, re-rendering its component on every navigation. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = (): void => setTick((n) => n + 1);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, []);
  return location();
}

/**
 * Matches a path against a pattern with `:name` parts; the parameters decoded, or null.
 * `/spaces/:space/memories/:id` matches `/spaces/a%2Fb/memories/x` with space `a/b`.
 */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.replace(/\/$/, '').split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const part = want[i]!;
    if (part.startsWith(':')) {
      try {
        params[part.slice(1)] = decodeURIComponent(got[i]!);
      } catch {
        return null;
      }
    } else if (part !== got[i]) return null;
  }
  return params;
}

/** A console link: a real `<a href>` (opens in a new tab too), followed in place on a plain click. */
export function onLinkClick(event: MouseEvent, to: string): void {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(to);
}
