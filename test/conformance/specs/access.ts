import { beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../src/core/types.js';
import type { CallContext, Principal } from '../../../src/engine/access-guard.js';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import { code, failure, twoSpaces, type Suite } from '../harness.js';

/**
 * The one access guard, through every service: a caller that names a space outside its
 * grants gets exactly what a missing space gets, one with too small a role is FORBIDDEN, and
 * every refusal is audited in the space it named (when that space exists) and changes nothing.
 */
export function accessSpec(suite: Suite): void {
  describe('access through the engine guard', () => {
    const DIM = 8;
    const v = (axis: number): number[] => axisVector(DIM, axis);
    // The callers below hold nothing in alpha, or only read; beta is the outsider's own space.
    const t = twoSpaces(suite, DIM);
    let memoryId: string;
    const key = (keyId: string, grants: Principal['grants']): CallContext => ({ principal: { keyId, name: keyId, grants, defaultSpace: null }, requestId: `req-${keyId}` });
    let outsider: CallContext;
    let reader: CallContext;
    beforeEach(async () => {
      memoryId = (await t.ms.memories.add(t.alpha, { content: 'alpha secret', embedding: v(1), tags: ['t'] })).id;
      outsider = key('key_outsider', [{ space: t.beta, role: 'admin' }]);
      reader = key('key_reader', [{ space: t.alpha, role: 'read' }]);
    });

    /** Every call a caller can make on one space, by the role it needs. */
    const calls = (space: string, call: CallContext): [string, 'read' | 'write' | 'admin', () => Promise<unknown>][] => [
      ['memories.get', 'read', () => t.ms.memories.get(space, memoryId, {}, call)],
      ['memories.list', 'read', () => t.ms.memories.list(space, {}, call)],
      ['memories.history', 'read', () => t.ms.memories.history(space, memoryId, call)],
      ['memories.relations', 'read', () => t.ms.memories.relations(space, memoryId, {}, call)],
      ['memories.getContext', 'read', () => t.ms.memories.getContext(space, 'c1', call)],
      ['search.run', 'read', () => t.ms.search.run(space, { embedding: v(1), query: 'secret' }, call)],
      ['search.settleIndex', 'read', () => t.ms.search.settleIndex(space, call)],
      ['spaces.get', 'read', () => t.ms.spaces.get(space, call)],
      ['health.spaceHealth', 'read', () => t.ms.health.spaceHealth(space, call)],
      ['health.history', 'read', () => t.ms.health.history(space, call)],
      ['shares.incoming', 'read', () => t.ms.shares.incoming(space, call)],
      ['changes.follow', 'read', () => t.ms.changes.follow(space, 0, { signal: AbortSignal.abort() }, call)],
      ['transfer.exportSpace', 'read', () => t.ms.transfer.exportSpace(space, undefined, call).next()],
      ['memories.add', 'write', () => t.ms.memories.add(space, { content: 'planted', embedding: v(2) }, call)],
      ['memories.addMany', 'write', () => t.ms.memories.addMany(space, [{ content: 'planted', embedding: v(2) }], call)],
      ['memories.update', 'write', () => t.ms.memories.update(space, memoryId, { content: 'hijacked', embedding: v(3) }, call)],
      ['memories.delete', 'write', () => t.ms.memories.delete(space, memoryId, call)],
      ['memories.deleteMatching', 'write', () => t.ms.memories.deleteMatching(space, {}, call)],
      ['memories.relate', 'write', () => t.ms.memories.relate(space, { from: memoryId, to: memoryId, type: 'self' }, call)],
      ['memories.unrelate', 'write', () => t.ms.memories.unrelate(space, 'r1', call)],
      ['memories.addContext', 'write', () => t.ms.memories.addContext(space, { content: 'planted', embedding: v(2) }, call)],
      ['memories.deleteContext', 'write', () => t.ms.memories.deleteContext(space, 'c1', call)],
      ['transfer.importSpace', 'write', () => t.ms.transfer.importSpace(space, lines([]), undefined, call)],
      ['spaces.update', 'admin', () => t.ms.spaces.update(space, { description: 'hijacked' }, call)],
      ['spaces.delete', 'admin', () => t.ms.spaces.delete(space, call)],
      ['spaces.audit', 'admin', () => t.ms.spaces.audit(space, {}, call)],
      ['spaces.verifyAudit', 'admin', () => t.ms.spaces.verifyAudit(space, call)],
      ['spaces.recordAudit', 'admin', () => t.ms.spaces.recordAudit(space, { action: 'note.forged' }, call)],
      ['shares.create', 'admin', () => t.ms.shares.create(space, { to: t.beta }, call)],
      ['shares.list', 'admin', () => t.ms.shares.list(space, call)],
      ['shares.delete', 'admin', () => t.ms.shares.delete(space, 'shr_1', call)],
      ['sweeper.sweepSpace', 'admin', () => t.ms.sweeper.sweepSpace(space, call)],
    ];

    it('answers a space outside the grants as a missing one, through every service, and changes nothing', async () => {
      const missing = suite.name('missing');
      for (const [label, , run] of calls(t.alpha, outsider)) await expect(run(), label).rejects.toThrowError(code('SPACE_NOT_FOUND'));
      for (const [label, , run] of calls(missing, outsider)) await expect(run(), label).rejects.toThrowError(code('SPACE_NOT_FOUND'));
      // Cross-space search names alpha too: refused as a missing space.
      await expect(t.ms.search.across([t.beta, t.alpha], { embedding: v(1) }, outsider)).rejects.toThrowError(code('SPACE_NOT_FOUND'));
      const all = await t.ms.memories.list(t.alpha, { limit: 100 });
      expect(all.items.map((m) => m.content)).toEqual(['alpha secret']);
      expect((await t.ms.spaces.get(t.alpha)).description).toBe('');
    });

    it("lists a share given to a space among that space's incoming shares, for its readers only", async () => {
      await t.ms.spaces.update(t.beta, { isolation: 'shared' });
      const share = await t.ms.shares.create(t.beta, { to: t.alpha });
      expect((await t.ms.shares.incoming(t.alpha, reader)).map((s) => [s.id, s.space])).toEqual([[share.id, t.beta]]);
      expect(await t.ms.shares.incoming(t.beta)).toEqual([]);
      // The outsider administers beta, the source: it still cannot list what alpha receives.
      await expect(t.ms.shares.incoming(t.alpha, outsider)).rejects.toThrowError(code('SPACE_NOT_FOUND'));
      // A source turned strict gives no access: the share is no longer listed.
      await t.ms.spaces.update(t.beta, { isolation: 'strict' });
      expect(await t.ms.shares.incoming(t.alpha, reader)).toEqual([]);
    });

    it('refuses a role too small with FORBIDDEN, and lets the role it holds through', async () => {
      for (const [label, role, run] of calls(t.alpha, reader)) {
        // Let through, a call may still find nothing (an unknown context id): never an access error.
        const outcome = await run().then(
          () => 'done',
          (error: unknown) => (error as { code?: string }).code,
        );
        expect(outcome, label).toBe(role === 'read' ? (label.endsWith('getContext') ? 'NOT_FOUND' : 'done') : 'FORBIDDEN');
      }
      expect((await t.ms.memories.get(t.alpha, memoryId)).content).toBe('alpha secret');
    });

    it('records every refusal in the audit trail of the space it named, with who and which request', async () => {
      const before = (await t.ms.spaces.audit(t.alpha, { action: 'request.denied' })).items.length;
      await expect(t.ms.memories.add(t.alpha, { content: 'x', embedding: v(1) }, outsider)).rejects.toThrowError(code('SPACE_NOT_FOUND'));
      await expect(t.ms.memories.delete(t.alpha, memoryId, { ...reader, via: { tool: 'delete_memory' } })).rejects.toThrowError(code('FORBIDDEN'));
      // Reading the trail writes the refusals counted in it so far.
      const denied = (await t.ms.spaces.audit(t.alpha, { action: 'request.denied' })).items.slice(before);
      const once = (requestId: string) => ({ count: 1, firstAt: expect.any(String), lastAt: expect.any(String), requestIds: [requestId] });
      expect(denied.map((e) => [e.actor, e.requestId, e.details])).toEqual([
        ['key_outsider', 'req-key_outsider', { code: 'SPACE_NOT_FOUND', ...once('req-key_outsider') }],
        ['key_reader', 'req-key_reader', { tool: 'delete_memory', code: 'FORBIDDEN', ...once('req-key_reader') }],
      ]);
      expect((await t.ms.spaces.verifyAudit(t.alpha)).ok).toBe(true);
      // The caller's own space heard nothing of it.
      expect((await t.ms.spaces.audit(t.beta, { action: 'request.denied' })).items).toEqual([]);
    });

    it('counts a key hammering a space it cannot see in memory: no audit write per refusal, then one entry with the count', async () => {
      const own = await t.ms.memories.add(t.beta, { content: 'beta own', embedding: v(2) });
      const before = await storedTrail(t.ms, t.alpha);
      const missing = suite.name('missing');
      for (let i = 0; i < 200; i++) {
        const call = { ...outsider, requestId: `req-${i}` };
        // Exactly what a missing space answers: the refusal reveals nothing, counted or not.
        expect(await failure(t.ms.memories.list(t.alpha, {}, call))).toEqual({ code: 'SPACE_NOT_FOUND', details: { space: t.alpha } });
        expect(await failure(t.ms.memories.list(missing, {}, call))).toEqual({ code: 'SPACE_NOT_FOUND', details: { space: missing } });
      }
      // Nothing durable per request: the trail is as it was (read from the store, which writes nothing).
      expect(await storedTrail(t.ms, t.alpha)).toEqual(before);
      await t.ms.guard.flushRefusals();
      const after = await storedTrail(t.ms, t.alpha);
      expect(after.slice(0, before.length)).toEqual(before);
      expect(after.slice(before.length).map((e) => [e.action, e.actor, e.requestId, e.details])).toEqual([
        [
          'request.denied',
          'key_outsider',
          'req-0',
          { code: 'SPACE_NOT_FOUND', count: 200, firstAt: expect.any(String), lastAt: expect.any(String), requestIds: Array.from({ length: 10 }, (_, i) => `req-${i}`) },
        ],
      ]);
      expect((await t.ms.spaces.verifyAudit(t.alpha)).ok).toBe(true);
      // The outsider's own space heard nothing of it, and its own data is there for it.
      expect((await storedTrail(t.ms, t.beta)).filter((e) => e.action === 'request.denied')).toEqual([]);
      expect((await t.ms.memories.list(t.beta, {}, outsider)).items.map((m) => m.id)).toEqual([own.id]);
    });

    it('writes the counts when their interval ends, without anyone reading the trail', async () => {
      const ms = await suite.open({ config: { denialAuditIntervalMs: 200 } });
      // Counted in one turn of the event loop, so all within one interval however loaded the machine.
      const refused = await Promise.allSettled(Array.from({ length: 30 }, () => ms.memories.delete(t.alpha, memoryId, reader)));
      expect(refused.map((r) => r.status === 'rejected' && (r.reason as { code?: string }).code)).toEqual(Array(30).fill('FORBIDDEN'));
      await expect.poll(async () => (await storedTrail(ms, t.alpha)).filter((e) => e.action === 'request.denied').length, { timeout: 30_000 }).toBe(1);
      const [entry] = (await storedTrail(ms, t.alpha)).filter((e) => e.action === 'request.denied');
      expect(entry).toMatchObject({ actor: 'key_reader', details: { code: 'FORBIDDEN', count: 30 } });
      expect((await t.ms.memories.get(t.alpha, memoryId)).content).toBe('alpha secret');
    });

    it('writes what it counted when memspace closes, for the next process to read', async () => {
      const first = await suite.open();
      for (let i = 0; i < 5; i++) await expect(first.spaces.delete(t.alpha, reader)).rejects.toThrowError(code('FORBIDDEN'));
      expect((await storedTrail(first, t.alpha)).filter((e) => e.action === 'request.denied')).toEqual([]);
      await first.close();
      const next = await suite.open();
      const denied = (await next.spaces.audit(t.alpha, { action: 'request.denied' })).items;
      expect(denied).toEqual([expect.objectContaining({ actor: 'key_reader', details: expect.objectContaining({ code: 'FORBIDDEN', count: 5 }) })]);
      expect((await next.spaces.verifyAudit(t.alpha)).ok).toBe(true);
      expect((await next.spaces.get(t.alpha)).name).toBe(t.alpha); // refused, the space is still there
    });

    it('lists only the spaces a key can see, and creates only under its admin grants', async () => {
      const names = (await t.ms.spaces.list({ limit: 1000 }, outsider)).items.map((s) => s.name);
      expect(names).toEqual([t.beta]);
      await expect(t.ms.spaces.create({ name: suite.name('elsewhere'), embedder: 'none', dimension: DIM }, outsider)).rejects.toThrowError(code('FORBIDDEN'));
      const own = `${t.beta}.child`;
      await expect(t.ms.spaces.create({ name: own, embedder: 'none', dimension: DIM }, key('key_prefix', [{ prefix: `${t.beta}.`, role: 'admin' }]))).resolves.toMatchObject({ name: own });
    });
  });
}

/** A space's audit trail as stored, read through its store: unlike the service's reads, this writes no counted refusal first. */
async function storedTrail(ms: MemspaceEngine, space: string): Promise<AuditRecord[]> {
  return ms.registry.use(space, ({ store }) => store.auditEntries({ limit: 1000 }));
}

async function* lines(items: string[]): AsyncGenerator<string> {
  yield* items;
}
