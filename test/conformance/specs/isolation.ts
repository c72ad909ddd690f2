import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExportLine } from '../../../src/core/views.js';
import type { MemspaceEngine } from '../../../src/memspace.js';
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
    let ms: MemspaceEngine;
    /** The victim space, whose data must never be seen or changed through `beta`. */
    let alpha: string;
    /** The space every attack goes through. */
    let beta: string;
    beforeAll(() => {
      ms = shared();
    });
    beforeEach(async () => {
      alpha = suite.name('alpha');
      beta = suite.name('beta');
      for (const name of [alpha, beta]) await ms.spaces.create({ name, embedder: 'none', dimension: DIM });
    });

    describe('same ids, look-alike content and hostile names', () => {
      it('keeps the same ids and identical texts apart', async () => {
        await ms.memories.add(alpha, { id: 'shared-id', content: 'the launch code is 1234', embedding: v(1), userId: 'u1', tags: ['secret'] });
        await ms.memories.add(beta, { id: 'shared-id', content: 'the launch code is 1234', embedding: v(1), userId: 'u1', tags: ['secret'] });
        await ms.memories.update(beta, 'shared-id', { content: 'beta changed its copy', embedding: v(2) });
        expect((await ms.memories.get(alpha, 'shared-id')).content).toBe('the launch code is 1234');
        expect((await ms.memories.history(alpha, 'shared-id')).map((h) => h.action)).toEqual(['create']);
        await ms.memories.delete(beta, 'shared-id');
        expect((await ms.memories.get(alpha, 'shared-id')).content).toBe('the launch code is 1234');
      });

      it("answers NOT_FOUND for every operation on another space's id", async () => {
        const a = await ms.memories.add(alpha, { content: 'only in alpha', embedding: v(3) });
        const a2 = await ms.memories.add(alpha, { content: 'also only in alpha', embedding: v(4) });
        const rel = await ms.memories.relate(alpha, { from: a.id, to: a2.id, type: 'linked' });
        const b = await ms.memories.add(beta, { content: 'in beta', embedding: v(3) });

        await expect(ms.memories.get(beta, a.id)).rejects.toThrowError(code('NOT_FOUND'));
        await expect(ms.memories.update(beta, a.id, { content: 'hijack', embedding: v(1) })).rejects.toThrowError(code('NOT_FOUND'));
        await expect(ms.memories.delete(beta, a.id)).rejects.toThrowError(code('NOT_FOUND'));
        await expect(ms.memories.history(beta, a.id)).rejects.toThrowError(code('NOT_FOUND'));
        await expect(ms.memories.relations(beta, a.id)).rejects.toThrowError(code('NOT_FOUND'));
        await expect(ms.memories.unrelate(beta, rel.id)).rejects.toThrowError(code('NOT_FOUND'));
        // An edge from beta to alpha's memory, either way round, is impossible by construction.
        await expect(ms.memories.relate(beta, { from: b.id, to: a.id, type: 'leak' })).rejects.toThrowError(code('NOT_FOUND'));
        await expect(ms.memories.relate(beta, { from: a.id, to: b.id, type: 'leak' })).rejects.toThrowError(code('NOT_FOUND'));
        // Delete-by-filter naming alpha's id from beta deletes nothing anywhere.
        expect((await ms.memories.deleteMatching(beta, { id: { in: [a.id, a2.id] } })).deleted).toBe(0);
        expect((await ms.memories.get(alpha, a.id)).content).toBe('only in alpha');
        expect((await ms.memories.relations(alpha, a.id)).map((r) => r.id)).toEqual([rel.id]);
      });

      it('never returns another space in search, list or expand, in any mode', async () => {
        await ms.memories.add(alpha, { content: 'zebra migration across the serengeti', embedding: v(6), tags: ['zebra'] });
        // Beta holds look-alikes, so each search below finds something, just never alpha's memory.
        await ms.memories.add(beta, { content: 'in beta', embedding: v(3) });
        await ms.memories.add(beta, { content: 'wildebeest migration across the serengeti', embedding: v(6), tags: ['wildebeest'] });
        for (const mode of ['vector', 'keyword', 'hybrid'] as const) {
          const { results } = await ms.search.run(beta, { query: 'zebra serengeti', embedding: v(6), mode, limit: 100, expand: true });
          expect(results.length, mode).toBeGreaterThan(0);
          expect(results.every((r) => !r.memory.content.includes('zebra') && !r.memory.content.includes('alpha'))).toBe(true);
        }
        const listed = await ms.memories.list(beta, { limit: 1000 });
        expect(listed.items.some((m) => m.content.includes('alpha') || m.content.includes('zebra'))).toBe(false);
        expect((await ms.memories.list(beta, { tags: ['zebra'] })).items).toEqual([]);
      });

      it('rejects hostile and look-alike space names on every operation', async () => {
        const hostile = ['../alpha', 'alpha/../beta', 'a/b', '%2e%2e', 'alpha\u0000', '.', '..', 'x'.repeat(65), 'аlpha', '', ' alpha'];
        for (const name of hostile) {
          const label = JSON.stringify(name);
          await expect(ms.spaces.create({ name, embedder: 'none', dimension: DIM }), label).rejects.toThrowError(code('INVALID_SPACE'));
          await expect(ms.memories.add(name, { content: 'x', embedding: v(1) }), label).rejects.toThrowError(code('INVALID_SPACE'));
          await expect(ms.search.run(name, { embedding: v(1) }), label).rejects.toThrowError(code('INVALID_SPACE'));
          await expect(ms.memories.list(name), label).rejects.toThrowError(code('INVALID_SPACE'));
          await expect(ms.spaces.delete(name), label).rejects.toThrowError(code('INVALID_SPACE'));
          await expect(ms.spaces.get(name), label).rejects.toThrowError(code('INVALID_SPACE'));
        }
        const team = suite.name('team');
        await ms.spaces.create({ name: team, embedder: 'none', dimension: DIM });
        await expect(ms.spaces.create({ name: team.replace('team', 'Team'), embedder: 'none', dimension: DIM })).rejects.toThrowError(code('CONFLICT'));
        await expect(ms.spaces.create({ name: team.toUpperCase(), embedder: 'none', dimension: DIM })).rejects.toThrowError(code('CONFLICT'));
        // Case variants reach the one space that exists, never a second one.
        await ms.memories.add(team.toUpperCase(), { content: 'case-insensitive', embedding: v(1) });
        expect((await ms.memories.list(team)).items.map((m) => m.content)).toEqual(['case-insensitive']);
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
        await ms.memories.addMany(
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
        await ms.memories.update(alpha, 'm1', { importance: 0.9, metadata: { owner: 'alpha', n: 0, edited: true } }, alice);
        await ms.memories.relate(alpha, { id: 'rel-1', from: 'm1', to: 'm2', type: 'knows' }, alice);
        await ms.memories.relate(alpha, { id: 'rel-a', from: 'm1', to: 'a-only', type: 'knows' }, alice);
        await ms.memories.addContext(alpha, { id: 'ctx-1', content: 'alpha context about the serengeti', embedding: v(1) }, alice);
        await ms.memories.addContext(alpha, { id: 'ctx-a', content: 'alpha-only context', embedding: v(2) }, alice);
        await ms.spaces.recordAudit(alpha, { action: 'request.denied', details: { by: 'alice' } }, alice);

        await ms.memories.addMany(
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
        await ms.memories.relate(beta, { id: 'rel-1', from: 'm2', to: 'm3', type: 'knows' }, bob);
        await ms.memories.addContext(beta, { id: 'ctx-1', content: 'beta context about the serengeti', embedding: v(1) }, bob);
      }

      /** Everything of a space: its export (memories, vectors, history, relations, contexts, audit) and counts. */
      async function snapshot(space: string): Promise<{ lines: ExportLine[]; stats: unknown }> {
        const { stats } = await ms.spaces.get(space);
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

        for (const [i, id] of SAME_IDS.entries()) expect((await ms.memories.get(beta, id)).content).toBe(`beta note ${i} about the serengeti wildebeest`);
        await expect(ms.memories.get(beta, 'a-only')).rejects.toThrowError(code('NOT_FOUND'));

        const listed = await ms.memories.list(beta, { limit: 1000 });
        expect(listed.items.map((m) => m.id).sort()).toEqual(SAME_IDS);
        expect(listed.items.every((m) => m.metadata['owner'] === 'beta')).toBe(true);
        for (const filter of [{ 'metadata.owner': 'alpha' }, { tags: { contains: 'alpha-only' } }, { id: { in: ['a-only'] } }, { 'metadata.edited': { exists: true } }]) {
          expect((await ms.memories.list(beta, { filter })).items, JSON.stringify(filter)).toEqual([]);
        }
        expect((await ms.memories.list(beta, { tags: ['alpha-only'] })).items).toEqual([]);

        const leaking = [{ 'metadata.owner': 'alpha' }, { tags: { contains: 'alpha-only' } }, { id: { in: ['a-only'] } }];
        for (const mode of ['vector', 'keyword', 'hybrid'] as const) {
          const base = { mode, limit: 100, expand: true, ...(mode !== 'keyword' && { embedding: v(3) }), ...(mode !== 'vector' && { query: 'alpha secret serengeti zebra' }) };
          // Unfiltered and with scopes both spaces share: beta's own memories, and only those.
          for (const extra of [{}, { userId: 'u1', agentId: 'ag', runId: 'r1' }, { tags: ['shared'] }, { filter: { id: { in: [...SAME_IDS, 'a-only'] } } }]) {
            const { results } = await ms.search.run(beta, { ...base, ...extra });
            const label = `${mode} ${JSON.stringify(extra)}`;
            expect(results.map((r) => r.memory.id).sort(), label).toEqual(SAME_IDS);
            for (const r of results) {
              expect(JSON.stringify(r), label).not.toMatch(ALPHA_MARK);
              for (const rel of r.related ?? []) expect(rel.memory.metadata['owner'], label).toBe('beta');
            }
          }
          for (const filter of leaking) {
            expect((await ms.search.run(beta, { ...base, filter })).results, `${mode} ${JSON.stringify(filter)}`).toEqual([]);
          }
          expect((await ms.search.run(beta, { ...base, tags: ['alpha-only'] })).results, mode).toEqual([]);
        }
        // Expanding m2 in beta follows beta's rel-1 (m2 -> m3), never alpha's rel-1 (m1 -> m2) or rel-a.
        const expanded = await ms.search.run(beta, { embedding: v(1), mode: 'vector', limit: 1, expand: true });
        expect(expanded.results[0]!.memory.id).toBe('m2');
        expect(expanded.results[0]!.related!.map((r) => [r.relation.id, r.relation.from, r.relation.to])).toEqual([['rel-1', 'm2', 'm3']]);

        expect((await ms.memories.history(beta, 'm1')).map((h) => [h.action, h.newContent, h.actor])).toEqual([['create', 'beta note 0 about the serengeti wildebeest', 'bob']]);
        await expect(ms.memories.history(beta, 'a-only')).rejects.toThrowError(code('NOT_FOUND'));

        expect(await ms.memories.relations(beta, 'm1')).toEqual([]);
        expect((await ms.memories.relations(beta, 'm2')).map((r) => [r.id, r.from, r.to])).toEqual([['rel-1', 'm2', 'm3']]);
        await expect(ms.memories.relations(beta, 'a-only')).rejects.toThrowError(code('NOT_FOUND'));

        expect((await ms.memories.getContext(beta, 'ctx-1')).content).toBe('beta context about the serengeti');
        await expect(ms.memories.getContext(beta, 'ctx-a')).rejects.toThrowError(code('NOT_FOUND'));

        const audit = (await ms.spaces.audit(beta, { limit: 1000 })).items;
        expect(audit.map((e) => [e.seq, e.action, e.actor])).toEqual([
          [1, 'memory.create', 'bob'],
          [2, 'relation.create', 'bob'],
          [3, 'context.create', 'bob'],
        ]);
        expect(JSON.stringify(audit)).not.toMatch(ALPHA_MARK);
        expect((await ms.spaces.audit(beta, { action: 'memory.update' })).items).toEqual([]);
        expect((await ms.spaces.audit(beta, { action: 'request.denied' })).items).toEqual([]);
        expect(await ms.spaces.verifyAudit(beta)).toEqual({ ok: true, entries: 3 });

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

        await expect(ms.memories.update(beta, 'a-only', { content: 'hijack', embedding: v(5) })).rejects.toThrowError(code('NOT_FOUND'));
        expect(await ms.memories.update(beta, 'm1', { content: 'beta rewrote m1', embedding: v(5), metadata: { owner: 'beta' } })).toMatchObject({ content: 'beta rewrote m1' });
        await expect(ms.memories.delete(beta, 'a-only')).rejects.toThrowError(code('NOT_FOUND'));

        await expect(ms.memories.relate(beta, { from: 'm1', to: 'a-only', type: 'leak' })).rejects.toThrowError(code('NOT_FOUND'));
        await expect(ms.memories.relate(beta, { from: 'a-only', to: 'm1', type: 'leak' })).rejects.toThrowError(code('NOT_FOUND'));
        await expect(ms.memories.relate(beta, { id: 'rel-1', from: 'm1', to: 'm2', type: 'dup' })).rejects.toThrowError(code('CONFLICT')); // beta's own rel-1
        await expect(ms.memories.unrelate(beta, 'rel-a')).rejects.toThrowError(code('NOT_FOUND'));
        await ms.memories.unrelate(beta, 'rel-1');
        await expect(ms.memories.unrelate(beta, 'rel-1')).rejects.toThrowError(code('NOT_FOUND'));

        await expect(ms.memories.addContext(beta, { id: 'ctx-1', content: 'again', embedding: v(1) })).rejects.toThrowError(code('CONFLICT')); // beta's own ctx-1
        await expect(ms.memories.deleteContext(beta, 'ctx-a')).rejects.toThrowError(code('NOT_FOUND'));
        await ms.memories.deleteContext(beta, 'ctx-1');

        for (const filter of [{ 'metadata.owner': 'alpha' }, { tags: { contains: 'alpha-only' } }, { id: { in: ['a-only'] } }, { 'metadata.edited': true }]) {
          expect(await ms.memories.deleteMatching(beta, filter), JSON.stringify(filter)).toEqual({ deleted: 0 });
        }
        await ms.memories.delete(beta, 'm2');
        expect(await ms.memories.deleteMatching(beta, { id: { in: ['m3', 'a-only'] } })).toEqual({ deleted: 1 });
        await ms.spaces.recordAudit(beta, { action: 'request.denied' }, { actor: 'bob' });
        expect(await ms.spaces.verifyAudit(beta)).toMatchObject({ ok: true });

        // Retention: beta keeps one day, alpha keeps everything; two days on, a sweep of beta
        // (and the one a shorter retention starts) empties beta and leaves alpha whole.
        await ms.memories.add(beta, { id: 'a-only', content: "beta's own a-only", embedding: v(0), expiresAt: new Date(clock + DAY).toISOString() });
        clock += 2 * DAY;
        await ms.spaces.update(beta, { retentionDays: 1, quotas: { maxMemories: 1 } });
        expect(await ms.sweeper.sweepSpace(beta)).toBe(0);
        expect((await ms.spaces.get(beta)).stats.memories).toBe(0);
        expect((await ms.spaces.audit(beta, { action: 'memory.expire' })).items.length).toBeGreaterThan(0);
        await ms.memories.add(beta, { content: 'within beta quota', embedding: v(1) });
        await expect(ms.memories.add(beta, { content: 'past beta quota', embedding: v(1) })).rejects.toThrowError(code('QUOTA_EXCEEDED'));

        expect(await snapshot(alpha)).toEqual(before);
        expect((await ms.memories.get(alpha, 'm1')).content).toBe('alpha secret 0 about the serengeti zebra');
        expect((await ms.memories.get(alpha, 'a-only')).content).toBe('alpha secret 3 about the serengeti zebra');
      });

      it('export and import stay in the space they name: a copy of alpha is a copy, and an import into beta cannot reach alpha', async () => {
        await seed();
        const before = await snapshot(alpha);
        const alphaExport = await exportLines(ms, alpha);

        // An import line in beta naming alpha's memory cannot make an edge to it.
        const relA = alphaExport.find((l) => l.type === 'relation' && (l as { id: string }).id === 'rel-a')!;
        await expect(ms.transfer.importSpace(beta, asLines([relA]))).rejects.toThrowError(code('NOT_FOUND'));
        await expect(ms.memories.relations(beta, 'a-only')).rejects.toThrowError(code('NOT_FOUND'));

        // A restore of alpha's export into a new space, then changes there, leave alpha alone.
        const copy = suite.name('copy');
        expect(await ms.transfer.importSpace(copy, asLines(alphaExport))).toMatchObject({ mode: 'restore', memories: { imported: 4 } });
        await ms.memories.unrelate(copy, 'rel-1');
        await ms.memories.delete(copy, 'm1');
        await ms.memories.deleteContext(copy, 'ctx-a');
        await ms.memories.update(copy, 'a-only', { content: 'the copy changed', embedding: v(7) });

        // A merge of alpha's export into beta skips beta's own ids and copies the rest as beta's.
        const merged = await ms.transfer.importSpace(beta, asLines(alphaExport));
        expect(merged).toMatchObject({ mode: 'merge', memories: { imported: 1, skipped: 3 }, contexts: { imported: 1, skipped: 1 } });
        for (const [i, id] of SAME_IDS.entries()) expect((await ms.memories.get(beta, id)).content).toBe(`beta note ${i} about the serengeti wildebeest`);
        await ms.memories.delete(beta, 'a-only');
        await ms.memories.deleteContext(beta, 'ctx-a');
        expect(await ms.spaces.verifyAudit(beta)).toMatchObject({ ok: true });

        // A sweep of every space leaves alpha as it was (nothing of it has expired).
        await ms.sweeper.sweepSpace(copy);
        await ms.sweeper.sweepSpace(beta);

        expect(await snapshot(alpha)).toEqual(before);
        expect(await ms.spaces.verifyAudit(alpha)).toMatchObject({ ok: true });
      });

      it('deleting beta, by any case of its name, removes all of beta and none of alpha', async () => {
        await seed();
        const before = await snapshot(alpha);
        await ms.spaces.delete(beta.toUpperCase());
        await expect(ms.search.run(beta, { embedding: v(1) })).rejects.toThrowError(code('SPACE_NOT_FOUND'));
        await expect(ms.memories.get(beta, 'm1')).rejects.toThrowError(code('SPACE_NOT_FOUND'));
        // A new space of the same name starts empty: nothing of the old one survives.
        await ms.spaces.create({ name: beta, embedder: 'none', dimension: DIM });
        expect((await ms.memories.list(beta)).items).toEqual([]);
        await expect(ms.memories.get(beta, 'm1')).rejects.toThrowError(code('NOT_FOUND'));
        await expect(ms.memories.getContext(beta, 'ctx-1')).rejects.toThrowError(code('NOT_FOUND'));
        await expect(ms.memories.history(beta, 'm1')).rejects.toThrowError(code('NOT_FOUND'));
        expect((await ms.spaces.audit(beta)).items).toEqual([]);
        expect(await changes(beta)).toEqual([]);
        expect(await snapshot(alpha)).toEqual(before);
      });
    });
  });
}
