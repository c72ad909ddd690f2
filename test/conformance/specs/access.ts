import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CallContext, Principal } from '../../../src/engine/access-guard.js';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import { code, type Suite } from '../harness.js';

/**
 * The one access guard, through every service: a caller that names a space outside its
 * grants gets exactly what a missing space gets, one with too small a role is FORBIDDEN, and
 * every refusal is audited in the space it named (when that space exists) and changes nothing.
 */
export function accessSpec(suite: Suite): void {
  describe('access through the engine guard', () => {
    const DIM = 8;
    const v = (axis: number): number[] => axisVector(DIM, axis);
    const shared = suite.shared();
    let ms: MemspaceEngine;
    /** The victim space; the callers below hold nothing in it, or only read. */
    let alpha: string;
    /** The callers' own space. */
    let beta: string;
    let memoryId: string;
    const key = (keyId: string, grants: Principal['grants']): CallContext => ({ principal: { keyId, name: keyId, grants, defaultSpace: null }, requestId: `req-${keyId}` });
    let outsider: CallContext;
    let reader: CallContext;
    beforeAll(() => {
      ms = shared();
    });
    beforeEach(async () => {
      alpha = suite.name('alpha');
      beta = suite.name('beta');
      for (const name of [alpha, beta]) await ms.spaces.create({ name, embedder: 'none', dimension: DIM });
      memoryId = (await ms.memories.add(alpha, { content: 'alpha secret', embedding: v(1), tags: ['t'] })).id;
      outsider = key('key_outsider', [{ space: beta, role: 'admin' }]);
      reader = key('key_reader', [{ space: alpha, role: 'read' }]);
    });

    /** Every call a caller can make on one space, by the role it needs. */
    const calls = (space: string, call: CallContext): [string, 'read' | 'write' | 'admin', () => Promise<unknown>][] => [
      ['memories.get', 'read', () => ms.memories.get(space, memoryId, {}, call)],
      ['memories.list', 'read', () => ms.memories.list(space, {}, call)],
      ['memories.history', 'read', () => ms.memories.history(space, memoryId, call)],
      ['memories.relations', 'read', () => ms.memories.relations(space, memoryId, {}, call)],
      ['memories.getContext', 'read', () => ms.memories.getContext(space, 'c1', call)],
      ['search.run', 'read', () => ms.search.run(space, { embedding: v(1), query: 'secret' }, call)],
      ['search.settleIndex', 'read', () => ms.search.settleIndex(space, call)],
      ['spaces.get', 'read', () => ms.spaces.get(space, call)],
      ['health.spaceHealth', 'read', () => ms.health.spaceHealth(space, call)],
      ['changes.follow', 'read', () => ms.changes.follow(space, 0, { signal: AbortSignal.abort() }, call)],
      ['transfer.exportSpace', 'read', () => ms.transfer.exportSpace(space, undefined, call).next()],
      ['memories.add', 'write', () => ms.memories.add(space, { content: 'planted', embedding: v(2) }, call)],
      ['memories.addMany', 'write', () => ms.memories.addMany(space, [{ content: 'planted', embedding: v(2) }], call)],
      ['memories.update', 'write', () => ms.memories.update(space, memoryId, { content: 'hijacked', embedding: v(3) }, call)],
      ['memories.delete', 'write', () => ms.memories.delete(space, memoryId, call)],
      ['memories.deleteMatching', 'write', () => ms.memories.deleteMatching(space, {}, call)],
      ['memories.relate', 'write', () => ms.memories.relate(space, { from: memoryId, to: memoryId, type: 'self' }, call)],
      ['memories.unrelate', 'write', () => ms.memories.unrelate(space, 'r1', call)],
      ['memories.addContext', 'write', () => ms.memories.addContext(space, { content: 'planted', embedding: v(2) }, call)],
      ['memories.deleteContext', 'write', () => ms.memories.deleteContext(space, 'c1', call)],
      ['transfer.importSpace', 'write', () => ms.transfer.importSpace(space, lines([]), undefined, call)],
      ['spaces.update', 'admin', () => ms.spaces.update(space, { description: 'hijacked' }, call)],
      ['spaces.delete', 'admin', () => ms.spaces.delete(space, call)],
      ['spaces.audit', 'admin', () => ms.spaces.audit(space, {}, call)],
      ['spaces.verifyAudit', 'admin', () => ms.spaces.verifyAudit(space, call)],
      ['spaces.recordAudit', 'admin', () => ms.spaces.recordAudit(space, { action: 'note.forged' }, call)],
      ['shares.create', 'admin', () => ms.shares.create(space, { to: beta }, call)],
      ['shares.list', 'admin', () => ms.shares.list(space, call)],
      ['shares.delete', 'admin', () => ms.shares.delete(space, 'shr_1', call)],
      ['sweeper.sweepSpace', 'admin', () => ms.sweeper.sweepSpace(space, call)],
    ];

    it('answers a space outside the grants as a missing one, through every service, and changes nothing', async () => {
      const missing = suite.name('missing');
      for (const [label, , run] of calls(alpha, outsider)) await expect(run(), label).rejects.toThrowError(code('SPACE_NOT_FOUND'));
      for (const [label, , run] of calls(missing, outsider)) await expect(run(), label).rejects.toThrowError(code('SPACE_NOT_FOUND'));
      // Cross-space search names alpha too: refused as a missing space.
      await expect(ms.search.across([beta, alpha], { embedding: v(1) }, outsider)).rejects.toThrowError(code('SPACE_NOT_FOUND'));
      const all = await ms.memories.list(alpha, { limit: 100 });
      expect(all.items.map((m) => m.content)).toEqual(['alpha secret']);
      expect((await ms.spaces.get(alpha)).description).toBe('');
    });

    it('refuses a role too small with FORBIDDEN, and lets the role it holds through', async () => {
      for (const [label, role, run] of calls(alpha, reader)) {
        // Let through, a call may still find nothing (an unknown context id): never an access error.
        const outcome = await run().then(
          () => 'done',
          (error: unknown) => (error as { code?: string }).code,
        );
        expect(outcome, label).toBe(role === 'read' ? (label.endsWith('getContext') ? 'NOT_FOUND' : 'done') : 'FORBIDDEN');
      }
      expect((await ms.memories.get(alpha, memoryId)).content).toBe('alpha secret');
    });

    it('records every refusal in the audit trail of the space it named, with who and which request', async () => {
      const before = (await ms.spaces.audit(alpha, { action: 'request.denied' })).items.length;
      await expect(ms.memories.add(alpha, { content: 'x', embedding: v(1) }, outsider)).rejects.toThrowError(code('SPACE_NOT_FOUND'));
      await expect(ms.memories.delete(alpha, memoryId, { ...reader, via: { tool: 'delete_memory' } })).rejects.toThrowError(code('FORBIDDEN'));
      const denied = (await ms.spaces.audit(alpha, { action: 'request.denied' })).items.slice(before);
      expect(denied.map((e) => [e.actor, e.requestId, e.details])).toEqual([
        ['key_outsider', 'req-key_outsider', { code: 'SPACE_NOT_FOUND' }],
        ['key_reader', 'req-key_reader', { tool: 'delete_memory', code: 'FORBIDDEN' }],
      ]);
      expect((await ms.spaces.verifyAudit(alpha)).ok).toBe(true);
      // The caller's own space heard nothing of it.
      expect((await ms.spaces.audit(beta, { action: 'request.denied' })).items).toEqual([]);
    });

    it('lists only the spaces a key can see, and creates only under its admin grants', async () => {
      const names = (await ms.spaces.list({ limit: 1000 }, outsider)).items.map((s) => s.name);
      expect(names).toEqual([beta]);
      await expect(ms.spaces.create({ name: suite.name('elsewhere'), embedder: 'none', dimension: DIM }, outsider)).rejects.toThrowError(code('FORBIDDEN'));
      const own = `${beta}.child`;
      await expect(ms.spaces.create({ name: own, embedder: 'none', dimension: DIM }, key('key_prefix', [{ prefix: `${beta}.`, role: 'admin' }]))).resolves.toMatchObject({ name: own });
    });
  });
}

async function* lines(items: string[]): AsyncGenerator<string> {
  yield* items;
}
