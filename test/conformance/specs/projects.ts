import { describe, expect, it } from 'vitest';
import type { Grant } from '../../../src/core/grants.js';
import type { Principal } from '../../../src/engine/access-guard.js';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import { asLines, exportLines, failure, type Suite } from '../harness.js';

/**
 * Projects on every backend: the project store (names without case, paging, deletion refused
 * while spaces name it), inheritance of defaults, project quotas enforced in the write
 * transaction across spaces (also by imports), totals, cascade deletion and project grants.
 */
export function projectsSpec(suite: Suite): void {
  describe('projects', () => {
    const DIM = 4;
    const v = (axis: number): number[] => axisVector(DIM, axis);
    const ms = suite.shared();
    const as = (keyId: string, ...grants: Grant[]): { principal: Principal } => ({ principal: { keyId, name: keyId, grants, defaultSpace: null } });
    const mem = (content: string, axis = 0) => ({ content, embedding: v(axis) });
    /** Text compression cannot shrink much (contexts count as stored, compressed). */
    const noise = (length: number): string => {
      let x = 12345;
      return Array.from({ length }, () => String.fromCharCode(33 + ((x = (x * 1103515245 + 12345) % 2 ** 31) % 90))).join('');
    };

    describe('the project store', () => {
      it('creates, finds in any case, lists by name page, updates and refuses a taken name', async () => {
        const store = ms().backend.projects;
        const [a, b, c] = [suite.name('pstore'), suite.name('pstore'), suite.name('pstore')];
        for (const name of [a, b, c]) {
          await store.create({ name, description: 'd', owner: 'local', labels: { team: 'x' }, defaults: { isolation: 'shared' }, quotas: { maxMemories: 5, maxBytes: null }, createdAt: 1, updatedAt: 1 });
        }
        expect(await store.get(a.toUpperCase())).toMatchObject({ name: a, labels: { team: 'x' }, defaults: { isolation: 'shared' }, quotas: { maxMemories: 5, maxBytes: null }, createdAt: 1 });
        expect((await failure(store.create({ ...(await store.get(a))!, name: a.toUpperCase() }))).code).toBe('CONFLICT');
        const page = await store.list({ prefix: 'pstore-', after: a, limit: 1 });
        expect(page.map((p) => p.name)).toEqual([b]);
        await store.update({ ...(await store.get(b))!, description: 'changed', updatedAt: 2 });
        expect(await store.get(b)).toMatchObject({ description: 'changed', updatedAt: 2 });
        expect((await failure(store.update({ ...(await store.get(b))!, name: suite.name('nothing') }))).code).toBe('NOT_FOUND');
        expect(await store.delete(c)).toBe(true);
        expect(await store.delete(c)).toBe(false);
        expect(await store.get(c)).toBeUndefined();
      });

      it("lists a project's spaces, counts them, and refuses to delete it while they are there", async () => {
        const project = suite.name('pspaces');
        await ms().projects.create({ name: project });
        const names = [suite.name('in'), suite.name('in')];
        for (const name of names) await ms().spaces.create({ name, embedder: 'none', dimension: DIM, project: project.toUpperCase() });
        await ms().spaces.create({ name: suite.name('out'), embedder: 'none', dimension: DIM });
        const store = ms().backend.projects;
        expect((await store.spaces(project, { limit: 10 })).map((s) => s.name)).toEqual(names);
        expect((await store.spaces(project, { after: names[0], limit: 10 })).map((s) => s.name)).toEqual([names[1]]);
        expect(await store.countSpaces(project.toUpperCase())).toBe(2);
        const refused = await failure(store.delete(project));
        expect(refused).toEqual({ code: 'CONFLICT', details: { project, spaces: 2 } });
        expect(await store.get(project)).toBeDefined();
      });
    });

    describe('inheritance', () => {
      it('gives a new space the defaults it does not set, and lists them as inherited', async () => {
        const project = suite.name('inh');
        await ms().projects.create({ name: project, defaults: { isolation: 'shared', retentionDays: 30, quotas: { maxMemories: 100 }, embedder: 'none', dimension: DIM } });
        const follows = await ms().spaces.create({ name: suite.name('follows'), project });
        expect(follows).toMatchObject({ project, isolation: 'shared', sensitivity: 'medium', retentionDays: 30, embedder: 'none', dimension: DIM });
        expect(follows.quotas).toEqual({ maxMemories: 100, maxBytes: null, maxRequestsPerSecond: null });
        expect(follows.inherited).toEqual(['isolation', 'sensitivity', 'retentionDays', 'quotas', 'consolidation']);
        const own = await ms().spaces.create({ name: suite.name('own'), project, isolation: 'strict', quotas: { maxMemories: 5 } });
        expect(own).toMatchObject({ isolation: 'strict', quotas: { maxMemories: 5, maxBytes: null, maxRequestsPerSecond: null }, retentionDays: 30 });
        expect(own.inherited).toEqual(['sensitivity', 'retentionDays', 'consolidation']);
        const alone = await ms().spaces.create({ name: suite.name('alone'), embedder: 'none', dimension: DIM });
        expect(alone).toMatchObject({ project: null, inherited: [], isolation: 'strict', sensitivity: 'medium', retentionDays: null });
      });

      it("a project's new defaults reach the spaces that inherit them, audited in each, and only those", async () => {
        const project = suite.name('prop');
        await ms().projects.create({ name: project, defaults: { sensitivity: 'low' } });
        const [follows, overrides] = [suite.name('follows'), suite.name('overrides')];
        await ms().spaces.create({ name: follows, project, embedder: 'none', dimension: DIM });
        await ms().spaces.create({ name: overrides, project, embedder: 'none', dimension: DIM });
        await ms().spaces.update(overrides, { sensitivity: 'high' });
        expect((await ms().spaces.get(overrides)).inherited).not.toContain('sensitivity');
        await ms().projects.update(project, { defaults: { sensitivity: 'highest', quotas: { maxBytes: 10_000 } } });
        expect(await ms().spaces.get(follows)).toMatchObject({ sensitivity: 'highest', quotas: { maxBytes: 10_000 } });
        expect(await ms().spaces.get(overrides)).toMatchObject({ sensitivity: 'high', quotas: { maxBytes: 10_000 } });
        const entries = (await ms().spaces.audit(follows, { action: 'space.update' })).items;
        expect(entries.at(-1)?.details).toEqual({ fields: ['sensitivity', 'quotas.maxBytes'], project });
        // Back to the project's value, and following it again.
        const back = await ms().spaces.update(overrides, { inherit: ['sensitivity'] });
        expect(back).toMatchObject({ sensitivity: 'highest' });
        expect(back.inherited).toContain('sensitivity');
        await ms().projects.update(project, { defaults: { sensitivity: null } });
        expect((await ms().spaces.get(overrides)).sensitivity).toBe('medium');
        expect((await failure(ms().spaces.update(overrides, { inherit: ['sensitivity'], sensitivity: 'low' }))).code).toBe('VALIDATION_FAILED');
        const alone = suite.name('alone');
        await ms().spaces.create({ name: alone, embedder: 'none', dimension: DIM });
        expect((await failure(ms().spaces.update(alone, { inherit: ['isolation'] }))).code).toBe('VALIDATION_FAILED');
      });

      it('refuses a space in a project that does not exist, with NOT_FOUND', async () => {
        const f = await failure(ms().spaces.create({ name: suite.name('lost'), project: suite.name('nope'), embedder: 'none', dimension: DIM }));
        expect(f.code).toBe('NOT_FOUND');
      });
    });

    describe('project quotas', () => {
      const twoSpaces = async (quotas: { maxMemories?: number; maxBytes?: number }): Promise<{ ms: MemspaceEngine; project: string; a: string; b: string }> => {
        const project = suite.name('quota');
        await ms().projects.create({ name: project, quotas });
        const [a, b] = [suite.name('qa'), suite.name('qb')];
        for (const name of [a, b]) await ms().spaces.create({ name, project, embedder: 'none', dimension: DIM });
        return { ms: ms(), project, a, b };
      };

      it('counts memories across its spaces; a batch that would cross writes nothing and names the project', async () => {
        const { project, a, b } = await twoSpaces({ maxMemories: 5 });
        await ms().memories.addMany(a, [mem('a1'), mem('a2'), mem('a3')]);
        const f = await failure(ms().memories.addMany(b, [mem('b1', 1), mem('b2', 2), mem('b3', 3)]));
        expect(f).toEqual({ code: 'QUOTA_EXCEEDED', details: { quota: 'project.maxMemories', project, limit: 5, current: 3, requested: 3 } });
        expect((await ms().memories.list(b)).items).toHaveLength(0);
        await ms().memories.addMany(b, [mem('b1', 1), mem('b2', 2)]); // exactly at the quota
        expect((await failure(ms().memories.add(a, mem('a4')))).code).toBe('QUOTA_EXCEEDED');
        // Deleting in one space makes room in the other.
        await ms().memories.delete(a, (await ms().memories.list(a)).items[0]!.id);
        await ms().memories.add(b, mem('b3', 3));
        expect((await ms().projects.get(project)).quotaUse.maxMemories).toEqual({ used: 5, limit: 5 });
      });

      it('counts payload bytes across spaces for adds, updates and contexts', async () => {
        const { project, a, b } = await twoSpaces({ maxBytes: 1_000 });
        const first = await ms().memories.add(a, mem('x'.repeat(400)));
        const f = await failure(ms().memories.add(b, mem('y'.repeat(600))));
        expect(f.code).toBe('QUOTA_EXCEEDED');
        expect(f.details).toMatchObject({ quota: 'project.maxBytes', project, limit: 1_000 });
        await ms().memories.add(b, mem('y'.repeat(100)));
        expect((await failure(ms().memories.update(a, first.id, { content: 'x'.repeat(900), embedding: v(2) }))).code).toBe('QUOTA_EXCEEDED');
        expect((await ms().memories.get(a, first.id)).content).toHaveLength(400);
        expect((await failure(ms().memories.addContext(b, { content: noise(2_000), summary: 's', embedding: v(1) }))).code).toBe('QUOTA_EXCEEDED');
        // Lifting the quota lets the same write through.
        await ms().projects.update(project, { quotas: { maxBytes: null } });
        await ms().memories.add(b, mem('y'.repeat(600)));
      });

      it('holds for imports, as a restore into an empty space and as a merge', async () => {
        const { project, a, b } = await twoSpaces({ maxMemories: 4 });
        await ms().memories.addMany(a, [mem('a1'), mem('a2'), mem('a3')]);
        const source = suite.name('src');
        await ms().spaces.create({ name: source, embedder: 'none', dimension: DIM });
        await ms().memories.addMany(source, [mem('s1'), mem('s2')]);
        const lines = await exportLines(ms(), source);
        const restore = await failure(ms().transfer.importSpace(b, asLines(lines)));
        expect(restore).toMatchObject({ code: 'QUOTA_EXCEEDED', details: { quota: 'project.maxMemories', project } });
        expect((await ms().memories.list(b)).items).toHaveLength(0);
        await ms().memories.add(b, mem('b1'));
        const merge = await failure(ms().transfer.importSpace(b, asLines(lines)));
        expect(merge).toMatchObject({ code: 'QUOTA_EXCEEDED', details: { quota: 'project.maxMemories', project } });
        expect((await ms().memories.list(b)).items).toHaveLength(1);
      });

      it('leaves space quotas as they were and spaces of no project unlimited by any project', async () => {
        const { a } = await twoSpaces({ maxMemories: 100 });
        await ms().spaces.update(a, { quotas: { maxMemories: 1 } });
        await ms().memories.add(a, mem('one'));
        expect((await failure(ms().memories.add(a, mem('two')))).details).toMatchObject({ quota: 'maxMemories', limit: 1 });
      });
    });

    describe('totals, deletion and grants', () => {
      it('adds up memories, payload and disk bytes and spaces by state', async () => {
        const project = suite.name('tot');
        await ms().projects.create({ name: project, quotas: { maxMemories: 50 } });
        const [a, b] = [suite.name('ta'), suite.name('tb')];
        for (const name of [a, b]) await ms().spaces.create({ name, project, embedder: 'none', dimension: DIM });
        await ms().memories.addMany(a, [mem('one'), mem('two')]);
        await ms().memories.add(b, mem('three'));
        const info = await ms().projects.get(project);
        const payload = (await ms().spaces.get(a)).stats.payloadBytes + (await ms().spaces.get(b)).stats.payloadBytes;
        expect(info.totals).toMatchObject({ memories: 3, payloadBytes: payload });
        expect(info.totals.diskBytes).toBeGreaterThan(0);
        expect(info.totals.spaces.total).toBe(2);
        expect(info.totals.spaces.active + info.totals.spaces.idle).toBe(2);
        expect(info.quotaUse).toEqual({ maxMemories: { used: 3, limit: 50 }, maxBytes: { used: payload, limit: null } });
      });

      it('deletes a project holding spaces only with cascade, which deletes them', async () => {
        const project = suite.name('casc');
        await ms().projects.create({ name: project });
        const spaces = [suite.name('c'), suite.name('c')];
        for (const name of spaces) {
          await ms().spaces.create({ name, project, embedder: 'none', dimension: DIM });
          await ms().memories.add(name, mem('doomed'));
        }
        const survivor = suite.name('survivor');
        await ms().spaces.create({ name: survivor, embedder: 'none', dimension: DIM });
        expect(await failure(ms().projects.delete(project))).toEqual({ code: 'CONFLICT', details: { project, spaces: 2 } });
        expect(await ms().projects.delete(project, { cascade: true })).toEqual({ spacesDeleted: 2 });
        for (const name of spaces) expect((await failure(ms().spaces.get(name))).code).toBe('SPACE_NOT_FOUND');
        expect((await failure(ms().projects.get(project))).code).toBe('NOT_FOUND');
        expect((await ms().spaces.get(survivor)).name).toBe(survivor);
      });

      it('a project grant reaches exactly its spaces, present and future, and its project', async () => {
        const [p, q] = [suite.name('gp'), suite.name('gq')];
        await ms().projects.create({ name: p });
        await ms().projects.create({ name: q });
        const [inP, inQ, loose] = [suite.name('inp'), suite.name('inq'), suite.name('loose')];
        await ms().spaces.create({ name: inP, project: p, embedder: 'none', dimension: DIM });
        await ms().spaces.create({ name: inQ, project: q, embedder: 'none', dimension: DIM });
        await ms().spaces.create({ name: loose, embedder: 'none', dimension: DIM });
        const key = as('key_p', { project: p, role: 'admin' });
        await ms().memories.add(inP, mem('mine'), key);
        const later = suite.name('any-name');
        await ms().spaces.create({ name: later, project: p, embedder: 'none', dimension: DIM }, key);
        await ms().memories.add(later, mem('mine too'), key);
        for (const other of [inQ, loose]) {
          expect((await failure(ms().memories.list(other, {}, key))).code).toBe('SPACE_NOT_FOUND');
          expect((await failure(ms().memories.add(other, mem('x'), key))).code).toBe('SPACE_NOT_FOUND');
        }
        expect((await ms().spaces.list({ limit: 1000 }, key)).items.map((s) => s.name).sort()).toEqual([inP, later].sort());
        expect((await failure(ms().projects.get(q, key))).code).toBe('NOT_FOUND');
        expect((await failure(ms().spaces.create({ name: suite.name('x'), project: q, embedder: 'none', dimension: DIM }, key))).code).toBe('NOT_FOUND');
        expect((await ms().projects.get(p, key)).name).toBe(p);
        // A key of one space of the project sees neither the project nor its totals.
        const spaceKey = as('key_s', { space: inP, role: 'admin' });
        expect((await failure(ms().projects.get(p, spaceKey))).code).toBe('NOT_FOUND');
        expect((await ms().projects.list({}, spaceKey)).items).toEqual([]);
      });
    });
  });
}
