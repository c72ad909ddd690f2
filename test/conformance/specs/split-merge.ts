import { describe, expect, it } from 'vitest';
import { LOCAL_PRINCIPAL, type CallContext } from '../../../src/engine/access-guard.js';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import { exportLines, failure, type Suite } from '../harness.js';

const DIM = 8;
const v = (axis: number): number[] => axisVector(DIM, axis);

/** Every memory id of a space, sorted. */
async function idsOf(ms: MemspaceEngine, space: string): Promise<string[]> {
  return (await exportLines(ms, space)).flatMap((l) => (l.type === 'memory' ? [l.id as string] : [])).sort();
}

/** Every relation of a space as `from>to`. */
async function relationsOf(ms: MemspaceEngine, space: string): Promise<string[]> {
  return (await exportLines(ms, space)).flatMap((l) => (l.type === 'relation' ? [`${l.from as string}>${l.to as string}`] : [])).sort();
}

/** The actions of a space's audit trail. */
async function actionsOf(ms: MemspaceEngine, space: string): Promise<{ action: string; details: unknown }[]> {
  return (await ms.spaces.audit(space, { limit: 200 })).items.map((e) => ({ action: e.action, details: e.details }));
}

/** Split by tag or metadata and merge of spaces: resumable moves, verified by checksums, audited in every space. */
export function splitMergeSpec(suite: Suite): void {
  describe('split and merge of spaces', () => {
    const shared = suite.shared();
    const ms = (): MemspaceEngine => shared();

    /**
     * A source with two datasets (3 in `<d>-worca`, 2 in `<d>-bio`; tags `ds:<d>-worca`, metadata
     * `dataset`), 2 memories of neither, a relation inside worca, one from worca to bio and one
     * from worca to a memory that stays; one worca memory updated (two history rows).
     */
    async function source(): Promise<{ name: string; d: string; ids: Record<string, string> }> {
      const name = suite.name('src');
      const d = suite.name('d');
      await ms().spaces.create({ name, embedder: 'none', dimension: DIM, retentionDays: 400, quotas: { maxMemories: 1000 }, labels: { team: 'x' } });
      const [w1, w2, w3, b1, b2, u1, u2] = await ms().memories.addMany(name, [
        { content: 'worca one', embedding: v(0), tags: [`ds:${d}-worca`, 'keep'], metadata: { dataset: `${d}-worca` } },
        { content: 'worca two', embedding: v(1), tags: [`ds:${d}-worca`], metadata: { dataset: `${d}-worca` } },
        { content: 'worca three', embedding: v(2), tags: [`ds:${d}-worca`], metadata: { dataset: `${d}-worca` } },
        { content: 'bio one', embedding: v(3), tags: [`ds:${d}-bio`], metadata: { dataset: `${d}-bio` } },
        { content: 'bio two', embedding: v(4), tags: [`ds:${d}-bio`], metadata: { dataset: `${d}-bio` } },
        { content: 'stays one', embedding: v(5) },
        { content: 'stays two', embedding: v(6), metadata: { dataset: { nested: true } } },
      ]);
      await ms().memories.update(name, w1!.id, { content: 'worca one, edited', embedding: v(0) });
      await ms().memories.relate(name, { from: w1!.id, to: w2!.id, type: 'inside' });
      await ms().memories.relate(name, { from: w1!.id, to: b1!.id, type: 'crosses' });
      await ms().memories.relate(name, { from: w3!.id, to: u1!.id, type: 'leaves' });
      return { name, d, ids: { w1: w1!.id, w2: w2!.id, w3: w3!.id, b1: b1!.id, b2: b2!.id, u1: u1!.id, u2: u2!.id } };
    }

    it('splits by tag, prefix stripped: ids, history, vectors, inside relations and settings move; crossing relations are reported and dropped; audited', async () => {
      const { name, d, ids } = await source();
      const bystander = suite.name('bystander');
      await ms().spaces.create({ name: bystander, embedder: 'none', dimension: DIM });
      await ms().memories.add(bystander, { content: 'not involved', embedding: v(0), tags: [`ds:${d}-worca`] });
      const bystanderBefore = await exportLines(ms(), bystander);
      const hitsBefore = await ms().search.run(name, { embedding: v(0), mode: 'vector', tags: [`ds:${d}-worca`], limit: 3 });
      const historyBefore = await ms().memories.history(name, ids.w1!);
      const [worca, bio] = [`${d}-worca`, `${d}-bio`];

      const report = await ms().splits.split(name, { byTag: 'ds:*', stripPrefix: true });
      expect(report.groups.map((g) => [g.value, g.to, g.memories, g.relations, g.copied, g.removed])).toEqual([
        [`ds:${d}-bio`, bio, 2, 0, 2, 2],
        [`ds:${d}-worca`, worca, 3, 1, 3, 3],
      ]);
      expect(report.groups.every((g) => /^[0-9a-f]{64}$/.test(g.checksum ?? ''))).toBe(true);
      expect(report.ungrouped).toBe(2);
      expect(report.droppedRelations.count).toBe(2);
      expect(report.droppedRelations.sample.map((r) => [r.from, r.to, r.fromSpace, r.toSpace]).sort()).toEqual(
        [
          [ids.w1, ids.b1, worca, bio],
          [ids.w3, ids.u1, worca, name],
        ].sort(),
      );

      expect(await idsOf(ms(), name)).toEqual([ids.u1, ids.u2].sort());
      expect(await idsOf(ms(), worca)).toEqual([ids.w1, ids.w2, ids.w3].sort());
      expect(await idsOf(ms(), bio)).toEqual([ids.b1, ids.b2].sort());
      expect(await relationsOf(ms(), worca)).toEqual([`${ids.w1}>${ids.w2}`]);
      expect(await relationsOf(ms(), bio)).toEqual([]);
      expect(await relationsOf(ms(), name)).toEqual([]);
      expect(await ms().memories.history(worca, ids.w1!)).toEqual(historyBefore);
      const hitsAfter = await ms().search.run(worca, { embedding: v(0), mode: 'vector', limit: 3 });
      expect(hitsAfter.results.map((h) => [h.memory.id, h.score])).toEqual(hitsBefore.results.map((h) => [h.memory.id, h.score]));
      expect(await ms().spaces.get(worca)).toMatchObject({ embedder: 'none', dimension: DIM, retentionDays: 400, quotas: { maxMemories: 1000 }, labels: { team: 'x' } });

      const split = (await actionsOf(ms(), name)).find((e) => e.action === 'space.split');
      expect(split?.details).toEqual({
        groups: [
          { value: `ds:${d}-bio`, space: bio, memories: 2, relations: 0 },
          { value: `ds:${d}-worca`, space: worca, memories: 3, relations: 1 },
        ],
        ungrouped: 2,
        droppedRelations: 2,
      });
      const into = (await actionsOf(ms(), worca)).find((e) => e.action === 'space.split.in');
      expect(into?.details).toMatchObject({ source: name, memories: 3, relations: 1, checksum: report.groups[1]!.checksum });
      expect(JSON.stringify(split) + JSON.stringify(into)).not.toContain('worca one');
      for (const space of [name, worca, bio]) expect(await ms().spaces.verifyAudit(space)).toMatchObject({ ok: true });
      // The bystander, though it holds a matching tag, is untouched byte for byte.
      expect(await exportLines(ms(), bystander)).toEqual(bystanderBefore);
    });

    it('splits by metadata, and without stripPrefix derives valid names deterministically', async () => {
      const { name, d, ids } = await source();
      const byMeta = await ms().splits.split(name, { byMetadata: 'dataset', dryRun: true });
      expect(byMeta.groups.map((g) => [g.to, g.memories])).toEqual([
        [`${d}-bio`, 2],
        [`${d}-worca`, 3],
      ]);
      expect(byMeta.ungrouped).toBe(2); // no field, and a field that is no string
      const plain = await ms().splits.split(name, { byTag: 'ds:*', dryRun: true });
      expect(plain.groups.map((g) => g.to)).toEqual([`ds-${d}-bio`, `ds-${d}-worca`]);
      await ms().splits.split(name, { byMetadata: 'dataset' });
      expect(await idsOf(ms(), `${d}-bio`)).toEqual([ids.b1, ids.b2].sort());
      expect(await idsOf(ms(), name)).toEqual([ids.u1, ids.u2].sort());
    });

    it('a dry run reports groups, counts, names and dropped relations and changes nothing', async () => {
      const { name, d } = await source();
      const before = await exportLines(ms(), name);
      const plan = await ms().splits.split(name, { byTag: 'ds:*', stripPrefix: true, dryRun: true });
      expect(plan).toMatchObject({ dryRun: true, ungrouped: 2, droppedRelations: { count: 2 } });
      expect(plan.groups.map((g) => [g.to, g.exists, g.memories, g.copied, g.checksum])).toEqual([
        [`${d}-bio`, false, 2, 0, null],
        [`${d}-worca`, false, 3, 0, null],
      ]);
      expect(await exportLines(ms(), name)).toEqual(before);
      expect((await failure(ms().spaces.get(`${d}-worca`))).code).toBe('SPACE_NOT_FOUND');
    });

    it('refuses before anything moves: several matching tags, invalid or shared target names, ids the target holds with other content, bad input', async () => {
      const { name, d, ids } = await source();
      await ms().memories.update(name, ids.b2!, { tags: [`ds:${d}-bio`, `ds:${d}-worca`] });
      const ambiguous = await failure(ms().splits.split(name, { byTag: 'ds:*' }));
      expect(ambiguous.code).toBe('CONFLICT');
      expect(ambiguous.details).toMatchObject({ ambiguous: { count: 1, sample: [{ id: ids.b2, groups: [`ds:${d}-bio`, `ds:${d}-worca`] }] } });
      const plan = await ms().splits.split(name, { byTag: 'ds:*', dryRun: true });
      expect(plan.ambiguous.count).toBe(1);
      await ms().memories.update(name, ids.b2!, { tags: [`ds:${d}-bio`] });
      await ms().memories.update(name, ids.u2!, { tags: ['ds:_system'] }); // a reserved space name
      const invalid = await failure(ms().splits.split(name, { byTag: 'ds:*', stripPrefix: true }));
      expect(invalid).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ path: 'target', message: expect.stringContaining('"_system"') }] } });
      await ms().memories.update(name, ids.u2!, { tags: [`ds:${d}:bio`] }); // ds-<d>-bio as well, without stripPrefix
      expect((await failure(ms().splits.split(name, { byTag: 'ds:*' }))).code).toBe('VALIDATION_FAILED');
      await ms().memories.update(name, ids.u2!, { tags: [] });
      // The target holds one of the ids already, with other content.
      await ms().spaces.create({ name: `${d}-worca`, embedder: 'none', dimension: DIM });
      await ms().memories.add(`${d}-worca`, { id: ids.w2, content: 'another text', embedding: v(1) });
      const clash = await failure(ms().splits.split(name, { byTag: 'ds:*', stripPrefix: true }));
      expect(clash).toMatchObject({ code: 'CONFLICT', details: { ids: [ids.w2] } });
      for (const bad of [{}, { byTag: 'ds:*', byMetadata: 'x' }, { byTag: 'ds' }, { byTag: '*' }, { byMetadata: 'a.b' }, { byMetadata: 'x', stripPrefix: true }, { byTag: 'ds:*', extra: 1 }]) {
        expect((await failure(ms().splits.split(name, bad))).code).toBe('VALIDATION_FAILED');
      }
      // Nothing moved: the source holds all it held, no other target was made, the one there holds its own memory only.
      expect(await idsOf(ms(), name)).toEqual(Object.values(ids).sort());
      expect(await idsOf(ms(), `${d}-worca`)).toEqual([ids.w2]);
      expect((await failure(ms().spaces.get(`${d}-bio`))).code).toBe('SPACE_NOT_FOUND');
    });

    it('a split interrupted after its copies is finished by running it again: every memory exactly once', async () => {
      const { name, d, ids } = await source();
      const stop = new Error('interrupted');
      await expect(
        ms().splits.split(name, { byTag: 'ds:*', stripPrefix: true }, {}, (p) => {
          if (p.phase === 'verifying') throw stop;
        }),
      ).rejects.toBe(stop);
      expect(await idsOf(ms(), `${d}-bio`)).toEqual([ids.b1, ids.b2].sort());
      expect(await idsOf(ms(), name)).toHaveLength(7);
      const again = await ms().splits.split(name, { byTag: 'ds:*', stripPrefix: true });
      expect(again.groups.map((g) => [g.alreadyThere, g.copied, g.removed])).toEqual([
        [2, 0, 2],
        [0, 3, 3],
      ]);
      expect(await idsOf(ms(), name)).toEqual([ids.u1, ids.u2].sort());
      expect(await idsOf(ms(), `${d}-worca`)).toEqual([ids.w1, ids.w2, ids.w3].sort());
      expect(await relationsOf(ms(), `${d}-worca`)).toEqual([`${ids.w1}>${ids.w2}`]);
      const third = await ms().splits.split(name, { byTag: 'ds:*', stripPrefix: true });
      expect(third.groups).toEqual([]);
    });

    it('merges spaces back into one (created when missing), refuses id collisions before anything moves, and audits each space', async () => {
      const { name, d, ids } = await source();
      await ms().splits.split(name, { byTag: 'ds:*', stripPrefix: true });
      const [worca, bio, all] = [`${d}-worca`, `${d}-bio`, `${d}-all`];
      const historyBefore = await ms().memories.history(worca, ids.w1!);
      const plan = await ms().splits.merge({ from: [worca, bio], into: all, dryRun: true });
      expect(plan.groups.map((g) => [g.from, g.to, g.exists, g.memories, g.relations])).toEqual([
        [worca, all, false, 3, 1],
        [bio, all, false, 2, 0],
      ]);
      const merged = await ms().splits.merge({ from: [worca, bio], into: all });
      expect(merged.groups.map((g) => g.copied)).toEqual([3, 2]);
      expect(await idsOf(ms(), all)).toEqual([ids.w1, ids.w2, ids.w3, ids.b1, ids.b2].sort());
      expect(await idsOf(ms(), worca)).toEqual([]);
      expect(await relationsOf(ms(), all)).toEqual([`${ids.w1}>${ids.w2}`]);
      expect(await ms().memories.history(all, ids.w1!)).toEqual(historyBefore);
      expect((await actionsOf(ms(), all)).filter((e) => e.action === 'space.merge.in').map((e) => e.details)).toEqual([
        expect.objectContaining({ source: worca, memories: 3 }),
        expect.objectContaining({ source: bio, memories: 2 }),
      ]);
      expect((await actionsOf(ms(), bio)).find((e) => e.action === 'space.merge')?.details).toEqual({ into: all, memories: 2, relations: 0 });

      // Back into the source, which still holds the two memories of no group.
      await ms().splits.merge({ from: [all], into: name });
      expect(await idsOf(ms(), name)).toEqual(Object.values(ids).sort());

      // The same id in two sources: refused, nothing moved.
      const [a, b, c] = [suite.name('ma'), suite.name('mb'), suite.name('mc')];
      for (const s of [a, b]) await ms().spaces.create({ name: s, embedder: 'none', dimension: DIM });
      await ms().memories.add(a, { id: ids.w1, content: 'same id', embedding: v(0) });
      await ms().memories.add(b, { id: ids.w1, content: 'same id', embedding: v(0) });
      const collision = await failure(ms().splits.merge({ from: [a, b], into: c }));
      expect(collision).toMatchObject({ code: 'CONFLICT', details: { count: 1, ids: [ids.w1] } });
      expect((await failure(ms().spaces.get(c))).code).toBe('SPACE_NOT_FOUND');
      expect(await idsOf(ms(), a)).toEqual([ids.w1]);
      for (const bad of [{ from: [a], into: a }, { from: [a, a], into: c }, { from: [], into: c }, { from: [a] }]) {
        expect((await failure(ms().splits.merge(bad))).code).toBe('VALIDATION_FAILED');
      }
      expect((await failure(ms().splits.merge({ from: ['../x'], into: c }))).code).toBe('INVALID_SPACE');
    });

    it('isolation: a key admin of the source only is refused before anything moves; jobs are their starter\'s', async () => {
      const { name, d } = await source();
      const before = await exportLines(ms(), name);
      const scoped: CallContext = { principal: { keyId: 'key_scoped', name: 'scoped', grants: [{ space: name, role: 'admin' }], defaultSpace: null } };
      expect((await failure(ms().splits.split(name, { byTag: 'ds:*', stripPrefix: true }, scoped))).code).toBe('FORBIDDEN');
      const writer: CallContext = { principal: { keyId: 'key_writer', name: 'w', grants: [{ prefix: '', role: 'write' }], defaultSpace: null } };
      expect((await failure(ms().splits.split(name, { byTag: 'ds:*' }, writer))).code).toBe('FORBIDDEN');
      expect(await exportLines(ms(), name)).toEqual(before);
      expect((await failure(ms().spaces.get(`${d}-worca`))).code).toBe('SPACE_NOT_FOUND');

      const broad: CallContext = { principal: { keyId: 'key_broad', name: 'b', grants: [{ prefix: name, role: 'admin' }, { prefix: d, role: 'admin' }], defaultSpace: null } };
      const job = await ms().splits.startSplit(name, { byTag: 'ds:*', stripPrefix: true }, broad);
      if (!('state' in job)) throw new Error('expected a job');
      let seen = ms().splits.job(job.id, broad);
      for (let i = 0; i < 3000 && seen.state === 'running'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        seen = ms().splits.job(job.id, broad);
      }
      expect(seen).toMatchObject({ state: 'succeeded', kind: 'split', progress: { done: 5, total: 5, phase: 'done' } });
      expect((await failure(Promise.resolve().then(() => ms().splits.job(job.id, writer)))).code).toBe('NOT_FOUND');
      expect(ms().splits.job(job.id, { principal: LOCAL_PRINCIPAL }).id).toBe(job.id);
    });
  });
}
