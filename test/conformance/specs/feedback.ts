import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ADAPTIVE_CAP, FEEDBACK_FLOOR, feedbackSignal } from '../../../src/core/feedback.js';
import type { Principal } from '../../../src/engine/access-guard.js';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { asLines, atCosine, exportLines, failure, type Suite } from '../harness.js';

/**
 * Feedback that shapes ranking per space (core/feedback.ts): reinforcement that lifts, sinks
 * and decays; a narrative; bounded influence; the state's life as space data (export, import,
 * reset, retention, health); and that none of it reaches another space.
 */
export function feedbackSpec(suite: Suite): void {
  describe('feedback', () => {
    const DIM = 4;
    const DAY = 86_400_000;
    const START = Date.parse('2026-06-10T12:00:00Z');
    let clock = START;
    const open = (): Promise<MemspaceEngine> => suite.open({ now: () => clock });
    afterEach(() => {
      clock = START;
    });
    const newSpace = async (ms: MemspaceEngine, prefix: string, extra: Record<string, unknown> = {}): Promise<string> => {
      const space = suite.name(prefix);
      await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM, ...extra });
      return space;
    };
    const query = { embedding: [1, 0, 0, 0], mode: 'vector' as const, limit: 3 };
    const ids = (hits: { memory: { id: string } }[]): string[] => hits.map((h) => h.memory.id);
    /** Two memories close to the query: `first` a little closer than `second`. */
    const rivals = async (ms: MemspaceEngine, space: string) => {
      const [first, second] = await ms.memories.addMany(space, [
        { content: 'the closer one', embedding: atCosine(0.9) },
        { content: 'the runner-up', embedding: atCosine(0.85) },
      ]);
      return { first: first!, second: second! };
    };

    it('lift a helpful memory above a closer rival only for searches that weigh feedback, with the part shown', async () => {
      const ms = await open();
      const space = await newSpace(ms, 'fb-lift');
      const { first, second } = await rivals(ms, space);
      const result = await ms.feedback.record(space, { results: [{ id: second.id, signal: 'helpful' }] });
      expect(result).toMatchObject({ recorded: 1, pheromones: [{ id: second.id, level: 1 }] });

      const plain = (await ms.search.run(space, query)).results;
      expect(ids(plain)).toEqual([first.id, second.id]);
      expect(plain.every((h) => h.scores.feedback === undefined)).toBe(true);
      const weighed = (await ms.search.run(space, { ...query, rank: { feedback: 1 } })).results;
      expect(ids(weighed)).toEqual([second.id, first.id]);
      expect(weighed[0]!.scores.feedback).toBeCloseTo(feedbackSignal(1), 6);
      expect(weighed[0]!.score).toBeCloseTo(0.85 + ADAPTIVE_CAP * feedbackSignal(1), 5);
      expect(weighed[1]!.scores.feedback).toBe(0);
    });

    it('sink a wrong memory, and let the space set default weights that searches use unless they set their own', async () => {
      const ms = await open();
      const space = await newSpace(ms, 'fb-wrong', { feedback: { rank: { feedback: 0.8 } } });
      const { first, second } = await rivals(ms, space);
      await ms.feedback.record(space, { results: [{ id: first.id, signal: 'wrong' }] });
      const byDefault = (await ms.search.run(space, query)).results;
      expect(ids(byDefault)).toEqual([second.id, first.id]);
      expect(byDefault[1]!.scores.feedback).toBeCloseTo(-feedbackSignal(1), 6);
      const off = (await ms.search.run(space, { ...query, rank: { feedback: 0 } })).results;
      expect(ids(off)).toEqual([first.id, second.id]);
    });

    it('fade with the half-life: half after one, nothing once retention sweeps what fell under the floor', async () => {
      const ms = await open();
      const space = await newSpace(ms, 'fb-decay', { feedback: { halfLifeDays: 2 } });
      const { second } = await rivals(ms, space);
      await ms.feedback.record(space, { results: [{ id: second.id, signal: 'helpful' }], weight: 2 });
      const part = async (): Promise<number | undefined> => (await ms.search.run(space, { ...query, rank: { feedback: 1 } })).results.find((h) => h.memory.id === second.id)!.scores.feedback;
      expect(await part()).toBeCloseTo(feedbackSignal(2), 6);
      clock = START + 2 * DAY;
      expect(await part()).toBeCloseTo(feedbackSignal(1), 6);
      expect((await ms.health.spaceHealth(space)).feedback).toMatchObject({ reinforced: 1 });
      clock = START + 2 * DAY * Math.ceil(Math.log2(2 / FEEDBACK_FLOOR) + 1);
      expect(await part()).toBe(0);
      await ms.sweeper.sweepSpace(space);
      expect((await ms.health.spaceHealth(space)).feedback).toMatchObject({ reinforced: 0 });
      const audit = (await ms.spaces.audit(space, { action: 'feedback.expire' })).items;
      expect(audit).toHaveLength(1);
      expect(audit[0]!.details).toMatchObject({ pheromones: 1 });
    });

    it('bound what feedback can add: the most reinforced memory gains at most the cap', async () => {
      const ms = await open();
      const space = await newSpace(ms, 'fb-bound');
      const [exact, far] = await ms.memories.addMany(space, [
        { content: 'an exact match', embedding: [1, 0, 0, 0] },
        { content: 'a weak match', embedding: atCosine(0.5) },
      ]);
      for (let i = 0; i < 10; i++) await ms.feedback.record(space, { results: [{ id: far!.id, signal: 'helpful' }], weight: 10 });
      const hits = (await ms.search.run(space, { ...query, rank: { feedback: 1 } })).results;
      expect(ids(hits)).toEqual([exact!.id, far!.id]);
      expect(hits[1]!.score).toBeLessThanOrEqual(0.5 + ADAPTIVE_CAP + 1e-9);
      expect(hits[1]!.scores.feedback).toBeLessThan(1);
    });

    it('move the narrative with helpful memories, and lift what resembles it for searches that weigh it', async () => {
      const ms = await open();
      const space = await newSpace(ms, 'fb-narrative');
      const [topic, near, other] = await ms.memories.addMany(space, [
        { content: 'the topic', embedding: [0, 0, 1, 0] },
        { content: 'near the query, off topic', embedding: atCosine(0.8) },
        { content: 'on topic, a little farther', embedding: [0.7, 0, Math.sqrt(0.51), 0] },
      ]);
      const result = await ms.feedback.record(space, { results: [{ id: topic!.id, signal: 'helpful' }] });
      expect(result.narrative).toMatchObject({ updates: 1 });
      expect(ids((await ms.search.run(space, { ...query, limit: 2 })).results)).toEqual([near!.id, other!.id]);
      const hits = (await ms.search.run(space, { ...query, limit: 2, rank: { narrative: 1 } })).results;
      expect(ids(hits)).toEqual([other!.id, near!.id]);
      expect(hits[0]!.scores.narrative).toBeCloseTo(Math.sqrt(0.51), 5);
      expect((await ms.health.spaceHealth(space)).feedback).toMatchObject({ narrativeAgeSeconds: 0 });
    });

    it('refuse an id the space does not hold, changing nothing; take documents by id without one', async () => {
      const ms = await open();
      const space = await newSpace(ms, 'fb-missing');
      const { first } = await rivals(ms, space);
      const refused = await failure(ms.feedback.record(space, { results: [{ id: first.id, signal: 'helpful' }, { id: 'not-here', signal: 'helpful' }] }));
      expect(refused).toMatchObject({ code: 'NOT_FOUND', details: { id: 'not-here' } });
      expect((await ms.health.spaceHealth(space)).feedback).toMatchObject({ reinforced: 0, narrativeUpdatedAt: null });
      expect((await ms.spaces.audit(space, { action: 'feedback.record' })).items).toHaveLength(0);
      await ms.feedback.record(space, { results: [{ id: 'doc-7', kind: 'document', signal: 'used' }] });
      expect((await ms.health.spaceHealth(space)).feedback).toMatchObject({ reinforced: 1 });
      for (const bad of [{ results: [] }, { results: [{ id: first.id, signal: 'liked' }] }, { results: [{ id: first.id, signal: 'used' }], weight: 0 }, { results: [{ id: first.id, signal: 'used', text: 'x' }] }]) {
        expect((await failure(ms.feedback.record(space, bad))).code).toBe('VALIDATION_FAILED');
      }
      expect((await failure(ms.search.run(space, { ...query, rank: { feedback: 0.7, narrative: 0.7 } }))).code).toBe('VALIDATION_FAILED');
    });

    it('audit each call with counts and no content, and tell the change feed', async () => {
      const ms = await open();
      const space = await newSpace(ms, 'fb-audit');
      const { first, second } = await rivals(ms, space);
      await ms.feedback.record(space, { query: 'a secret query', results: [{ id: first.id, signal: 'helpful' }, { id: second.id, signal: 'wrong' }] });
      const [entry] = (await ms.spaces.audit(space, { action: 'feedback.record' })).items;
      expect(entry!.details).toMatchObject({ helpful: 1, wrong: 1, used: 0, results: 2 });
      expect(JSON.stringify(entry)).not.toContain('secret');
      const events = await ms.registry.use(space, ({ store }) => store.changes(0, 100));
      expect(events.map((e) => e.op)).toContain('feedback.recorded');
      expect(await ms.feedback.reset(space)).toEqual({ pheromones: 2, narrative: true });
      expect((await ms.registry.use(space, ({ store }) => store.changes(0, 100))).map((e) => e.op)).toContain('feedback.reset');
      expect((await ms.health.spaceHealth(space)).feedback).toMatchObject({ reinforced: 0, narrativeUpdatedAt: null });
      expect(ids((await ms.search.run(space, { ...query, rank: { feedback: 1 } })).results)).toEqual([first.id, second.id]);
    });

    it('travel with an export into a new space, which then ranks as the original did', async () => {
      const ms = await open();
      const space = await newSpace(ms, 'fb-export');
      const { second } = await rivals(ms, space);
      await ms.feedback.record(space, { results: [{ id: second.id, signal: 'helpful' }, { id: 'doc-1', kind: 'document', signal: 'wrong' }] });
      const lines = await exportLines(ms, space);
      expect(lines.filter((l) => l.type === 'pheromone')).toHaveLength(2);
      expect(lines.filter((l) => l.type === 'narrative')).toHaveLength(1);
      const copy = suite.name('fb-copy');
      const summary = await ms.transfer.importSpace(copy, asLines(lines.map((l) => (l.type === 'space' ? { ...l, name: copy } : l))));
      expect(summary).toMatchObject({ mode: 'restore', pheromones: { imported: 2 }, narrative: { imported: 1 } });
      const weigh = { ...query, rank: { feedback: 0.5, narrative: 0.5 } };
      const strip = (hits: { memory: { id: string }; score: number; scores: unknown }[]) => hits.map((h) => [h.memory.id, h.score, h.scores]);
      expect(strip((await ms.search.run(copy, weigh)).results)).toEqual(strip((await ms.search.run(space, weigh)).results));
    });

    it('go with the space: wiped when it is deleted, kept through archive and restore where the backend archives', async () => {
      const ms = await open();
      const space = await newSpace(ms, 'fb-life');
      const { second } = await rivals(ms, space);
      await ms.feedback.record(space, { results: [{ id: second.id, signal: 'helpful' }] });
      const weigh = { ...query, rank: { feedback: 1 } };
      const ranking = async () => (await ms.search.run(space, weigh)).results.map((h) => [h.memory.id, h.score, h.scores]);
      const before = await ranking();
      if (ms.backend.archiver !== undefined) {
        await ms.lifecycle.archive(space);
        await ms.lifecycle.restore(space);
        expect(await ranking()).toEqual(before);
        expect((await ms.health.spaceHealth(space)).feedback).toMatchObject({ reinforced: 1, narrativeUpdatedAt: expect.any(String) });
      }
      await ms.spaces.delete(space);
      await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
      // A memory made again under the same id in the new space inherits nothing.
      await ms.memories.add(space, { id: second.id, content: 'again', embedding: atCosine(0.85) });
      expect((await ms.health.spaceHealth(space)).feedback).toMatchObject({ reinforced: 0, narrativeUpdatedAt: null });
      expect((await ms.search.run(space, weigh)).results[0]!.scores.feedback).toBe(0);
    });

    it('never reach or move another space: its searches stay byte-identical and its ids are NOT_FOUND', async () => {
      const ms = await open();
      const alpha = await newSpace(ms, 'fb-alpha', { feedback: { rank: { feedback: 0.5, narrative: 0.5 } } });
      const beta = await newSpace(ms, 'fb-beta', { feedback: { rank: { feedback: 0.5, narrative: 0.5 } } });
      const a = await rivals(ms, alpha);
      const b = await rivals(ms, beta);
      const digest = async (): Promise<string> => createHash('sha256').update(JSON.stringify((await ms.search.run(alpha, query)).results)).digest('hex');
      const before = await digest();
      // An id of alpha given as beta's is not found in beta, and alpha is untouched.
      expect((await failure(ms.feedback.record(beta, { results: [{ id: a.second.id, signal: 'helpful' }] }))).code).toBe('NOT_FOUND');
      for (let i = 0; i < 3; i++) await ms.feedback.record(beta, { results: [{ id: b.second.id, signal: 'helpful' }, { id: a.first.id, kind: 'document', signal: 'wrong' }] });
      await ms.feedback.reset(beta);
      await ms.feedback.record(beta, { results: [{ id: b.second.id, signal: 'helpful' }] });
      expect(await digest()).toBe(before);
      expect((await ms.health.spaceHealth(alpha)).feedback).toMatchObject({ reinforced: 0, narrativeUpdatedAt: null });
      // A key of beta alone cannot give feedback to, reset or rerank with alpha: as if it did not exist.
      const call = { principal: { keyId: 'k-beta', name: 'k-beta', grants: [{ space: beta, role: 'admin' }], defaultSpace: null } as Principal };
      expect((await failure(ms.feedback.record(alpha, { results: [{ id: a.first.id, signal: 'helpful' }] }, call))).code).toBe('SPACE_NOT_FOUND');
      expect((await failure(ms.feedback.reset(alpha, call))).code).toBe('SPACE_NOT_FOUND');
      expect((await failure(ms.feedback.rerank(alpha, { query: 'q', documents: [{ id: 'd', text: 't' }] }, call))).code).toBe('SPACE_NOT_FOUND');
      expect(await digest()).toBe(before);
    });
  });

  describe('rerank', () => {
    it('order documents by similarity without state, and let reinforced ids and the narrative move them', async () => {
      const ms = await suite.open();
      const space = suite.name('rerank');
      await ms.spaces.create({ name: space });
      const documents = [
        { id: 'pasta', text: 'How to cook pasta al dente in salted water' },
        { id: 'tyres', text: 'Changing the winter tyres of a car' },
        { id: 'risotto', text: 'A creamy mushroom risotto recipe with parmesan' },
      ];
      const plain = await ms.feedback.rerank(space, { query: 'cooking pasta', documents });
      expect(plain.results[0]!.id).toBe('pasta');
      expect(plain.results.every((r) => r.scores.feedback === 0 && r.scores.narrative === 0)).toBe(true);
      expect(plain.weights).toEqual({ feedback: 0.5, narrative: 0.5 });
      expect((await ms.feedback.rerank(space, { query: 'cooking pasta', documents, limit: 1 })).results).toHaveLength(1);

      await ms.feedback.record(space, { results: [{ id: 'tyres', kind: 'document', signal: 'helpful', text: documents[1]!.text }], weight: 10 });
      await ms.feedback.record(space, { results: [{ id: 'pasta', kind: 'document', signal: 'wrong' }], weight: 10 });
      const learned = await ms.feedback.rerank(space, { query: 'cooking pasta', documents, rank: { feedback: 1 } });
      expect(learned.results.map((r) => r.id)).not.toEqual(plain.results.map((r) => r.id));
      const pasta = learned.results.find((r) => r.id === 'pasta')!;
      expect(pasta.scores.feedback).toBeLessThan(0);
      expect(pasta.score).toBeCloseTo(pasta.scores.similarity + ADAPTIVE_CAP * pasta.scores.feedback, 6);
      const tyres = learned.results.find((r) => r.id === 'tyres')!;
      expect(tyres.scores.narrative).toBeGreaterThan(0.5);
      expect((await failure(ms.feedback.rerank(space, { query: 'q', documents: [] }))).code).toBe('VALIDATION_FAILED');
      expect((await failure(ms.feedback.rerank(space, { query: 'q', documents: [{ id: 'x' }] }))).code).toBe('VALIDATION_FAILED');
    });
  });
}
