import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { axisVector } from '../../support/temp-memspace.js';
import { code, type Suite } from '../harness.js';

/** Memories: add, get, update with history, delete, batches, paging, expiry, access counts; the change feed. */
export function memoriesSpec(suite: Suite): void {
  describe('memories', () => {
    const DIM = 8;
    const v = (axis: number): number[] => axisVector(DIM, axis);
    let clock = Date.parse('2026-11-01T00:00:00Z');
    const shared = suite.shared({ now: () => clock });
    let ms: MemspaceEngine;
    let space: string;
    beforeAll(() => {
      ms = shared();
    });
    beforeEach(async () => {
      space = suite.name('t');
      await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
    });

    describe('memories', () => {
      it('adds, gets, updates with history, and deletes', async () => {
        const m = await ms.memories.add(space, { content: 'first', embedding: v(1), metadata: { a: 1 }, tags: ['x', 'x', 'y'], userId: 'u', kind: 'episode', importance: 0.9 });
        expect(m).toMatchObject({ content: 'first', metadata: { a: 1 }, tags: ['x', 'y'], userId: 'u', agentId: null, kind: 'episode', importance: 0.9 });
        expect(m.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(await ms.memories.get(space, m.id)).toMatchObject({ id: m.id, content: 'first' });
        clock += 1000;
        const u = await ms.memories.update(space, m.id, { content: 'second', embedding: v(2), metadata: { a: 2 } }, { actor: 'tester' });
        expect(u).toMatchObject({ content: 'second', metadata: { a: 2 }, createdAt: m.createdAt });
        expect(u.updatedAt > m.updatedAt).toBe(true);
        await ms.memories.delete(space, m.id, { actor: 'tester' });
        await expect(ms.memories.get(space, m.id)).rejects.toThrowError(code('NOT_FOUND'));
        await expect(ms.memories.delete(space, m.id)).rejects.toThrowError(code('NOT_FOUND'));
        const history = await ms.memories.history(space, m.id);
        expect(history.map((h) => [h.action, h.oldContent, h.newContent, h.actor])).toEqual([
          ['create', null, 'first', null],
          ['update', 'first', 'second', 'tester'],
          ['delete', 'second', null, 'tester'],
        ]);
        expect(history[1]).toMatchObject({ oldMetadata: { a: 1 }, newMetadata: { a: 2 } });
      });

      it('moves the vector when content changes, so search follows the update', async () => {
        const m = await ms.memories.add(space, { content: 'alpha', embedding: v(1) });
        await ms.memories.add(space, { content: 'beta', embedding: v(5) });
        await ms.memories.update(space, m.id, { content: 'gamma', embedding: v(3) });
        const { results } = await ms.search.run(space, { embedding: v(3), mode: 'vector', limit: 1 });
        expect(results[0]!.memory.content).toBe('gamma');
      });

      it('lands a batch whole or not at all', async () => {
        const ok = await ms.memories.addMany(space, [
          { content: 'one', embedding: v(1) },
          { content: 'two', embedding: v(2), id: 'my-id-2' },
        ]);
        expect(ok.map((m) => m.content)).toEqual(['one', 'two']);
        expect(ok[1]!.id).toBe('my-id-2');
        const before = (await ms.memories.list(space)).items.length;
        await expect(ms.memories.addMany(space, [{ content: 'three', embedding: v(3) }, { content: 'dup', id: 'my-id-2', embedding: v(1) }])).rejects.toThrowError(code('CONFLICT'));
        await expect(ms.memories.addMany(space, [{ content: 'four', embedding: v(3) }, { content: 'short', embedding: [1, 2] }])).rejects.toThrowError(code('DIMENSION_MISMATCH'));
        await expect(ms.memories.addMany(space, [{ content: 'five', embedding: v(3) }, { content: '' }])).rejects.toThrowError(code('VALIDATION_FAILED'));
        await expect(ms.memories.addMany(space, [{ content: 'six', id: 'same', embedding: v(3) }, { content: 'seven', id: 'same', embedding: v(3) }])).rejects.toThrowError(code('CONFLICT'));
        expect((await ms.memories.list(space)).items.length).toBe(before);
      });

      it('commits concurrent adds together, yet fails only the caller whose add conflicts', async () => {
        await ms.memories.add(space, { id: 'taken', content: 'first', embedding: v(1) });
        const outcomes = await Promise.allSettled(
          Array.from({ length: 30 }, (_, i) =>
            i === 7 ? ms.memories.add(space, { id: 'taken', content: 'again', embedding: v(1) }) : ms.memories.add(space, { id: `c${i}`, content: `c${i}`, embedding: v(i) }),
          ),
        );
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(29);
        expect((outcomes[7] as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT' });
        expect((await ms.spaces.get(space)).stats.memories).toBe(30);
        expect((await ms.memories.get(space, 'taken')).content).toBe('first');
        // Each caller's add has its own history and audit entry, as if committed alone.
        expect((await ms.spaces.audit(space, { action: 'memory.create', limit: 100 })).items).toHaveLength(30);
      });

      it('rejects bad input with stable codes and writes nothing', async () => {
        const bad: [unknown, string][] = [
          [{ content: 'x' }, 'VALIDATION_FAILED'], // no embedder in this space and no vector
          [{ content: 'x', embedding: v(1), importance: 2 }, 'VALIDATION_FAILED'],
          [{ content: 'x', embedding: v(1), metdata: {} }, 'VALIDATION_FAILED'], // typo: unknown field
          [{ content: 'x', embedding: v(1), id: '../etc' }, 'VALIDATION_FAILED'],
          [{ content: 'x', embedding: v(1), expiresAt: 'tomorrow' }, 'VALIDATION_FAILED'],
          [{ content: 'x', embedding: [...v(1), 0] }, 'DIMENSION_MISMATCH'],
          [{ content: 'x', embedding: v(1).map(() => Number.NaN) }, 'VALIDATION_FAILED'],
          [{ content: 'x'.repeat(200_001), embedding: v(1) }, 'PAYLOAD_TOO_LARGE'],
          [{ content: 'x', embedding: v(1), metadata: { big: 'y'.repeat(70_000) } }, 'PAYLOAD_TOO_LARGE'],
          ['just a string', 'VALIDATION_FAILED'],
          [null, 'VALIDATION_FAILED'],
        ];
        for (const [input, expected] of bad) {
          await expect(ms.memories.add(space, input), JSON.stringify(input).slice(0, 60)).rejects.toThrowError(code(expected));
        }
        expect((await ms.spaces.get(space)).stats.memories).toBe(0);
        await expect(ms.memories.update(space, 'missing', { content: 'x', embedding: v(1) })).rejects.toThrowError(code('NOT_FOUND'));
        const m = await ms.memories.add(space, { content: 'x', embedding: v(1) });
        await expect(ms.memories.update(space, m.id, {})).rejects.toThrowError(code('VALIDATION_FAILED'));
        await expect(ms.memories.update(space, m.id, { content: 'changed' })).rejects.toThrowError(code('VALIDATION_FAILED'));
        expect((await ms.memories.get(space, m.id)).content).toBe('x');
      });

      it('refuses JSON a later walk could not afford, and strings it would have to change; keeps what it accepts exactly', async () => {
        const nested = (levels: number): Record<string, unknown> => {
          const root: Record<string, unknown> = {};
          let node = root;
          for (let i = 1; i < levels; i++) node = (node['x'] = {}) as Record<string, unknown>;
          return root;
        };
        const refused: [unknown, Record<string, unknown>][] = [
          [{ content: 'x', embedding: v(1), metadata: nested(2_000) }, { limit: 64, unit: 'levels' }],
          [{ content: 'x', embedding: v(1), metadata: nested(17) }, { limit: 16, unit: 'levels' }],
          [{ content: 'x', embedding: v(1), metadata: Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, i])) }, { limit: 256, unit: 'keys' }],
          [{ content: 'lone \ud800 surrogate', embedding: v(1) }, { issues: [{ path: 'content', message: expect.stringContaining('lone surrogate') }] }],
          [{ content: 'x', embedding: v(1), metadata: { note: 'half \udc00' } }, { issues: [{ path: 'metadata.note', message: expect.stringContaining('lone surrogate') }] }],
          [{ content: 'x', embedding: v(1), metadata: { 'key \ud83d': 1 } }, {}],
          [{ content: 'x', embedding: v(1), tags: ['\udfff'] }, {}],
          [{ content: 'x', embedding: v(1), metadata: { n: Number.POSITIVE_INFINITY } }, { issues: [{ path: 'metadata.n', message: 'not a finite number' }] }],
        ];
        for (const [input, details] of refused) {
          const error = await ms.memories.add(space, input).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error, JSON.stringify(input).slice(0, 60)).toMatchObject({ code: 'VALIDATION_FAILED', details });
        }
        expect((await ms.spaces.get(space)).stats.memories).toBe(0);
        // At the limits, and characters outside the BMP (well-formed surrogate pairs), kept as given.
        const content = 'emoji 😀 and 𝄞, accents é';
        const metadata = { ...nested(16), wide: Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`k${i}`, '𝄞'])) };
        const kept = await ms.memories.add(space, { content, embedding: v(1), metadata });
        expect(await ms.memories.get(space, kept.id)).toMatchObject({ content, metadata });
      });

      it('pages through every memory exactly once in both orders', async () => {
        const added = await ms.memories.addMany(space, Array.from({ length: 25 }, (_, i) => ({ content: `m${i}`, embedding: v(i) })));
        for (const order of ['asc', 'desc'] as const) {
          const seen: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await ms.memories.list(space, { limit: 7, order, ...(cursor && { cursor }) });
            seen.push(...page.items.map((m) => m.content));
            cursor = page.nextCursor ?? undefined;
          } while (cursor);
          const expected = added.map((m) => m.content);
          expect(seen).toEqual(order === 'asc' ? expected : expected.reverse());
        }
        await expect(ms.memories.list(space, { cursor: 'garbage!' })).rejects.toThrowError(code('VALIDATION_FAILED'));
        await expect(ms.memories.list(space, { limit: 0 })).rejects.toThrowError(code('VALIDATION_FAILED'));
      });

      it('hides expired memories and keeps the rest', async () => {
        const soon = await ms.memories.add(space, { content: 'soon', embedding: v(1), expiresAt: new Date(clock + 60_000).toISOString() });
        await ms.memories.add(space, { content: 'forever', embedding: v(1) });
        clock += 120_000;
        await expect(ms.memories.get(space, soon.id)).rejects.toThrowError(code('NOT_FOUND'));
        expect((await ms.memories.list(space)).items.map((m) => m.content)).toEqual(['forever']);
        expect((await ms.search.run(space, { embedding: v(1), mode: 'vector' })).results.map((r) => r.memory.content)).toEqual(['forever']);
        for (const filter of [undefined, { kind: 'fact' }]) {
          const keyword = await ms.search.run(space, { query: 'soon forever', mode: 'keyword', ...(filter && { filter }) });
          expect(keyword.results.map((r) => r.memory.content)).toEqual(['forever']);
          const filtered = await ms.search.run(space, { embedding: v(1), mode: 'vector', ...(filter && { filter }) });
          expect(filtered.results.map((r) => r.memory.content)).toEqual(['forever']);
        }
      });

      it('deletes every match of a filter, beyond any page size, and counts exactly', async () => {
        const total = 12_000;
        for (let start = 0; start < total; start += 4000) {
          await ms.memories.addMany(
            space,
            Array.from({ length: 4000 }, (_, i) => ({ content: `bulk ${start + i}`, embedding: v(i), userId: (start + i) % 3 === 0 ? 'gone' : 'kept' })),
          );
        }
        const { deleted } = await ms.memories.deleteMatching(space, { userId: 'gone' });
        expect(deleted).toBe(total / 3);
        expect((await ms.spaces.get(space)).stats.memories).toBe(total - total / 3);
        expect((await ms.memories.list(space, { userId: 'gone' })).items).toEqual([]);
        expect((await ms.memories.deleteMatching(space, { userId: 'gone' })).deleted).toBe(0);
        await expect(ms.memories.deleteMatching(space, { userId: { like: 'x' } })).rejects.toThrowError(code('VALIDATION_FAILED'));
      });

      it('counts accesses without a write per read', async () => {
        const m = await ms.memories.add(space, { content: 'read me', embedding: v(1) });
        await ms.memories.get(space, m.id);
        await ms.search.run(space, { embedding: v(1), mode: 'vector' });
        await ms.memories.add(space, { content: 'a later write flushes the counts', embedding: v(2) });
        expect((await ms.memories.get(space, m.id)).accessCount).toBe(2);
      });
    });

    describe('change feed', () => {
      it('appends one event per mutation, in order, with increasing sequence numbers', async () => {
        const [a, b] = await ms.memories.addMany(space, [
          { content: 'a', embedding: v(1) },
          { content: 'b', embedding: v(2) },
        ]);
        const rel = await ms.memories.relate(space, { from: a!.id, to: b!.id, type: 'next' });
        await ms.memories.update(space, a!.id, { importance: 0.9 });
        await ms.memories.delete(space, b!.id); // takes its relation with it
        const events = await ms.registry.use(space, ({ store }) => store.changes(0, 100));
        expect(events.map((e) => [e.op, e.id])).toEqual([
          ['memory.created', a!.id],
          ['memory.created', b!.id],
          ['relation.created', rel.id],
          ['memory.updated', a!.id],
          ['relation.deleted', rel.id],
          ['memory.deleted', b!.id],
        ]);
        expect(events.every((e, i) => i === 0 || e.seq > events[i - 1]!.seq)).toBe(true);
        const after = await ms.registry.use(space, ({ store }) => store.changes(events[2]!.seq, 100));
        expect(after.map((e) => e.op)).toEqual(['memory.updated', 'relation.deleted', 'memory.deleted']);
        // Another space's feed is its own: its one write, none of this space's.
        const other = `${space}-other`;
        await ms.spaces.create({ name: other, embedder: 'none', dimension: DIM });
        const elsewhere = await ms.memories.add(other, { content: 'in the other space', embedding: v(1) });
        expect((await ms.registry.use(other, ({ store }) => store.changes(0, 100))).map((e) => [e.op, e.id])).toEqual([['memory.created', elsewhere.id]]);
        expect(await ms.registry.use(space, ({ store }) => store.changes(0, 100))).toEqual(events);
      });
    });
  });
}
