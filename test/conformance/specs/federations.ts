import { beforeAll, describe, expect, it } from 'vitest';
import type { CallContext, Principal } from '../../../src/engine/access-guard.js';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import { code, failure, type Suite } from '../harness.js';

const DIM = 4;
const key = (keyId: string, grants: Principal['grants']): CallContext => ({ principal: { keyId, name: keyId, grants, defaultSpace: null } });

/** Creates `count` federated spaces, each with a few memories of the given kinds, tags and scores. */
async function federatedSpaces(ms: MemspaceEngine, suite: Suite, count: number, prefix = 'fed'): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = suite.name(prefix);
    await ms.spaces.create({ name, embedder: 'none', dimension: DIM, isolation: 'federated' });
    await ms.memories.addMany(name, [
      { content: 'customers ask about refunds and shipping delays', kind: 'fact', tags: ['billing', 'support'], metadata: { score: 4 }, embedding: axisVector(DIM, 0) },
      { content: 'refunds take five days; shipping delays annoy customers', kind: 'note', tags: ['billing'], metadata: { score: 2 }, embedding: axisVector(DIM, 0) },
    ]);
    names.push(name);
  }
  return names;
}

/** Every audit entry of `space` with this action. */
async function entries(ms: MemspaceEngine, space: string, action: string) {
  return (await ms.spaces.audit(space, { action })).items;
}

/**
 * Federations: who may join, privacy budgets spent atomically and refused before anything is
 * computed, withdrawal when a space stops being federated, releases that never carry anything
 * of a single space, audit entries in every participant, reputation.
 */
