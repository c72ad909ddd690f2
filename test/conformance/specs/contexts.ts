import { afterEach, describe, expect, it } from 'vitest';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import { failure, type Suite } from '../harness.js';

/** Contexts: large blobs stored compressed inside their space. */
export function contextsSpec(suite: Suite): void {
  describe('contexts', () => {
    const DIM = 4;
    const v = (axis: number): number[] => axisVector(DIM, axis);
    const clock = Date.parse('2026-06-01T00:00:00Z');
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
    });

    describe('contexts', () => {
      it('stores a large blob compressed, returns it whole, and keeps it inside its space', async () => {
        const ms = await open();
        await ms.spaces.create({ name: sp('a'), embedder: 'none', dimension: DIM });
        await ms.spaces.create({ name: sp('b'), embedder: 'none', dimension: DIM });
        const content = Array.from({ length: 2000 }, (_, i) => `turn ${i}: the user asked about invoices and the agent answered.`).join('\n');
        const added = await ms.memories.addContext(sp('a'), { content, summary: 'a long support chat', embedding: v(0), metadata: { source: 'chat' } });
        expect(added.content).toBeUndefined();
        expect(added.originalBytes).toBe(Buffer.byteLength(content));
        expect(added.storedBytes).toBeLessThan(added.originalBytes / 5);
        expect(added.compressionRatio).toBeGreaterThan(5);
        expect((await ms.memories.getContext(sp('a'), added.id)).content).toBe(content);
        await expect(ms.memories.getContext(sp('b'), added.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
        await expect(ms.memories.deleteContext(sp('b'), added.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
        await ms.memories.deleteContext(sp('a'), added.id);
        await expect(ms.memories.getContext(sp('a'), added.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
        expect((await ms.spaces.audit(sp('a'))).items.map((e) => e.action)).toEqual(['context.create', 'context.delete']);
      });

      it('rejects bad contexts', async () => {
        const ms = await open();
        await ms.spaces.create({ name: sp('a'), embedder: 'none', dimension: DIM });
        expect((await failure(ms.memories.addContext(sp('a'), { content: '' }))).code).toBe('VALIDATION_FAILED');
        expect((await failure(ms.memories.addContext(sp('a'), { content: 'x', embedding: [1, 2] }))).code).toBe('DIMENSION_MISMATCH');
        expect((await failure(ms.memories.addContext(sp('a'), { content: 'x' }))).code).toBe('VALIDATION_FAILED'); // no embedder, no vector
      });
    });
  });
}
