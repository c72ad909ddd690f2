import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { ArchiveResponse, DeletedResponse, SpaceResponse } from '../../core/response-schemas.js';

/** Operations on a space's lifecycle: archive tiers and retention sweeps. */
export function lifecycleRoutes(ms: Memspace): RouteSpec[] {
  return [
    {
      method: 'POST',
      path: '/spaces/:space/archive',
      scoped: false,
      tag: 'operations',
      summary: 'Archive a space: one compressed file under archive/, its directory removed, requests refused with SPACE_ARCHIVED',
      role: 'admin',
      response: ArchiveResponse,
      handler: async ({ space, call }) => ms.lifecycle.archive(space, call),
    },
    {
      method: 'POST',
      path: '/spaces/:space/restore',
      scoped: false,
      tag: 'operations',
      summary: 'Restore an archived space',
      role: 'admin',
      response: SpaceResponse,
      handler: async ({ space, call }) => ms.lifecycle.restore(space, call),
    },
    {
      method: 'POST',
      path: '/spaces/:space/sweep',
      scoped: false,
      tag: 'operations',
      summary: 'Hard-delete the expired memories and those past retention now',
      role: 'admin',
      response: DeletedResponse,
      handler: async ({ space, call }) => ({ deleted: await ms.sweeper.sweepSpace(space, call) }),
    },
  ];
}
