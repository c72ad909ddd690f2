import { describe, expect, it } from 'vitest';
import type { SpaceCatalog } from '../../src/core/ports/space-catalog.js';
import { ROUTE_MAX_SPACES } from '../../src/core/routing.js';
import type { SpaceRecord } from '../../src/core/types.js';
import { AccessGuard, type Principal } from '../../src/engine/access-guard.js';
import { RouteService } from '../../src/engine/route-service.js';
import { SpaceEmbeddings } from '../../src/engine/space-embeddings.js';
import { SpaceGate } from '../../src/engine/space-gate.js';
import type { SpaceRegistry } from '../../src/engine/space-registry.js';
import { isMemspaceError } from '../../src/core/errors.js';

// The bound of one route call: more readable spaces than ROUTE_MAX_SPACES is refused before any
// space is opened, and only readable spaces count towards it. A catalogue of fakes stands in
// for thousands of real spaces; the registry is never reached (it would throw).

const names = Array.from({ length: ROUTE_MAX_SPACES + 5 }, (_, i) => `s${String(i).padStart(5, '0')}`);
const record = (name: string): SpaceRecord => ({ name, project: null, state: 'idle' }) as SpaceRecord;
const catalog = {
  list: async ({ after, limit, prefix }: { after?: string; limit: number; prefix?: string }) =>
    names.filter((n) => (after === undefined || n > after) && (prefix === undefined || n.startsWith(prefix))).slice(0, limit).map(record),
} as unknown as SpaceCatalog;
const registry = {
  use: () => Promise.reject(new Error('no space may be opened')),
  record: () => Promise.reject(new Error('no space may be looked up')),
} as unknown as SpaceRegistry;
const service = new RouteService(new SpaceGate(registry, new AccessGuard(registry)), catalog, new SpaceEmbeddings({ get: () => undefined, dimensionOf: () => undefined }));
const principal = (grants: Principal['grants']): Principal => ({ keyId: 'k', name: 'k', grants, defaultSpace: null });

describe('the bound of a route call', () => {
  it(`refuses more than ${ROUTE_MAX_SPACES} readable spaces with VALIDATION_FAILED, asking for spaces or a prefix`, async () => {
    const error = await service.route({ text: 'anything' }, { principal: principal([{ prefix: '', role: 'read' }]) }).catch((e: unknown) => e);
    expect(isMemspaceError(error) && error.code).toBe('VALIDATION_FAILED');
    expect(isMemspaceError(error) && error.details).toMatchObject({ limit: ROUTE_MAX_SPACES });
    expect((error as Error).message).toMatch(/prefix/);
  });

  it('counts only the spaces the key can read: a key of a few of them is not refused for the others', async () => {
    // A prefix that matches no readable space leaves nothing to open: an empty answer, not a refusal.
    const few = principal([{ prefix: 'zz', role: 'read' }]);
    await expect(service.route({ text: 'anything' }, { principal: few })).resolves.toEqual({ results: [] });
  });
});
