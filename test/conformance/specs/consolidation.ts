import { readFileSync } from 'node:fs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExportLine } from '../../../src/core/views.js';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import { code, exportLines, type Suite } from '../harness.js';

/** A sample of the labelled pairs: `different` ones must never merge, whatever their cosine. */
function differentPairs(n: number): { a: string; b: string }[] {
  const lines = readFileSync(new URL('../../../bench/data/consolidation-pairs.jsonl', import.meta.url), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const different = lines.map((l) => JSON.parse(l) as { a: string; b: string; label: string }).filter((p) => p.label === 'different');
  // Every k-th pair, so the sample spans the set's families.
  const step = Math.max(1, Math.floor(different.length / n));
  return different.filter((_, i) => i % step === 0).slice(0, n);
}

/** Memory and relation lines of an export, by id: the state of a space, without its history and audit. */
function state(lines: readonly ExportLine[]): unknown[] {
  return lines
    .filter((l) => l.type === 'memory' || l.type === 'relation')
    .map((l) => JSON.stringify(l))
    .sort();
}

/** Consolidation passes: duplicates merged, facts superseded, dry runs, undo, isolation. */
export function consolidationSpec(suite: Suite): void {
  describe('consolidation', () => {
    const DIM = 8;
    const v = (axis: number): number[] => axisVector(DIM, axis);
    let clock = Date.parse('2026-11-01T00:00:00Z');
    const shared = suite.shared({ now: () => (clock += 1000) });
    let ms: MemspaceEngine;
    let space: string;
    beforeAll(() => {
      ms = shared();
    });
    beforeEach(async () => {
      space = suite.name('cons');
      await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
    });

    it('merges exact and near-verbatim repeats of one scope into the oldest, re-pointing relations', async () => {
      const first = await ms.memories.add(space, { content: "Yusuf's flight to Dublin is on Thursday.", userId: 'u', tags: ['travel'], metadata: { source: 'chat' }, importance: 0.3, embedding: v(1) });
      const second = await ms.memories.add(space, { content: 'Note: yusuf flight to dublin is on Thu', userId: 'u', tags: ['trips'], metadata: { source: 'mail', booked: true }, importance: 0.8, embedding: v(1) });
      const third = await ms.memories.add(space, { content: "Yusuf's flight to Dublin is on Thursday.", userId: 'u', embedding: v(1) });
      const other = await ms.memories.add(space, { content: 'Dublin airport has two terminals', userId: 'u', embedding: v(2) });
      await ms.memories.relate(space, { from: second.id, to: other.id, type: 'about' });
      await ms.memories.relate(space, { from: first.id, to: other.id, type: 'about' }); // the re-pointed copy of this one is dropped
      await ms.memories.relate(space, { from: third.id, to: first.id, type: 'same' }); // a self-loop once merged: dropped
      await ms.search.run(space, { embedding: v(1), mode: 'vector', limit: 3 }); // accesses

      const report = await ms.consolidation.run(space, {});
      expect(report).toMatchObject({ examined: 4, merged: 2, superseded: 0, skipped: 0, dryRun: false });
      const kept = await ms.memories.get(space, first.id);
      expect(kept).toMatchObject({ content: first.content, tags: ['travel', 'trips'], metadata: { source: 'chat', booked: true }, importance: 0.8, createdAt: first.createdAt, accessCount: 3 });
      await expect(ms.memories.get(space, second.id)).rejects.toThrowError(code('NOT_FOUND'));
      const history = await ms.memories.history(space, second.id);
      expect(history.at(-1)).toMatchObject({ action: 'delete', newMetadata: { consolidatedInto: first.id, consolidationRun: report.runId } });
      const edges = await ms.memories.relations(space, first.id);
      expect(edges.map((e) => [e.from, e.to, e.type])).toEqual([[first.id, other.id, 'about']]);
      const audit = await ms.spaces.audit(space, { action: 'consolidation.run' });
      expect(audit.items).toHaveLength(1);
      expect(audit.items[0]!.details).toMatchObject({ runId: report.runId, merged: 2, examined: 4 });
    });

    it('never merges the same text of two scopes, nor near-but-different facts', async () => {
      await ms.memories.add(space, { content: 'Dana prefers window seats', userId: 'dana', embedding: v(1) });
      await ms.memories.add(space, { content: 'Dana prefers window seats', userId: 'sam', embedding: v(1) });
      const pairs = differentPairs(40);
      // One scope per pair, both texts on one vector: only the lexical rule can tell them apart.
      await ms.memories.addMany(space, pairs.flatMap((p, i) => [p.a, p.b].map((content) => ({ content, runId: `pair-${i}`, embedding: v(3) }))));
      const report = await ms.consolidation.run(space, {});
      expect(report.merged).toBe(0);
      expect((await ms.memories.list(space, { limit: 1000 })).items).toHaveLength(2 + pairs.length * 2);
    });

    it('supersedes an older statement of a fact by metadata key, hidden from search and listings unless asked', async () => {
      const old = await ms.memories.add(space, { content: 'Dana lives in Utrecht', userId: 'dana', metadata: { key: 'home_city' }, embedding: v(1) });
      const next = await ms.memories.add(space, { content: 'Dana moved to Berlin', userId: 'dana', metadata: { key: 'home_city' }, embedding: v(1) });
      const report = await ms.consolidation.run(space, {});
      expect(report).toMatchObject({ merged: 0, superseded: 1 });
      expect(await ms.memories.get(space, old.id)).toMatchObject({ supersededBy: next.id });
      const found = await ms.search.run(space, { embedding: v(1), mode: 'vector', limit: 10 });
      expect(found.results.map((r) => r.memory.id)).toEqual([next.id]);
      const all = await ms.search.run(space, { embedding: v(1), mode: 'vector', limit: 10, includeSuperseded: true });
      expect(all.results.map((r) => r.memory.id).sort()).toEqual([old.id, next.id].sort());
      expect((await ms.memories.list(space, {})).items.map((m) => m.id)).toEqual([next.id]);
      expect((await ms.memories.list(space, { includeSuperseded: true })).items).toHaveLength(2);
      expect((await ms.memories.history(space, old.id)).at(-1)).toMatchObject({ action: 'supersede', newMetadata: { supersededBy: next.id } });
    });

    it('changes nothing on a dry run, and undo restores the exact prior state', async () => {
      const a = await ms.memories.add(space, { content: 'The deploy runs at 2am', tags: ['ci'], embedding: v(1) });
      const b = await ms.memories.add(space, { content: 'the deploy runs at 2 a.m.', tags: ['infra'], metadata: { x: 1 }, embedding: v(1) });
      const c = await ms.memories.add(space, { content: 'Postgres backups run hourly', embedding: v(2) });
      await ms.memories.relate(space, { from: b.id, to: c.id, type: 'before' });
      await ms.memories.add(space, { content: 'Office is on floor 3', metadata: { key: 'office' }, embedding: v(4) });
      await ms.memories.add(space, { content: 'Office is on floor 5', metadata: { key: 'office' }, embedding: v(5) });
      const before = state(await exportLines(ms, space));

      const dry = await ms.consolidation.run(space, { dryRun: true });
      expect(dry).toMatchObject({ dryRun: true, merged: 1, superseded: 1 });
      expect(dry.groups).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'duplicate', keep: a.id, ids: [b.id] })]));
      expect(JSON.stringify(dry.groups)).not.toContain('deploy'); // ids and reasons, no content
      expect(state(await exportLines(ms, space))).toEqual(before);

      const run = await ms.consolidation.run(space, {});
      expect(run).toMatchObject({ merged: 1, superseded: 1 });
      expect(state(await exportLines(ms, space))).not.toEqual(before);
      expect(await ms.consolidation.undo(space, { runId: run.runId })).toMatchObject({ restored: 1, unsuperseded: 1 });
      expect(state(await exportLines(ms, space))).toEqual(before);
      await expect(ms.consolidation.undo(space, { runId: run.runId })).rejects.toThrowError(code('CONFLICT'));
    });

    it('leaves another space untouched, and refuses bad input', async () => {
      const other = suite.name('cons-b');
      await ms.spaces.create({ name: other, embedder: 'none', dimension: DIM });
      for (const s of [space, other]) {
        await ms.memories.add(s, { content: 'Same fact twice', embedding: v(1) });
        await ms.memories.add(s, { content: 'same fact twice', embedding: v(1) });
      }
      const otherBefore = JSON.stringify(await exportLines(ms, other));
      expect((await ms.consolidation.run(space, {})).merged).toBe(1);
      expect(JSON.stringify(await exportLines(ms, other))).toBe(otherBefore);

      const key = await ms.keys.create({ name: 'b-admin', grants: [{ space: other, role: 'admin' }] });
      const call = { principal: await ms.keys.authenticate(key.key) };
      await expect(ms.consolidation.run(space, {}, call)).rejects.toThrowError(code('SPACE_NOT_FOUND'));
      const run = await ms.consolidation.run(other, {}, call);
      expect(run.merged).toBe(1);
      await expect(ms.consolidation.undo(space, { runId: run.runId })).rejects.toThrowError(code('NOT_FOUND'));
      await expect(ms.consolidation.undo(space, { runId: 'no-such-run' })).rejects.toThrowError(code('NOT_FOUND'));
      await expect(ms.consolidation.run(space, { minCosine: 1.5 })).rejects.toThrowError(code('VALIDATION_FAILED'));
      await expect(ms.consolidation.run(space, { minOverlap: 0.2 })).rejects.toThrowError(code('VALIDATION_FAILED'));
      await expect(ms.consolidation.run(space, { thresholds: 1 })).rejects.toThrowError(code('VALIDATION_FAILED'));
    });
  });
}
