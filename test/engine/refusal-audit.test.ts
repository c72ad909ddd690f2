import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/core/types.js';
import { RefusalAudit, type Refusal } from '../../src/engine/refusal-audit.js';
import type { MemspaceEngine } from '../../src/memspace.js';
import { tempMemspace } from '../support/temp-memspace.js';

/*
 * The bounds of the refusal audit on the real embedded backend: a full table is written at
 * once (and only then), tallies of spaces with no trail to write into are dropped without
 * creating or restoring anything, and a tally's sample of request ids stays at ten. The
 * behaviour through the services, on every backend, is in test/conformance/specs/access.ts.
 */

let ms: MemspaceEngine & { cleanup(): Promise<void> };

beforeEach(async () => {
  ms = await tempMemspace();
  for (const name of ['alpha', 'cold']) await ms.spaces.create({ name, embedder: 'none', dimension: 4 });
});
afterEach(async () => {
  await ms.cleanup();
});

const refusal = (keyId: string, space: string, requestId?: string): Refusal => ({ keyId, space, via: { route: '/v1/memories' }, code: 'SPACE_NOT_FOUND', requestId });

/** The refusal entries of a space's trail as stored (read from the store, which writes nothing first). */
async function denied(space: string): Promise<AuditRecord[]> {
  return ms.registry.use(space, async ({ store }) => (await store.auditEntries({ limit: 1000 })).filter((e) => e.action === 'request.denied'));
}

describe('RefusalAudit', () => {
  it('holds at most maxTallies: the refusal that would pass it writes them all first', async () => {
    const audit = new RefusalAudit(ms.registry, { maxTallies: 3 });
    for (const key of ['k1', 'k2', 'k3']) await audit.count(refusal(key, 'alpha'));
    await audit.count(refusal('k1', 'alpha')); // a tally held already counts without growing the table
    expect(audit.pending).toBe(3);
    expect(await denied('alpha')).toEqual([]);
    await audit.count(refusal('k4', 'alpha'));
    expect(audit.pending).toBe(1);
    const written = await denied('alpha');
    expect(written.map((e) => [e.actor, e.details?.['count']])).toEqual([
      ['k1', 2],
      ['k2', 1],
      ['k3', 1],
    ]);
    await audit.close();
    expect((await denied('alpha')).map((e) => e.actor)).toEqual(['k1', 'k2', 'k3', 'k4']);
    expect((await ms.spaces.verifyAudit('alpha')).ok).toBe(true);
  });

  it('keeps the first ten request ids of a tally, and flushes one space without touching the others', async () => {
    const audit = new RefusalAudit(ms.registry);
    for (let i = 0; i < 25; i++) await audit.count(refusal('k1', 'alpha', `req-${i}`));
    await audit.count(refusal('k1', 'cold', 'req-cold'));
    await audit.flush('ALPHA'); // space names are compared case-insensitively
    expect(audit.pending).toBe(1);
    const [entry] = await denied('alpha');
    expect(entry).toMatchObject({ actor: 'k1', requestId: 'req-0', details: { route: '/v1/memories', code: 'SPACE_NOT_FOUND', count: 25 } });
    expect(entry!.details?.['requestIds']).toEqual(Array.from({ length: 10 }, (_, i) => `req-${i}`));
    expect(await denied('cold')).toEqual([]);
    await audit.close();
    expect((await denied('cold')).map((e) => e.requestId)).toEqual(['req-cold']);
  });

  it('drops the tallies of a missing space and of an archived one, which it does not restore', async () => {
    const audit = new RefusalAudit(ms.registry);
    await ms.lifecycle.archive('cold');
    await audit.count(refusal('k1', 'cold'));
    await audit.count(refusal('k1', 'nowhere'));
    await audit.count(refusal('k1', 'alpha'));
    await audit.close();
    expect(audit.pending).toBe(0);
    expect((await ms.registry.record('cold')).state).toBe('archived');
    expect((await ms.spaces.list({ limit: 100 })).items.map((s) => s.name).sort()).toEqual(['alpha', 'cold', 'default']);
    expect((await denied('alpha')).map((e) => e.actor)).toEqual(['k1']);
  });
});
