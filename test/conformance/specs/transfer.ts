import { afterEach, describe, expect, it } from 'vitest';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import { asLines, exportLines, failure, type Suite } from '../harness.js';
import type { ExportLine } from '../../../src/core/views.js';

/** Export of a whole space and import as a restore or a merge. */
export function transferSpec(suite: Suite): void {
  describe('export and import', () => {
    const DIM = 4;
    const v = (axis: number): number[] => axisVector(DIM, axis);
    let clock = Date.parse('2026-06-01T00:00:00Z');
    const now = (): number => clock;
    const open = (): Promise<MemspaceEngine> => suite.open({ now });
    /** This test's own name for the space it calls `base`: the backend is shared with every other test. */
    let names = new Map<string, string>();
    const sp = (base: string): string => {
      if (!names.has(base)) names.set(base, suite.name(base));
      return names.get(base)!;
    };
    afterEach(() => {
      names = new Map();
      clock = Date.parse('2026-06-01T00:00:00Z');
    });

    describe('export and import of a whole space', () => {
      async function populated(ms: MemspaceEngine, name: string): Promise<void> {
        await ms.spaces.create({ name, embedder: 'none', dimension: DIM, retentionDays: 365, quotas: { maxMemories: 1000 } });
        const [a, b, c] = await ms.memories.addMany(name, [
          { content: 'Alice likes tea', embedding: v(0), tags: ['prefs'], userId: 'alice', metadata: { topic: 'drinks' } },
          { content: 'Bob likes coffee', embedding: v(1), importance: 0.9 },
          { content: 'temporary note', embedding: v(2) },
        ]);
        clock += 1000;
        await ms.memories.update(name, a!.id, { content: 'Alice likes green tea', embedding: v(0) });
        await ms.memories.relate(name, { from: a!.id, to: b!.id, type: 'knows', weight: 0.5 });
        await ms.memories.delete(name, c!.id);
        await ms.memories.addContext(name, { content: 'a long document '.repeat(500), summary: 'doc', embedding: v(3) });
        await ms.memories.get(name, b!.id); // an access count to carry over
        await ms.registry.closeSpace(name); // access counts are saved on close
      }

      /** Export lines without what differs by name and time of the space record itself. */
      const body = (lines: ExportLine[]): ExportLine[] => lines.filter((l) => l.type !== 'space');

      it('restores everything exactly into a new name: memories, vectors, history, relations, contexts, audit chain', async () => {
        const ms = await open();
        await populated(ms, sp('source'));
        const exported = await exportLines(ms, sp('source'));
        expect(new Set(exported.map((l) => l.type))).toEqual(new Set(['space', 'memory', 'relation', 'context', 'history', 'audit']));
        const summary = await ms.transfer.importSpace(sp('copy'), asLines(exported));
        expect(summary.mode).toBe('restore');
        expect(summary.memories.imported).toBe(2);
        expect(summary.history.imported).toBe(5); // three creates, an update, a delete
        const copy = await exportLines(ms, sp('copy'));
        const importEntry = copy.at(-1)!;
        expect(importEntry).toMatchObject({ type: 'audit', action: 'import' });
        expect(body(copy).slice(0, -1)).toEqual(body(exported));
        expect(await ms.spaces.verifyAudit(sp('copy'))).toMatchObject({ ok: true });
        const space = await ms.spaces.get(sp('copy'));
        expect(space).toMatchObject({ retentionDays: 365, quotas: { maxMemories: 1000 } });
        const hits = await ms.search.run(sp('copy'), { embedding: v(1), mode: 'vector', limit: 1 });
        expect(hits.results[0]!.memory.content).toBe('Bob likes coffee');
      });

      it('merges into a space with data: existing ids skipped, chains left alone, twice changes nothing', async () => {
        const ms = await open();
        await populated(ms, sp('source'));
        const exported = await exportLines(ms, sp('source'));
        await ms.spaces.create({ name: sp('busy'), embedder: 'none', dimension: DIM });
        await ms.memories.add(sp('busy'), { content: 'already here', embedding: v(3) });
        const first = await ms.transfer.importSpace(sp('busy'), asLines(exported));
        expect(first).toMatchObject({ mode: 'merge', memories: { imported: 2, skipped: 0 }, relations: { imported: 1 }, contexts: { imported: 1 } });
        expect(first.audit.skipped).toBeGreaterThan(0);
        const second = await ms.transfer.importSpace(sp('busy'), asLines(exported));
        expect(second).toMatchObject({ memories: { imported: 0, skipped: 2 }, relations: { imported: 0, skipped: 1 }, contexts: { imported: 0, skipped: 1 } });
        expect(await ms.spaces.verifyAudit(sp('busy'))).toMatchObject({ ok: true });
      });

      it('rejects a malformed line, a forged audit chain, and vectors of the wrong length', async () => {
        const ms = await open();
        await populated(ms, sp('source'));
        const exported = await exportLines(ms, sp('source'));
        expect((await failure(ms.transfer.importSpace(sp('x1'), asLines(['{not json'])))).code).toBe('VALIDATION_FAILED');
        expect((await failure(ms.transfer.importSpace(sp('x2'), asLines([{ type: 'widget' }])))).code).toBe('VALIDATION_FAILED');
        const forged = exported.map((l) => (l.type === 'audit' && l.seq === 2 ? { ...l, prevHash: 'f'.repeat(64) } : l));
        expect((await failure(ms.transfer.importSpace(sp('x3'), asLines(forged)))).code).toBe('CONFLICT');
        const header = exported[0]!;
        const wrong = [header, { type: 'memory', id: '01900000-0000-7000-8000-000000000001', content: 'x', embedding: [1, 0] }];
        expect((await failure(ms.transfer.importSpace(sp('x4'), asLines(wrong)))).code).toBe('DIMENSION_MISMATCH');
      });
    });
  });
}