export function federationsSpec(suite: Suite): void {
  describe('federations', () => {
    const shared = suite.shared();
    let ms: MemspaceEngine;
    beforeAll(() => {
      ms = shared();
    });

    const federation = async (options: Record<string, unknown> = {}) =>
      ms.federations.create({ topic: 'support', mechanism: 'laplace', epsilonPerRelease: 1, minParticipants: 2, ...options });
    const join = (id: string, space: string, epsilonBudget = 10, privacy: 'differential' | 'anonymized' = 'differential') =>
      ms.federations.join(id, { space, epsilonBudget, privacy });
    const histogram = { kind: 'histogram', params: { field: 'kind', bins: ['fact', 'note', 'other'], contribution: 'count', clip: 10 } };

    it('only spaces of isolation federated join: strict and shared are FORBIDDEN, and nothing is recorded', async () => {
      const f = await federation();
      for (const isolation of ['strict', 'shared'] as const) {
        const name = suite.name(isolation);
        await ms.spaces.create({ name, embedder: 'none', dimension: DIM, isolation });
        expect(await failure(join(f.id, name))).toMatchObject({ code: 'FORBIDDEN', details: { isolation } });
        expect((await ms.federations.ofSpace(name)).items).toEqual([]);
        expect(await entries(ms, name, 'federation.join')).toEqual([]);
      }
      expect((await ms.federations.get(f.id)).participants).toBe(0);
    });

    it('a release spends epsilon from every contributor, is stored with its result, and is audited in each space', async () => {
      const f = await federation();
      const spaces = await federatedSpaces(ms, suite, 3);
      for (const s of spaces) await join(f.id, s, 5);
      const release = await ms.federations.release(f.id, histogram);
      expect(release).toMatchObject({ seq: 1, state: 'done', contributors: 3, epsilon: 1, mechanism: 'laplace' });
      expect((release.result!['noise'] as Record<string, unknown>)['scale']).toBe(20); // Δ1 = 2 × clip 10, ε = 1
      expect((await ms.federations.releases(f.id)).items.map((r) => r.id)).toEqual([release.id]);
      for (const s of spaces) {
        expect((await ms.federations.ofSpace(s)).items[0]).toMatchObject({ federation: f.id, epsilonSpent: 1, epsilonRemaining: 4, status: 'active' });
        const [joined] = await entries(ms, s, 'federation.join');
        expect(joined).toMatchObject({ ids: [f.id], details: { epsilonBudget: 5, privacy: 'differential' } });
        const [released] = await entries(ms, s, 'federation.release');
        expect(released).toMatchObject({ ids: [f.id, release.id], details: { kind: 'histogram', contributors: 3, epsilon: 1, epsilonSpent: 1, epsilonRemaining: 4 } });
      }
    });

    it('the same release twice gives different noise', async () => {
      const f = await federation();
      for (const s of await federatedSpaces(ms, suite, 2)) await join(f.id, s);
      const values = async () => ((await ms.federations.release(f.id, histogram)).result!['bins'] as { value: number }[]).map((b) => b.value);
      expect(await values()).not.toEqual(await values());
    });

    it('a release that would overspend any participant is refused before anything is read, and nothing is spent', async () => {
      const f = await federation();
      const [a, b, c] = await federatedSpaces(ms, suite, 3);
      await join(f.id, a!, 1);
      await join(f.id, b!, 3);
      await join(f.id, c!, 3);
      await ms.federations.release(f.id, histogram);
      for (const s of [a!, b!, c!]) await ms.registry.closeSpace(s);
      expect(await failure(ms.federations.release(f.id, histogram))).toMatchObject({
        code: 'QUOTA_EXCEEDED',
        details: { quota: 'epsilonBudget', participants: [{ name: a, epsilonRemaining: 0 }] },
      });
      // Not computed: no participant's storage was even opened.
      for (const s of [a!, b!, c!]) expect(ms.registry.isOpen(s)).toBe(false);
      expect((await ms.federations.releases(f.id)).items).toHaveLength(1);
      for (const s of [b!, c!]) expect((await ms.federations.ofSpace(s)).items[0]!.epsilonSpent).toBe(1);
      for (const s of [a!, b!, c!]) expect(await entries(ms, s, 'federation.release')).toHaveLength(1);
    });

    it('the store charges all contributors or none, even when a budget changed since the check', async () => {
      const f = await federation();
      const [a, b] = await federatedSpaces(ms, suite, 2);
      await join(f.id, a!, 1);
      await join(f.id, b!, 1);
      const pending = { id: `r-${a!}`, federationId: f.id, kind: 'histogram', params: {}, state: 'pending' as const, mechanism: 'laplace' as const, epsilonMicro: 1_000_000, delta: null, contributors: 2, result: null, createdAt: 1, createdBy: null };
      await ms.backend.federations.spend({ federationId: f.id, spaces: [a!, b!], release: pending });
      expect(await failure(ms.backend.federations.spend({ federationId: f.id, spaces: [a!, b!], release: { ...pending, id: `r2-${a!}` } }))).toMatchObject({ code: 'QUOTA_EXCEEDED' });
      expect((await ms.backend.federations.participants(f.id)).map((p) => p.spentMicro)).toEqual([1_000_000, 1_000_000]);
      expect(await ms.backend.federations.releases(f.id, { limit: 10 })).toHaveLength(1);
    });

    it('below minParticipants nothing is released and nothing is spent', async () => {
      const f = await federation({ minParticipants: 3 });
      const spaces = await federatedSpaces(ms, suite, 2);
      for (const s of spaces) await join(f.id, s);
      expect(await failure(ms.federations.release(f.id, histogram))).toMatchObject({ code: 'CONFLICT', details: { minParticipants: 3, eligible: 2 } });
      for (const s of spaces) expect((await ms.federations.ofSpace(s)).items[0]!.epsilonSpent).toBe(0);
      expect((await ms.federations.releases(f.id)).items).toEqual([]);
    });

    it('a space switched to strict is withdrawn at once by the hook, or at the next release when only the catalogue changed', async () => {
      const f = await federation();
      const [a, b, c, d] = await federatedSpaces(ms, suite, 4);
      for (const s of [a!, b!, c!, d!]) await join(f.id, s);
      // Through the hook the space service calls.
      await ms.backend.spaces.update({ ...(await ms.backend.spaces.get(a!))!, isolation: 'strict' });
      await ms.federations.onIsolationChanged(a!, 'strict');
      expect((await ms.federations.ofSpace(a!)).items[0]).toMatchObject({ status: 'withdrawn', withdrawReason: 'isolation' });
      expect((await entries(ms, a!, 'federation.withdraw'))[0]).toMatchObject({ details: { reason: 'isolation', isolation: 'strict' } });
      // Only the catalogue record changes: the release re-reads it.
      await ms.backend.spaces.update({ ...(await ms.backend.spaces.get(b!))!, isolation: 'strict' });
      const release = await ms.federations.release(f.id, histogram);
      expect(release.contributors).toBe(2);
      for (const s of [a!, b!]) {
        expect((await ms.federations.ofSpace(s)).items[0]).toMatchObject({ status: 'withdrawn', epsilonSpent: 0 });
        expect(await entries(ms, s, 'federation.release')).toEqual([]);
      }
      expect((await entries(ms, b!, 'federation.withdraw'))[0]).toMatchObject({ details: { reason: 'isolation', isolation: 'strict' } });
      expect((await ms.federations.get(f.id)).participants).toBe(2);
    });

    it('a deleted space contributes nothing, and a new space of the same name inherits nothing', async () => {
      const f = await federation();
      const [a, b, c] = await federatedSpaces(ms, suite, 3);
      for (const s of [a!, b!, c!]) await join(f.id, s);
      await ms.spaces.delete(c!);
      await ms.spaces.create({ name: c!, embedder: 'none', dimension: DIM, isolation: 'federated' });
      expect((await ms.federations.ofSpace(c!)).items).toEqual([]);
      expect((await ms.federations.release(f.id, histogram)).contributors).toBe(2);
    });

    it('withdrawing and joining again keeps what was spent', async () => {
      const f = await federation();
      const [a, b] = await federatedSpaces(ms, suite, 2);
      for (const s of [a!, b!]) await join(f.id, s, 2);
      await ms.federations.release(f.id, histogram);
      await ms.federations.leave(f.id, a!);
      expect(await failure(ms.federations.leave(f.id, a!))).toMatchObject({ code: 'NOT_FOUND' });
      expect((await entries(ms, a!, 'federation.withdraw'))[0]).toMatchObject({ details: { reason: 'requested', epsilonSpent: 1 } });
      await join(f.id, a!, 2);
      expect((await ms.federations.ofSpace(a!)).items[0]).toMatchObject({ status: 'active', epsilonSpent: 1, epsilonRemaining: 1 });
      await expect(join(f.id, a!, 2)).rejects.toThrowError(code('CONFLICT'));
    });

    it('reputation counts contributions and how often the bound clipped them', async () => {
      const f = await federation();
      const [a, b] = await federatedSpaces(ms, suite, 2);
      const outlier = suite.name('outlier');
      await ms.spaces.create({ name: outlier, embedder: 'none', dimension: DIM, isolation: 'federated' });
      await ms.memories.add(outlier, { content: 'inflated', metadata: { score: 1e6 }, embedding: axisVector(DIM, 1) });
      for (const s of [a!, b!, outlier]) await join(f.id, s);
      const release = await ms.federations.release(f.id, { kind: 'mean', params: { key: 'score', lower: 0, upper: 5 } });
      expect(release.result).toMatchObject({ key: 'score', lower: 0, upper: 5 });
      const list = (await ms.federations.get(f.id)).participantList!;
      expect(list.find((p) => p.name === outlier)!.reputation).toMatchObject({ contributions: 1, clipped: 1, clippedRate: 1 });
      expect(list.find((p) => p.name === a)!.reputation).toMatchObject({ contributions: 1, clipped: 0, clippedRate: 0 });
    });

    it('participant admins see the count and their own account, never the others; outsiders see nothing', async () => {
      const f = await federation();
      const [a, b] = await federatedSpaces(ms, suite, 2);
      await join(f.id, a!);
      await join(f.id, b!, 10, 'anonymized');
      const adminA = key('key_a', [{ space: a!, role: 'admin' }]);
      const seen = await ms.federations.get(f.id, adminA);
      expect(seen.participants).toBe(2);
      expect(seen.participantList).toBeUndefined();
      expect(seen.yours!.map((p) => p.space)).toEqual([a]);
      expect(JSON.stringify(seen)).not.toContain(b!);
      expect((await ms.federations.list({}, adminA)).items.map((x) => x.id)).toEqual([f.id]);
      // Operators see the anonymized participant by its alias only.
      expect(JSON.stringify(await ms.federations.get(f.id))).not.toContain(b!);
      const outsider = key('key_out', [{ space: suite.name('elsewhere'), role: 'admin' }]);
      await expect(ms.federations.get(f.id, outsider)).rejects.toThrowError(code('NOT_FOUND'));
      await expect(ms.federations.releases(f.id, {}, outsider)).rejects.toThrowError(code('NOT_FOUND'));
      expect((await ms.federations.list({}, outsider)).items).toEqual([]);
      await expect(ms.federations.release(f.id, histogram, adminA)).rejects.toThrowError(code('FORBIDDEN'));
      await expect(ms.federations.create({ topic: 'x', mechanism: 'laplace', epsilonPerRelease: 1, minParticipants: 2 }, adminA)).rejects.toThrowError(code('FORBIDDEN'));
    });
  });
}
