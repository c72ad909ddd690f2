import { beforeAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../../../src/core/audit.js';
import type { AuditEntry } from '../../../src/core/views.js';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import { code, type Suite } from '../harness.js';

/** The audit trail: one hash-chained entry per mutation, kept per space, and its queries. */
export function auditSpec(suite: Suite): void {
  describe('audit', () => {
    const DIM = 8;
    const v = (axis: number): number[] => axisVector(DIM, axis);
    let clock = Date.parse('2026-11-01T00:00:00Z');
    const shared = suite.shared({ now: () => clock });
    let ms: MemspaceEngine;
    beforeAll(() => {
      ms = shared();
    });

    /** A fresh space. */
    async function newSpace(prefix = 'a'): Promise<string> {
      const name = suite.name(prefix);
      await ms.spaces.create({ name, embedder: 'none', dimension: DIM });
      return name;
    }

    /** Every audit entry of a space, paging through the whole trail. */
    async function allEntries(space: string, query: Record<string, unknown> = {}): Promise<AuditEntry[]> {
      const out: AuditEntry[] = [];
      let cursor: string | undefined;
      do {
        const page = await ms.spaces.audit(space, { ...query, limit: 1000, ...(cursor !== undefined && { cursor }) });
        out.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      return out;
    }

    describe('audit trail: one entry per mutation', () => {
      it('records every kind of mutation once, with its action, ids, actor and request id, never content', async () => {
        const space = await newSpace();
        const ctx = (r: string) => ({ actor: 'key_1', requestId: r });

        const one = await ms.memories.add(space, { content: 'SECRET-ONE', embedding: v(1), metadata: { a: 1 } }, ctx('r1'));
        const batch = await ms.memories.addMany(space, [
          { content: 'SECRET-TWO', embedding: v(2), id: 'b1' },
          { content: 'SECRET-THREE', embedding: v(3), id: 'b2' },
          { content: 'SECRET-FOUR', embedding: v(4), id: 'b3', userId: 'u' },
        ], ctx('r2'));
        clock += 1000;
        await ms.memories.update(space, one.id, { content: 'SECRET-FIVE', embedding: v(5), metadata: { a: 2 } }, ctx('r3'));
        const rel = await ms.memories.relate(space, { from: one.id, to: 'b1', type: 'mentions' }, ctx('r4'));
        await ms.memories.unrelate(space, rel.id, ctx('r5'));
        await ms.memories.relate(space, { id: 'rel-2', from: 'b1', to: 'b2', type: 'follows' }, ctx('r6'));
        await ms.memories.delete(space, 'b1', ctx('r7'));
        expect(await ms.memories.deleteMatching(space, { userId: { eq: 'u' } }, ctx('r8'))).toEqual({ deleted: 1 });
        await ms.spaces.update(space, { description: 'changed', quotas: { maxMemories: 10 }, isolation: 'strict' }, ctx('r9'));
        await ms.spaces.recordAudit(space, { action: 'request.denied', details: { route: 'DELETE /v1/spaces/{space}', role: 'read' } }, ctx('r10'));
        await ms.spaces.recordAudit(space, { action: 'read.cross_space', ids: [one.id] }, { actor: 'key_2' });

        const entries = await allEntries(space);
        expect(entries.map((e) => [e.seq, e.action, e.ids, e.actor, e.requestId])).toEqual([
          [1, 'memory.create', [one.id], 'key_1', 'r1'],
          [2, 'memory.create', batch.map((m) => m.id), 'key_1', 'r2'],
          [3, 'memory.update', [one.id], 'key_1', 'r3'],
          [4, 'relation.create', [rel.id], 'key_1', 'r4'],
          [5, 'relation.delete', [rel.id], 'key_1', 'r5'],
          [6, 'relation.create', ['rel-2'], 'key_1', 'r6'],
          [7, 'memory.delete', ['b1'], 'key_1', 'r7'],
          [8, 'memory.delete', ['b3'], 'key_1', 'r8'],
          [9, 'space.update', [], 'key_1', 'r9'],
          [10, 'request.denied', [], 'key_1', 'r10'],
          [11, 'read.cross_space', [one.id], 'key_2', null],
        ]);
        expect(entries.map((e) => e.details)).toEqual([
          { count: 1 },
          { count: 3 },
          { fields: ['content', 'metadata', 'embedding'] },
          { from: one.id, to: 'b1', type: 'mentions' },
          { from: one.id, to: 'b1', type: 'mentions' },
          { from: 'b1', to: 'b2', type: 'follows' },
          { count: 1, relations: 1 }, // rel-2 went with b1
          { count: 1, relations: 0 },
          { fields: ['description', 'quotas.maxMemories'] }, // isolation was already strict
          { route: 'DELETE /v1/spaces/{space}', role: 'read' },
          null,
        ]);
        expect(entries[0]!.at).toBe('2026-11-01T00:00:00.000Z');
        expect(entries[2]!.at).toBe('2026-11-01T00:00:01.000Z');
        expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
        for (let i = 1; i < entries.length; i++) expect(entries[i]!.prevHash).toBe(entries[i - 1]!.hash);
        expect(JSON.stringify(entries)).not.toMatch(/SECRET/);
        expect(await ms.spaces.verifyAudit(space)).toEqual({ ok: true, entries: 11 });
      });

      it('hashes the canonical entry: sha256(prev_hash || canonical JSON with sorted keys)', async () => {
        const space = await newSpace();
        await ms.memories.add(space, { content: 'x', embedding: v(1), id: 'h1' }, { actor: 'k', requestId: 'req' });
        const [e] = await allEntries(space);
        const { createHash } = await import('node:crypto');
        const canonical = `{"action":"memory.create","actor":"k","at":${Date.parse(e!.at)},"details":{"count":1},"ids":["h1"],"requestId":"req","seq":1}`;
        expect(e!.hash).toBe(createHash('sha256').update(GENESIS_HASH + canonical).digest('hex'));
      });

      it('writes no entry for a write that fails', async () => {
        const space = await newSpace();
        await ms.memories.add(space, { content: 'kept', embedding: v(1), id: 'dup' });
        const failures: [() => Promise<unknown>, string][] = [
          [() => ms.memories.addMany(space, [{ content: 'new', embedding: v(2), id: 'fresh' }, { content: 'again', embedding: v(3), id: 'dup' }]), 'CONFLICT'], // in the store
          [() => ms.memories.addMany(space, [{ content: 'a', embedding: v(2), id: 'same' }, { content: 'b', embedding: v(3), id: 'same' }]), 'CONFLICT'], // in the batch
          [() => ms.memories.add(space, { content: 'short', embedding: [1, 2] }), 'DIMENSION_MISMATCH'],
          [() => ms.memories.update(space, 'missing', { content: 'x', embedding: v(1) }), 'NOT_FOUND'],
          [() => ms.memories.delete(space, 'missing'), 'NOT_FOUND'],
          [() => ms.memories.relate(space, { from: 'dup', to: 'missing', type: 't' }), 'NOT_FOUND'],
          [() => ms.memories.unrelate(space, 'missing'), 'NOT_FOUND'],
          [() => ms.spaces.update(space, { embedder: 'openai:x' }), 'VALIDATION_FAILED'],
          [() => ms.spaces.recordAudit(space, { action: 'memory.delete', ids: ['dup'] }), 'VALIDATION_FAILED'], // no forged mutations
        ];
        for (const [fn, c] of failures) await expect(fn()).rejects.toThrowError(code(c));
        expect((await ms.memories.list(space)).items.map((m) => m.id)).toEqual(['dup']);
        const entries = await allEntries(space);
        expect(entries.map((e) => [e.action, e.ids])).toEqual([['memory.create', ['dup']]]);
        // A delete that matches nothing changes nothing, so it records nothing.
        expect(await ms.memories.deleteMatching(space, { userId: { eq: 'nobody' } })).toEqual({ deleted: 0 });
        expect(await allEntries(space)).toHaveLength(1);
      });

      it('keeps the first 1,000 ids of a large batch or delete and the full count in details', async () => {
        const space = await newSpace();
        const inputs = Array.from({ length: 1500 }, (_, i) => ({ content: `m${i}`, embedding: v(i), id: `m${String(i).padStart(4, '0')}` }));
        await ms.memories.addMany(space, inputs);
        expect(await ms.memories.deleteMatching(space, { kind: { eq: 'fact' } })).toEqual({ deleted: 1500 });
        const [created, deleted] = await allEntries(space);
        expect(created!.ids).toEqual(inputs.slice(0, 1000).map((i) => i.id));
        expect(created!.details).toEqual({ count: 1500 });
        expect(deleted!.ids).toHaveLength(1000);
        expect(deleted!.details).toEqual({ count: 1500, relations: 0 });
        expect(await ms.spaces.verifyAudit(space)).toEqual({ ok: true, entries: 2 });
      });

      it('records an import: a restore carries the source chain and adds one import entry; a merge writes its own entries', async () => {
        const from = await newSpace();
        await ms.memories.addMany(from, [{ content: 'p', embedding: v(1), id: 'p' }, { content: 'q', embedding: v(2), id: 'q' }]);
        await ms.memories.relate(from, { id: 'pq', from: 'p', to: 'q', type: 't' });
        const lines: string[] = [];
        for await (const line of ms.transfer.exportSpace(from)) lines.push(JSON.stringify(line));
        const source = async function* (): AsyncGenerator<string> {
          yield* lines;
        };
        const to = suite.name('copy');
        await ms.transfer.importSpace(to, source(), undefined, { requestId: 'imp-1' });
        const sourceEntries = await allEntries(from);
        const entries = await allEntries(to);
        expect(entries.slice(0, -1)).toEqual(sourceEntries);
        expect([entries.at(-1)!.action, entries.at(-1)!.actor, entries.at(-1)!.requestId]).toEqual(['import', 'import', 'imp-1']);
        expect(entries.at(-1)!.details).toMatchObject({ mode: 'restore', memories: { imported: 2, skipped: 0 }, relations: { imported: 1, skipped: 0 } });
        expect(await ms.spaces.verifyAudit(to)).toEqual({ ok: true, entries: entries.length });

        const busy = await newSpace();
        await ms.memories.add(busy, { content: 'already here', embedding: v(3) });
        await ms.transfer.importSpace(busy, source(), undefined, { requestId: 'imp-2' });
        const merged = (await allEntries(busy)).slice(1);
        expect(merged.map((e) => [e.action, e.ids, e.actor, e.requestId])).toEqual([
          ['memory.create', ['p', 'q'], 'import', 'imp-2'],
          ['relation.create', ['pq'], 'import', 'imp-2'],
          ['import', [], 'import', 'imp-2'],
        ]);
        expect(merged[2]!.details).toMatchObject({ mode: 'merge', audit: { imported: 0, skipped: sourceEntries.length } });
      });

      it('bounds what callers may record', async () => {
        const space = await newSpace();
        const bad: unknown[] = [
          { action: 'Not An Action' },
          { action: 'import' },
          { action: 'space.update' },
          { action: 'share.create', ids: Array.from({ length: 1001 }, (_, i) => `k${i}`) },
          { action: 'share.create', details: { blob: 'x'.repeat(9000) } },
          { action: 'share.create', details: ['not', 'an', 'object'] },
          { action: 'share.create', extra: 1 },
        ];
        for (const event of bad) await expect(ms.spaces.recordAudit(space, event)).rejects.toThrowError(code('VALIDATION_FAILED'));
        await ms.spaces.recordAudit(space, { action: 'share.create', ids: ['share-1'], details: { to: 'other', role: 'read' } }, { actor: 'root' });
        expect((await allEntries(space)).map((e) => e.action)).toEqual(['share.create']);
      });
    });

    describe('audit trail: isolation', () => {
      it("never shows one space's entries in another, even for the same ids", async () => {
        const a = await newSpace('iso');
        const b = await newSpace('iso');
        await ms.memories.add(a, { content: 'in a', embedding: v(1), id: 'same-id' }, { actor: 'alice' });
        await ms.memories.update(a, 'same-id', { importance: 0.1 }, { actor: 'alice' });
        await ms.memories.add(b, { content: 'in b', embedding: v(1), id: 'same-id' }, { actor: 'bob' });
        await ms.spaces.recordAudit(a, { action: 'request.denied' }, { actor: 'alice' });
        const inA = await allEntries(a);
        const inB = await allEntries(b);
        expect(inA.map((e) => [e.seq, e.action, e.actor])).toEqual([
          [1, 'memory.create', 'alice'],
          [2, 'memory.update', 'alice'],
          [3, 'request.denied', 'alice'],
        ]);
        expect(inB.map((e) => [e.seq, e.action, e.actor])).toEqual([[1, 'memory.create', 'bob']]);
        expect(await allEntries(b, { action: 'memory.update' })).toEqual([]);
        expect(await ms.spaces.verifyAudit(a)).toEqual({ ok: true, entries: 3 });
        expect(await ms.spaces.verifyAudit(b)).toEqual({ ok: true, entries: 1 });
        await expect(ms.spaces.audit('nope')).rejects.toThrowError(code('SPACE_NOT_FOUND'));
        await expect(ms.spaces.audit('../etc')).rejects.toThrowError(code('INVALID_SPACE'));
      });
    });

    describe('audit trail: queries', () => {
      it('filters by action and time, pages with a cursor, and refuses bad queries', async () => {
        const space = await newSpace('q');
        const t0 = clock;
        for (let i = 0; i < 7; i++) {
          clock += 1000;
          const m = await ms.memories.add(space, { content: `m${i}`, embedding: v(i), id: `q${i}` });
          if (i % 2 === 0) await ms.memories.update(space, m.id, { importance: 0.1 });
        }
        const all = await allEntries(space);
        expect(all).toHaveLength(11);
        expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);

        const updates = await ms.spaces.audit(space, { action: 'memory.update' });
        expect(updates.items.map((e) => e.ids[0])).toEqual(['q0', 'q2', 'q4', 'q6']);
        expect(updates.nextCursor).toBeNull();

        const since = await ms.spaces.audit(space, { since: new Date(t0 + 5000).toISOString() });
        expect(since.items.map((e) => e.ids[0])).toEqual(['q4', 'q4', 'q5', 'q6', 'q6']);
        const sameInstantElsewhere = new Date(t0 + 5000 + 2 * 3600_000).toISOString().replace('Z', '+02:00');
        const sinceOffset = await ms.spaces.audit(space, { since: sameInstantElsewhere, action: 'memory.create' });
        expect(sinceOffset.items.map((e) => e.ids[0])).toEqual(['q4', 'q5', 'q6']);

        const seen: number[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await ms.spaces.audit(space, { limit: 3, ...(cursor !== undefined && { cursor }) });
          expect(page.items.length).toBeLessThanOrEqual(3);
          seen.push(...page.items.map((e) => e.seq));
          cursor = page.nextCursor ?? undefined;
          pages += 1;
        } while (cursor !== undefined);
        expect(seen).toEqual(all.map((e) => e.seq));
        expect(pages).toBe(4);

        const firstCreate = await ms.spaces.audit(space, { action: 'memory.create', limit: 2 });
        const nextCreate = await ms.spaces.audit(space, { action: 'memory.create', limit: 2, cursor: firstCreate.nextCursor! });
        expect([...firstCreate.items, ...nextCreate.items].map((e) => e.ids[0])).toEqual(['q0', 'q1', 'q2', 'q3']);
        expect((await ms.spaces.audit(space)).items).toHaveLength(11); // default limit 100

        const bad: unknown[] = [
          { limit: 0 },
          { limit: 1001 },
          { limit: 2.5 },
          { limit: '10' },
          { action: 'Memory Create' },
          { since: 'yesterday' },
          { since: '2026-11-01' },
          { cursor: 'not-a-cursor' },
          { cursor: Buffer.from('{"a":-1}').toString('base64url') },
          { sort: 'desc' },
          'everything',
        ];
        for (const q of bad) await expect(ms.spaces.audit(space, q), JSON.stringify(q)).rejects.toThrowError(code('VALIDATION_FAILED'));
      });

      it('filters by actor, within its own space only, and lists newest first with its own cursor', async () => {
        const space = await newSpace('actor');
        const other = await newSpace('actor');
        for (let i = 0; i < 5; i++) await ms.memories.add(space, { content: `m${i}`, embedding: v(i), id: `w${i}` }, { actor: i % 2 === 0 ? 'key_alice' : 'key_bob' });
        await ms.spaces.recordAudit(space, { action: 'share.create' }, { actor: 'key_alice' });
        await ms.memories.add(other, { content: 'elsewhere', embedding: v(1), id: 'w9' }, { actor: 'key_carol' });

        const alice = await allEntries(space, { actor: 'key_alice' });
        expect(alice.map((e) => [e.seq, e.action, e.actor])).toEqual([
          [1, 'memory.create', 'key_alice'],
          [3, 'memory.create', 'key_alice'],
          [5, 'memory.create', 'key_alice'],
          [6, 'share.create', 'key_alice'],
        ]);
        expect((await ms.spaces.audit(space, { actor: 'key_alice', action: 'memory.create' })).items.map((e) => e.seq)).toEqual([1, 3, 5]);
        expect((await ms.spaces.audit(space, { actor: 'key_carol' })).items).toEqual([]);
        expect((await ms.spaces.audit(other, { actor: 'key_alice' })).items).toEqual([]);
        expect((await ms.spaces.audit(other, { actor: 'key_carol' })).items.map((e) => e.ids)).toEqual([['w9']]);

        const newest: number[] = [];
        let cursor: string | undefined;
        do {
          const page = await ms.spaces.audit(space, { order: 'desc', limit: 2, ...(cursor !== undefined && { cursor }) });
          newest.push(...page.items.map((e) => e.seq));
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
        expect(newest).toEqual([6, 5, 4, 3, 2, 1]);
        const bobNewest = await ms.spaces.audit(space, { order: 'desc', actor: 'key_bob', limit: 1 });
        expect(bobNewest.items.map((e) => e.seq)).toEqual([4]);
        expect((await ms.spaces.audit(space, { order: 'desc', actor: 'key_bob', cursor: bobNewest.nextCursor! })).items.map((e) => e.seq)).toEqual([2]);
        // A cursor continues in the order it was issued for; one of the other order is refused, not misread.
        const oldest = await ms.spaces.audit(space, { limit: 1 });
        await expect(ms.spaces.audit(space, { order: 'desc', cursor: oldest.nextCursor! })).rejects.toThrowError(code('VALIDATION_FAILED'));
        await expect(ms.spaces.audit(space, { cursor: bobNewest.nextCursor! })).rejects.toThrowError(code('VALIDATION_FAILED'));
        for (const q of [{ actor: '' }, { actor: 'a\nb' }, { actor: 'x'.repeat(257) }, { actor: 7 }, { order: 'newest' }]) {
          await expect(ms.spaces.audit(space, q), JSON.stringify(q)).rejects.toThrowError(code('VALIDATION_FAILED'));
        }
      });
    });
  });
}
