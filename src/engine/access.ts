import { MemspaceError } from '../core/errors.js';
import { allows, roleIn, ROOT_GRANT, type Grant, type Role } from '../core/grants.js';
import type { Page, Space } from '../core/views.js';
import type { MemoryService } from './memory-service.js';

/** Who makes a request: a key's id, name, grants and default space. */
export interface Principal {
  keyId: string;
  name: string;
  grants: readonly Grant[];
  defaultSpace: string | null;
}

/** Whoever holds the data directory (the local CLI, a server with authentication off) may do anything. */
export const LOCAL_PRINCIPAL: Principal = Object.freeze({ keyId: 'local', name: 'local', grants: [ROOT_GRANT], defaultSpace: null });

/**
 * Checks that `principal` may act on `space` with `needed`. A space outside every grant is
 * `SPACE_NOT_FOUND`, exactly as a space that does not exist, so a scoped key learns nothing of
 * other spaces; a visible space with too small a role is `FORBIDDEN`.
 */
export function requireRole(principal: Principal, space: string, needed: Role): void {
  const role = roleIn(principal.grants, space);
  if (role === undefined) throw new MemspaceError('SPACE_NOT_FOUND', `space "${space}" not found`, { space });
  if (!allows(role, needed)) {
    throw new MemspaceError('FORBIDDEN', `this key may ${role} in space "${space}" but not ${needed}`, { space, role, needed });
  }
}

/** True when `principal` may see `space` at all. */
export function canSee(principal: Principal, space: string): boolean {
  return roleIn(principal.grants, space) !== undefined;
}

/**
 * A page of the spaces a key can see. Pages of the catalogue are filtered until the page is
 * full, so a scoped key can neither list nor count what lies outside its grants.
 */
export async function visibleSpaces(s: MemoryService, principal: Principal, q: { prefix?: string | undefined; limit?: number | undefined; cursor?: string | undefined }): Promise<Page<Space>> {
  const limit = q.limit ?? 100;
  const items: Space[] = [];
  let cursor = q.cursor;
  for (;;) {
    const page = await s.listSpaces({ ...(q.prefix && { prefix: q.prefix }), limit: 1000, ...(cursor && { cursor }) });
    for (const space of page.items) {
      if (!canSee(principal, space.name)) continue;
      items.push(space);
      if (items.length === limit) return { items, nextCursor: space.name };
    }
    if (page.nextCursor === null) return { items, nextCursor: null };
    cursor = page.nextCursor;
  }
}
