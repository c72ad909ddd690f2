import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExportLine } from '../../../src/core/views.js';
import type { MemoryService } from '../../../src/engine/memory-service.js';
import type { Memspace } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import { asLines, code, exportLines, type Suite } from '../harness.js';

/**
 * Isolation between spaces, adversarially: two spaces hold the same memory, relation and
 * context ids with look-alike content, and every engine operation through one of them tries
 * to see or change the other.
 */
export function isolationSpec(suite: Suite): void {
  describe('isolation between spaces', () => {
    const DIM = 8;
    const DAY = 86_400_000;
    const v = (axis: number): number[] => axisVector(DIM, axis);
    let clock = Date.parse('2026-11-01T00:00:00Z');
    const shared = suite.shared({ now: () => clock });
    let ms: Memspace;
    let s: MemoryService;
    /** The victim space, whose data must never be seen or changed through `beta`. */
    let alpha: string;
    /** The space every attack goes through. */
    let beta: string;
    beforeAll(() => {
      ms = shared();
      s = ms.service;
    });
    beforeEach(async () => {
      alpha = suite.name('alpha');
      beta = suite.name('beta');
      for (const name of [alpha, beta]) await s.createSpace({ name, embedder: 'none', dimension: DIM });
    });

    describe('same ids, look-alike content and hostile names', () => {
      it('keeps the same ids and identical texts apart', async () => {
        await s.addMemory(alpha, { id: 'shared-id', content: 'the launch code is 1234', embedding: v(1), userId: 'u1', tags: ['secret'] });
        await s.addMemory(beta, { id: 'shared-id', content: 'the launch code is 1234', embedding: v(1), userId: 'u1', tags: ['secret'] });
        await s.updateMemory(beta, 'shared-id', { content: 'beta changed its copy', embedding: v(2) });
        expect((await s.getMemory(alpha, 'shared-id')).content).toBe('the launch code is 1234');
        expect((await s.history(alpha, 'shared-id')).map((h) => h.action)).toEqual(['create']);
        await s.deleteMemory(beta, 'shared-id');
        expect((await s.getMemory(alpha, 'shared-id')).content).toBe('the launch code is 1234');
      });

      it("answers NOT_FOUND for every operation on another space's id", async () => {
        const a = await s.addMemory(alpha, { content: 'only in alpha', embedding: v(3) });
        const a2 = await s.addMemory(alpha, { content: 'also only in alpha', embedding: v(4) });
        const rel = await s.addRelation(alpha, { from: a.id, to: a2.id, type: 'linked' });
        const b = await s.addMemory(beta, { content: 'in beta', embedding: v(3) });

        await expect(s.getMemory(beta, a.id)).rejects.toThrowError(code('NOT_FOUND'));
        await expect(s.updateMemory(beta, a.id, { content: 'hijack', embedding: v(1) })).rejects.toThrowError(code('NOT_FOUND'));
        await expect(s.deleteMemory(beta, a.id)).rejects.toThrowError(code('NOT_FOUND'));
        await expect(s.history(beta, a.id)).rejects.toThrowError(code('NOT_FOUND'));
        await expect(s.listRelations(beta, a.id)).rejects.toThrowError(code('NOT_FOUND'));
        await expect(s.deleteRelation(beta, rel.id)).rejects.toThrowError(code('NOT_FOUND'));
        // An edge from beta to alpha's memory, either way round, is impossible by construction.
        await expect(s.addRelation(beta, { from: b.id, to: a.id, type: 'leak' })).rejects.toThrowError(code('NOT_FOUND'));
        await expect(s.addRelation(beta, { from: a.id, to: b.id, type: 'leak' })).rejects.toThrowError(code('NOT_FOUND'));
        // Delete-by-filter naming alpha's id from beta deletes nothing anywhere.
        expect((await s.deleteMemories(beta, { id: { in: [a.id, a2.id] } })).deleted).toBe(0);
        expect((await s.getMemory(alpha, a.id)).content).toBe('only in alpha');
        expect((await s.listRelations(alpha, a.id)).map((r) => r.id)).toEqual([rel.id]);
      });

      it('never returns another space in search, list or expand, in any mode', async () => {
        await s.addMemory(alpha, { content: 'zebra migration across the serengeti', embedding: v(6), tags: ['zebra'] });
        // Beta holds look-alikes, so each search below finds something, just never alpha's memory.
        await s.addMemory(beta, { content: 'in beta', embedding: v(3) });
        await s.addMemory(beta, { content: 'wildebeest migration across the serengeti', embedding: v(6), tags: ['wildebeest'] });
        for (const mode of ['vector', 'keyword', 'hybrid'] as const) {
          const { results } = await s.search(beta, { query: 'zebra serengeti', embedding: v(6), mode, limit: 100, expand: true });
          expect(results.length, mode).toBeGreaterThan(0);
          expect(results.every((r) => !r.memory.content.includes('zebra') && !r.memory.content.includes('alpha'))).toBe(true);
        }
        const listed = await s.listMemories(beta, { limit: 1000 });
        expect(listed.items.some((m) => m.content.includes('alpha') || m.content.includes('zebra'))).toBe(false);
        expect((await s.listMemories(beta, { tags: ['zebra'] })).items).toEqual([]);
      });

      it('rejects hostile and look-alike space names on every operation', async () => {
        const hostile = ['../alpha', 'alpha/../beta', 'a/b', '%2e%2e', 'alpha\u0000', '.', '..', 'x'.repeat(65), 'аlpha', '', ' alpha'];
        for (const name of hostile) {
          const label = JSON.stringify(name);
          await expect(s.createSpace({ name, embedder: 'none', dimension: DIM }), label).rejects.toThrowError(code('INVALID_SPACE'));
          await expect(s.addMemory(name, { content: 'x', embedding: v(1) }), label).rejects.toThrowError(code('INVALID_SPACE'));
          await expect(s.search(name, { embedding: v(1) }), label).rejects.toThrowError(code('INVALID_SPACE'));
          await expect(s.listMemories(name), label).rejects.toThrowError(code('INVALID_SPACE'));
          await expect(s.deleteSpace(name), label).rejects.toThrowError(code('INVALID_SPACE'));
          await expect(s.getSpace(name), label).rejects.toThrowError(code('INVALID_SPACE'));
        }
        const team = suite.name('team');
        await s.createSpace({ name: team, embedder: 'none', dimension: DIM });
        await expect(s.createSpace({ name: team.replace('team', 'Team'), embedder: 'none', dimension: DIM })).rejects.toThrowError(code('CONFLICT'));
        await expect(s.createSpace({ name: team.toUpperCase(), embedder: 'none', dimension: DIM })).rejects.toThrowError(code('CONFLICT'));
        // Case variants reach the one space that exists, never a second one.
        await s.addMemory(team.toUpperCase(), { content: 'case-insensitive', embedding: v(1) });
        expect((await s.listMemories(team)).items.map((m) => m.content)).toEqual(['case-insensitive']);
      });
    });

    describe('adversarial: every operation through beta, against alpha', () => {
      const SAME_IDS = ['m1', 'm2', 'm3'];
      const ALPHA_ONLY = ['a-only', 'rel-a', 'ctx-a'];
      /** Anything of alpha's, should it show up in beta. */
      const ALPHA_MARK = /alpha|alice|a-only|rel-a|ctx-a/;

      /**
       * Both spaces hold m1..m3, relation rel-1 and context ctx-1, with look-alike content and the
       * same scopes; alpha also holds a-only, rel-a and ctx-a, an update (history) and a memory
       * that expires in 30 days. Alpha writes as alice, beta as bob.
       */
      async function seed(): Promise<void> {
        const alice = { actor: 'alice' };
        const bob = { actor: 'bob' };
        await s.addMemories(
          alpha,
          [...SAME_IDS, 'a-only'].map((id, i) => ({
            id,
            content: `alpha secret ${i} about the serengeti zebra`,
            embedding: v(i),
            metadata: { owner: 'alpha', n: i },
            tags: ['alpha-only', 'shared'],
            userId: 'u1',
            agentId: 'ag',
            runId: 'r1',
            ...(id === 'a-only' && { expiresAt: new Date(clock + 30 * DAY).toISOString() }),
          })),
          alice,
        );
        await s.updateMemory(alpha, 'm1', { importance: 0.9, metadata: { owner: 'alpha', n: 0, edited: true } }, alice);
        await s.addRelation(alpha, { id: 'rel-1', from: 'm1', to: 'm2', type: 'knows' }, alice);
        await s.addRelation(alpha, { id: 'rel-a', from: 'm1', to: 'a-only', type: 'knows' }, alice);
        await s.addContext(alpha, { id: 'ctx-1', content: 'alpha context about the serengeti', embedding: v(1) }, alice);
        await s.addContext(alpha, { id: 'ctx-a', content: 'alpha-only context', embedding: v(2) }, alice);
        await s.recordAudit(alpha, { action: 'request.denied', details: { by: 'alice' } }, alice);

        await s.addMemories(
          beta,
          SAME_IDS.map((id, i) => ({
            id,
            content: `beta note ${i} about the serengeti wildebeest`,
            embedding: v(i),
            metadata: { owner: 'beta', n: i },
            tags: ['shared'],
            userId: 'u1',
            agentId: 'ag',
            runId: 'r1',
          })),
          bob,
        );
        await s.addRelation(beta, { id: 'rel-1', from: 'm2', to: 'm3', type: 'knows' }, bob);
        await s.addContext(beta, { id: 'ctx-1', content: 'beta context about the serengeti', embedding: v(1) }, bob);
      }

      /** Everything of a space: its export (memories, vectors, history, relations, contexts, audit) and counts. */
      async function snapshot(space: string): Promise<{ lines: ExportLine[]; stats: unknown }> {
        const { stats } = await s.getSpace(space);
        return {
          lines: await exportLines(ms, space),
          stats: { memories: stats.memories, relations: stats.relations, contexts: stats.contexts, payloadBytes: stats.payloadBytes },
        };
      }

      /** Beta's feed of change events. */
      const changes = (space: string) => ms.registry.use(space, ({ store }) => store.changes(0, 10_000));

      it('reads through beta never see alpha: get, list, search, history, relations, contexts, audit, feed, export', async () => {
        await seed();
        const before = await snapshot(alpha);

        for (const [i, id] of SAME_IDS.entries()) expect((await s.getMemory(beta, id)).content).toBe(`beta note ${i} about the serengeti wildebeest`);
        await expect(s.getMemory(beta, 'a-only')).rejects.toThrowError(code('NOT_FOUND'));

        const listed = await s.listMemories(beta, { limit: 1000 });
        expect(listed.items.map((m) => m.id).sort()).toEqual(SAME_IDS);
        expect(listed.items.every((m) => m.metadata['owner'] === 'beta')).toBe(true);
        for (const filter of [{ 'metadata.owner': 'alpha' }, { tags: { contains: 'alpha-only' } }, { id: { in: ['a-only'] } }, { 'metadata.edited': { exists: true } }]) {
          expect((await s.listMemories(beta, { filter })).items, JSON.stringify(filter)).toEqual([]);
        }
        expect((await s.listMemories(beta, { tags: ['alpha-only'] })).items).toEqual([]);

        const leaking = [{ 'metadata.owner': 'alpha' }, { tags: { contains: 'alpha-only' } }, { id: { in: ['a-only'] } }];
        for (const mode of ['vector', 'keyword', 'hybrid'] as const) {
          const base = { mode, limit: 100, expand: true, ...(mode !== 'keyword' && { embedding: v(3) }), ...(mode !== 'vector' && { query: 'alpha secret serengeti zebra' }) };
          // Unfiltered and with scopes both spaces share: beta's own memories, and only those.
          for (const extra of [{}, { userId: 'u1', agentId: 'ag', runId: 'r1' }, { tags: ['shared'] }, { filter: { id: { in: [...SAME_IDS, 'a-only'] } } }]) {
            const { results } = await s.search(beta, { ...base, ...extra });
            const label = `${mode} ${JSON.stringify(extra)}`;
            expect(results.map((r) => r.memory.id).sort(), label).toEqual(SAME_IDS);
            for (const r of results) {
              expect(JSON.stringify(r), label).not.toMatch(ALPHA_MARK);
              for (const rel of r.related ?? []) expect(rel.memory.metadata['owner'], label).toBe('beta');
            }
          }
          for (const filter of leaking) {
            expect((await s.search(beta, { ...base, filter })).results, `${mode} ${JSON.stringify(filter)}`).toEqual([]);
          }
          expect((await s.search(beta, { ...base, tags: ['alpha-only'] })).results, mode).toEqual([]);
        }
        // Expanding m2 in beta follows beta's rel-1 (m2 -> m3), never alpha's rel-1 (m1 -> m2) or rel-a.
        const expanded = await s.search(beta, { embedding: v(1), mode: 'vector', limit: 1, expand: true });
        expect(expanded.results[0]!.memory.id).toBe('m2');
        expect(expanded.results[0]!.related!.map((r) => [r.relation.id, r.relation.from, r.relation.to])).toEqual([['rel-1', 'm2', 'm3']]);

        expect((await s.history(beta, 'm1')).map((h) => [h.action, h.newContent, h.actor])).toEqual([['create', 'beta note 0 about the serengeti wildebeest', 'bob']]);
        await expect(s.history(beta, 'a-only')).rejects.toThrowError(code('NOT_FOUND'));

        expect(await s.listRelations(beta, 'm1')).toEqual([]);
        expect((await s.listRelations(beta, 'm2')).map((r) => [r.id, r.from, r.to])).toEqual([['rel-1', 'm2', 'm3']]);
        await expect(s.listRelations(beta, 'a-only')).rejects.toThrowError(code('NOT_FOUND'));

        expect((await s.getContext(beta, 'ctx-1')).content).toBe('beta context about the serengeti');
        await expect(s.getContext(beta, 'ctx-a')).rejects.toThrowError(code('NOT_FOUND'));

        const audit = (await s.audit(beta, { limit: 1000 })).items;
        expect(audit.map((e) => [e.seq, e.action, e.actor])).toEqual([
          [1, 'memory.create', 'bob'],
          [2, 'relation.create', 'bob'],
          [3, 'context.create', 'bob'],
        ]);
        expect(JSON.stringify(audit)).not.toMatch(ALPHA_MARK);
        expect((await s.audit(beta, { action: 'memory.update' })).items).toEqual([]);
        expect((await s.audit(beta, { action: 'request.denied' })).items).toEqual([]);
        expect(await s.verifyAudit(beta)).toEqual({ ok: true, entries: 3 });

        const feed = await changes(beta);
        expect(feed.map((c) => c.op)).toEqual(['memory.created', 'memory.created', 'memory.created', 'relation.created', 'context.created']);
        expect(feed.some((c) => ALPHA_ONLY.includes(c.id))).toBe(false);

        const exported = await exportLines(ms, beta);
        expect(exported.filter((l) => l.type === 'memory').map((l) => (l as { id: string }).id).sort()).toEqual(SAME_IDS);
        expect(JSON.stringify(exported.filter((l) => l.type !== 'space'))).not.toMatch(ALPHA_MARK);

        // Reading through beta counted no access to alpha's memories and changed nothing of alpha.
        expect(await snapshot(alpha)).toEqual(before);
      });

      it('writes through beta never change alpha: update, delete by id and by filter, relations, contexts, audit, retention sweeps', async () => {
        await seed();
        const before = await snapshot(alpha);

        await expect(s.updateMemory(beta, 'a-only', { content: 'hijack', embedding: v(5) })).rejects.toThrowError(code('NOT_FOUND'));
        expect(await s.updateMemory(beta, 'm1', { content: 'beta rewrote m1', embedding: v(5), metadata: { owner: 'beta' } })).toMatchObject({ content: 'beta rewrote m1' });
        await expect(s.deleteMemory(beta, 'a-only')).rejects.toThrowError(code('NOT_FOUND'));

        await expect(s.addRelation(beta, { from: 'm1', to: 'a-only', type: 'leak' })).rejects.toThrowError(code('NOT_FOUND'));
        await expect(s.addRelation(beta, { from: 'a-only', to: 'm1', type: 'leak' })).rejects.toThrowError(code('NOT_FOUND'));
        await expect(s.addRelation(beta, { id: 'rel-1', from: 'm1', to: 'm2', type: 'dup' })).rejects.toThrowError(code('CONFLICT')); // beta's own rel-1
        await expect(s.deleteRelation(beta, 'rel-a')).rejects.toThrowError(code('NOT_FOUND'));
        await s.deleteRelation(beta, 'rel-1');
        await expect(s.deleteRelation(beta, 'rel-1')).rejects.toThrowError(code('NOT_FOUND'));

        await expect(s.addContext(beta, { id: 'ctx-1', content: 'again', embedding: v(1) })).rejects.toThrowError(code('CONFLICT')); // beta's own ctx-1
        await expect(s.deleteContext(beta, 'ctx-a')).rejects.toThrowError(code('NOT_FOUND'));
        await s.deleteContext(beta, 'ctx-1');

        for (const filter of [{ 'metadata.owner': 'alpha' }, { tags: { contains: 'alpha-only' } }, { id: { in: ['a-only'] } }, { 'metadata.edited': true }]) {
          expect(await s.deleteMemories(beta, filter), JSON.stringify(filter)).toEqual({ deleted: 0 });
        }
        await s.deleteMemory(beta, 'm2');
        expect(await s.deleteMemories(beta, { id: { in: ['m3', 'a-only'] } })).toEqual({ deleted: 1 });
        await s.recordAudit(beta, { action: 'request.denied' }, { actor: 'bob' });
        expect(await s.verifyAudit(beta)).toMatchObject({ ok: true });

        // Retention: beta keeps one day, alpha keeps everything; two days on, a sweep of beta
        // (and the one a shorter retention starts) empties beta and leaves alpha whole.
        await s.addMemory(beta, { id: 'a-only', content: "beta's own a-only", embedding: v(0), expiresAt: new Date(clock + DAY).toISOString() });
        clock += 2 * DAY;
        await s.updateSpace(beta, { retentionDays: 1, quotas: { maxMemories: 1 } });
        expect(await ms.sweeper.sweepSpace(beta)).toBe(0);
        expect((await s.getSpace(beta)).stats.memories).toBe(0);
        expect((await s.audit(beta, { action: 'memory.expire' })).items.length).toBeGreaterThan(0);
        await s.addMemory(beta, { content: 'within beta quota', embedding: v(1) });
        await expect(s.addMemory(beta, { content: 'past beta quota', embedding: v(1) })).rejects.toThrowError(code('QUOTA_EXCEEDED'));

        expect(await snapshot(alpha)).toEqual(before);
        expect((await s.getMemory(alpha, 'm1')).content).toBe('alpha secret 0 about the serengeti zebra');
        expect((await s.getMemory(alpha, 'a-only')).content).toBe('alpha secret 3 about the serengeti zebra');
      });

      it('export and import stay in the space they name: a copy of alpha is a copy, and an import into beta cannot reach alpha', async () => {
        await seed();
        const before = await snapshot(alpha);
        const alphaExport = await exportLines(ms, alpha);

        // An import line in beta naming alpha's memory cannot make an edge to it.
        const relA = alphaExport.find((l) => l.type === 'relation' && (l as { id: string }).id === 'rel-a')!;
        await expect(ms.transfer.importSpace(beta, asLines([relA]))).rejects.toThrowError(code('NOT_FOUND'));
        await expect(s.listRelations(beta, 'a-only')).rejects.toThrowError(code('NOT_FOUND'));

        // A restore of alpha's export into a new space, then changes there, leave alpha alone.
        const copy = suite.name('copy');
        expect(await ms.transfer.importSpace(copy, asLines(alphaExport))).toMatchObject({ mode: 'restore', memories: { imported: 4 } });
        await s.deleteRelation(copy, 'rel-1');
        await s.deleteMemory(copy, 'm1');
        await s.deleteContext(copy, 'ctx-a');
        await s.updateMemory(copy, 'a-only', { content: 'the copy changed', embedding: v(7) });

        // A merge of alpha's export into beta skips beta's own ids and copies the rest as beta's.
        const merged = await ms.transfer.importSpace(beta, asLines(alphaExport));
        expect(merged).toMatchObject({ mode: 'merge', memories: { imported: 1, skipped: 3 }, contexts: { imported: 1, skipped: 1 } });
        for (const [i, id] of SAME_IDS.entries()) expect((await s.getMemory(beta, id)).content).toBe(`beta note ${i} about the serengeti wildebeest`);
        await s.deleteMemory(beta, 'a-only');
        await s.deleteContext(beta, 'ctx-a');
        expect(await s.verifyAudit(beta)).toMatchObject({ ok: true });

        // A sweep of every space leaves alpha as it was (nothing of it has expired).
        await ms.sweeper.sweepSpace(copy);
        await ms.sweeper.sweepSpace(beta);

        expect(await snapshot(alpha)).toEqual(before);
        expect(await s.verifyAudit(alpha)).toMatchObject({ ok: true });
      });

      it('deleting beta, by any case of its name, removes all of beta and none of alpha', async () => {
        await seed();
        const before = await snapshot(alpha);
        await s.deleteSpace(beta.toUpperCase());
        await expect(s.search(beta, { embedding: v(1) })).rejects.toThrowError(code('SPACE_NOT_FOUND'));
        await expect(s.getMemory(beta, 'm1')).rejects.toThrowError(code('SPACE_NOT_FOUND'));
        // A new space of the same name starts empty: nothing of the old one survives.
        await s.createSpace({ name: beta, embedder: 'none', dimension: DIM });
        expect((await s.listMemories(beta)).items).toEqual([]);
        await expect(s.getMemory(beta, 'm1')).rejects.toThrowError(code('NOT_FOUND'));
        await expect(s.getContext(beta, 'ctx-1')).rejects.toThrowError(code('NOT_FOUND'));
        await expect(s.history(beta, 'm1')).rejects.toThrowError(code('NOT_FOUND'));
        expect((await s.audit(beta)).items).toEqual([]);
        expect(await changes(beta)).toEqual([]);
        expect(await snapshot(alpha)).toEqual(before);
      });
    });
  });
}
