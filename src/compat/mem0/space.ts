import type { IncomingHttpHeaders } from 'node:http';
import { MemspaceError } from '../../core/errors.js';
import { DEFAULT_SPACE, spaceKey, spaceOfHeaders } from '../../core/space-name.js';
import type { Principal } from '../../engine/access-guard.js';
import type { Namespaces } from './filters.js';

/**
 * The space a mem0 request reaches: the namespace of its `user/namespace` user ids, the
 * `X-Memory-Space` header (or its alias `X-Namespace`), the key's default space, else `default`.
 * A namespace and a header naming different spaces is `SPACE_CONFLICT`; an invalid name is
 * `INVALID_SPACE` and never falls back. Whether the key may see the space is checked afterwards,
 * by the caller.
 */
export function chooseSpace(headers: IncomingHttpHeaders, principal: Principal, namespaces: Namespaces): string {
  const header = spaceOfHeaders((name) => headers[name]);
  const namespace = namespaces.space();
  if (header !== undefined && namespace !== undefined && spaceKey(header) !== spaceKey(namespace)) {
    throw new MemspaceError('SPACE_CONFLICT', 'the user id\'s namespace and the X-Memory-Space header name different spaces', { header, namespace });
  }
  return namespace ?? header ?? principal.defaultSpace ?? DEFAULT_SPACE;
}
