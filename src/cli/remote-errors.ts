import { MemspaceError, toMemspaceError } from '../core/errors.js';
import type { CliTarget } from './target.js';

/**
 * A failure as the command line's user should read it. Against a server (`--url`) the SDK
 * speaks of HTTP (`Authorization: Bearer`, `GET /v1/...`), which the user never typed: a
 * missing or refused key is told in terms of `--key` and `MEMSPACE_KEY`, and a server that
 * cannot be reached in one line naming its URL. Other failures, and every failure on a data
 * directory, are left as they are.
 */
export function forCliUser(error: unknown, target: CliTarget | undefined): unknown {
  if (target?.kind !== 'url') return error;
  const e = toMemspaceError(error);
  if (e.code === 'UNAUTHENTICATED') {
    const message =
      target.keyFrom === undefined
        ? `${target.url} needs an API key: give --key KEY or set MEMSPACE_KEY`
        : `${target.url} refused the key of ${target.keyFrom} (${e.message})`;
    return new MemspaceError('UNAUTHENTICATED', message, e.details, { cause: e });
  }
  if (e.code === 'BACKEND_UNAVAILABLE' && e.message.startsWith('cannot reach ')) {
    const cause = e.cause instanceof Error ? reason(e.cause) : undefined;
    return new MemspaceError('BACKEND_UNAVAILABLE', `cannot reach ${target.url}${cause === undefined ? '' : ` (${cause})`}`, e.details, { cause: e });
  }
  return error;
}

/** The innermost reason of a failed fetch: `connect ECONNREFUSED 127.0.0.1:1`, `getaddrinfo ENOTFOUND host`. */
function reason(error: Error): string {
  let inner: unknown = error;
  while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
  return inner instanceof Error ? inner.message : String(inner);
}
