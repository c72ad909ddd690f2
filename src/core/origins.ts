/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * The origin of an `http:` or `https:` URL as browsers write it in the `Origin` header
 * (`scheme://host[:port]`, lower-cased, default port and any path dropped); undefined for
 * anything else, `null` included.
 */
export function webOrigin(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
}

/**
 * Whether a request carrying the `Origin` header `origin` may go on, against DNS rebinding: a
 * web page can point a host name of its own at 127.0.0.1 and then reach a local server as if
 * it were same-origin, but the browser still sends the page's real origin. Programs send no
 * `Origin`, so its absence passes. A page served from this machine (`localhost`, `127.x.x.x`,
 * `[::1]`, any port) passes, as does one whose origin `allowed` lists (entries as
 * {@link webOrigin} writes them), or any origin when `allowed` holds `*`. The `Host` header
 * proves nothing here: under DNS rebinding it names the attacker's host name too.
 */
export function isAllowedOrigin(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined || allowed.includes('*')) return true;
  const normal = webOrigin(origin);
  if (normal === undefined) return false;
  // URL keeps the brackets of an IPv6 host name.
  return isLoopback(new URL(normal).hostname.replace(/^\[(.*)\]$/, '$1')) || allowed.includes(normal);
}
