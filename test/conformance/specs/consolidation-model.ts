import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SUMMARY_MARKER, SUPERSESSION_MARKER } from '../../../src/core/consolidation-prompts.js';
import type { ExportLine, Memory } from '../../../src/core/views.js';
import type { MemspaceEngine } from '../../../src/memspace.js';
import { startFakeLlm, type ChatAnswer, type FakeLlm, type SeenChat } from '../../support/fake-llm.js';
import { axisVector } from '../../support/temp-memspace.js';
import { code, exportLines, type Suite } from '../harness.js';

const DAY = 86_400_000;

/** The pairs the stand-in calls updates (older text, newer text); every other pair is KEEP. */
const UPDATES = new Set(
  [
    ['Dana lives in Utrecht', 'Dana moved to Berlin'],
    ['Bea lives in Oslo', 'Bea moved to Rome'],
  ].map((p) => JSON.stringify(p)),
);

/** The pairs of a supersession request, as texts. */
function pairsOf(request: SeenChat): { pair: number; older: string; newer: string }[] {
  return (JSON.parse(request.user) as { pairs: { pair: number; older: string; newer: string }[] }).pairs;
}

/** The stand-in's answers when it works: decisions from {@link UPDATES}, and a summary made of the texts it got. */
function answerWell(request: SeenChat): string {
  if (request.system.startsWith(SUPERSESSION_MARKER)) {
    return JSON.stringify({ decisions: pairsOf(request).map((p) => ({ pair: p.pair, decision: UPDATES.has(JSON.stringify([p.older, p.newer])) ? 'UPDATE' : 'KEEP' })) });
  }
  if (request.system.startsWith(SUMMARY_MARKER)) {
    const { memories } = JSON.parse(request.user) as { memories: { at: string; text: string }[] };
    return JSON.stringify({ summary: `Summary of ${memories.length}: ${memories.map((m) => m.text).join(' / ')}` });
  }
  return 'unexpected prompt';
}

/** Memory and relation lines of an export: the state of a space without its history and audit (and access counts, which reads move). */
function state(lines: readonly ExportLine[]): string[] {
  return lines
    .filter((l) => l.type === 'memory' || l.type === 'relation')
    .map((l) => JSON.stringify({ ...l, accessCount: undefined, lastAccessedAt: undefined }))
    .sort();
}

/**
 * Consolidation with a chat model (a real HTTP stand-in on 127.0.0.1): supersession decided by
 * the model, summaries of old sessions, failures of the model, and what the model gets to see.
 */
export function consolidationModelSpec(suite: Suite): void {
  describe('consolidation with a chat model', () => {
    const DIM = 8;
    const v = (axis: number): number[] => axisVector(DIM, axis);
    let clock = Date.parse('2026-11-01T00:00:00Z');
    const now = (): number => (clock += 1000);
    let llm: FakeLlm;
    let answer: (request: SeenChat) => ChatAnswer = answerWell;
    let space: string;

    /** A memspace whose configured chat model is the stand-in. */
    const withModel = (timeoutMs = 5000): Promise<MemspaceEngine> => suite.open({ now, config: { llmBaseUrl: llm.url, llmModel: 'fake-model', llmTimeoutMs: timeoutMs } });
    const asked = (marker: string): SeenChat[] => llm.requests.filter((r) => r.system.startsWith(marker));

    beforeAll(async () => {
      llm = await startFakeLlm((request) => answer(request));
    });
    afterAll(async () => {
      await llm.close();
    });
    beforeEach(() => {
      answer = answerWell;
      llm.requests.length = 0;
      space = suite.name('cons-llm');
    });

    it('supersedes an older fact the model calls changed, within one scope only, says why in a dry run, and undoes it', async () => {
      const ms = await withModel();
      await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
      const old = await ms.memories.add(space, { content: 'Dana lives in Utrecht', userId: 'dana', embedding: v(1) });
      const tea = await ms.memories.add(space, { content: 'Dana likes green tea', userId: 'dana', embedding: v(1) });
      // Sam's memories share the vector: a pass that paired across scopes would ask about them.
      const samOld = await ms.memories.add(space, { content: 'Sam lives in Utrecht', userId: 'sam', embedding: v(1) });
      const next = await ms.memories.add(space, { content: 'Dana moved to Berlin', userId: 'dana', embedding: v(1) });
      const samNext = await ms.memories.add(space, { content: 'Dana moved to Berlin', userId: 'sam', embedding: v(1) });
      const before = state(await exportLines(ms, space));

      const dry = await ms.consolidation.run(space, { dryRun: true });
      expect(dry).toMatchObject({ dryRun: true, merged: 0, superseded: 1, summarized: 0, modelErrors: 0, modelPending: 0 });
      expect(dry.modelCalls).toBeGreaterThan(0);
      expect(dry.groups).toEqual([{ kind: 'superseded', keep: next.id, ids: [old.id], reason: expect.stringMatching(/^chat model fake-model: /) as unknown }]);
      expect(state(await exportLines(ms, space))).toEqual(before);
      const dana = new Set([old, tea, next].map((m) => m.content));
      const sam = new Set([samOld, samNext].map((m) => m.content));
      for (const request of asked(SUPERSESSION_MARKER)) {
        for (const p of pairsOf(request)) expect((dana.has(p.older) && dana.has(p.newer)) || (sam.has(p.older) && sam.has(p.newer)), JSON.stringify(p)).toBe(true);
      }
      expect(JSON.stringify(llm.requests)).not.toContain(old.id); // texts, never ids

      const calls = llm.requests.length;
      const run = await ms.consolidation.run(space, {});
      expect(run).toMatchObject({ superseded: 1, modelErrors: 0 });
      expect(run.modelCalls).toBe(0); // the dry run's decisions are remembered while the memories stay as they are
      expect(llm.requests).toHaveLength(calls);
      expect(await ms.memories.get(space, old.id)).toMatchObject({ supersededBy: next.id });
      for (const m of [tea, samOld, samNext, next]) expect((await ms.memories.get(space, m.id)).supersededBy).toBeNull();
      expect((await ms.memories.history(space, old.id)).at(-1)).toMatchObject({ action: 'supersede', newMetadata: { supersededBy: next.id, consolidationRun: run.runId } });
      const found = await ms.search.run(space, { embedding: v(1), mode: 'vector', limit: 10, userId: 'dana' });
      expect(found.results.map((r) => r.memory.id).sort()).toEqual([tea.id, next.id].sort());
      const audit = await ms.spaces.audit(space, { action: 'consolidation.run' });
      expect(audit.items.at(-1)!.details).toMatchObject({ runId: run.runId, superseded: 1, modelCalls: 0, modelErrors: 0 });

      expect(await ms.consolidation.undo(space, { runId: run.runId })).toEqual({ runId: run.runId, restored: 0, unsuperseded: 1 });
      expect(state(await exportLines(ms, space))).toEqual(before);
    });

    it('summarises an old session once, linked to its sources, which stay; undo takes the summary back', async () => {
      const ms = await withModel();
      await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM, consolidation: { summarizeAfterDays: 7 } });
      const texts = ['Flights to Lisbon booked for May 3', 'Hotel near Alfama, 4 nights', 'Budget is 1200 euros', 'Dana wants a day trip to Sintra'];
      const session: Memory[] = [];
      for (const [i, content] of texts.entries()) session.push(await ms.memories.add(space, { content, userId: 'dana', runId: 'trip-planning', embedding: v(i + 2) }));
      const short = await ms.memories.add(space, { content: 'Short chat one', userId: 'dana', runId: 'short-chat', embedding: v(6) });
      await ms.memories.add(space, { content: 'Short chat two', userId: 'dana', runId: 'short-chat', embedding: v(7) });
      await ms.memories.add(space, { content: 'No session at all', userId: 'dana', embedding: v(7) });
      clock += 10 * DAY;
      const recent = await ms.memories.add(space, { content: 'Recent trip note', userId: 'dana', runId: 'trip-planning', embedding: v(0) });

      const dry = await ms.consolidation.run(space, { dryRun: true });
      expect(dry).toMatchObject({ summarized: 1, superseded: 0 });
      expect(dry.groups).toEqual([{ kind: 'summary', keep: '', ids: session.map((m) => m.id), reason: expect.stringMatching(/^chat model fake-model: /) as unknown }]);
      expect(asked(SUMMARY_MARKER)).toHaveLength(0); // a dry run lists sessions without asking for their summaries

      const run = await ms.consolidation.run(space, {});
      expect(run).toMatchObject({ summarized: 1, modelErrors: 0 });
      const [prompt, ...more] = asked(SUMMARY_MARKER);
      expect(more).toHaveLength(0);
      for (const t of texts) expect(prompt!.user).toContain(t);
      for (const t of [recent.content, short.content, 'No session at all', 'dana', 'trip-planning']) expect(prompt!.user).not.toContain(t);

      const summaries = (await ms.memories.list(space, { kind: 'summary' })).items;
      expect(summaries).toHaveLength(1);
      const summary = summaries[0]!;
      expect(summary).toMatchObject({
        content: `Summary of 4: ${texts.join(' / ')}`,
        kind: 'summary',
        userId: 'dana',
        agentId: null,
        runId: 'trip-planning',
        metadata: { summarizes: 4, from: session[0]!.createdAt, to: session[3]!.createdAt },
      });
      const edges = await ms.memories.relations(space, summary.id, { direction: 'out' });
      expect(edges.map((e) => [e.type, e.to]).sort()).toEqual(session.map((m) => ['summarizes', m.id]).sort());
      for (const m of session) expect(await ms.memories.get(space, m.id)).toEqual(expect.objectContaining({ content: m.content, updatedAt: m.updatedAt, supersededBy: null }));
      expect((await ms.memories.history(space, summary.id))[0]).toMatchObject({ action: 'create', newMetadata: { summarizes: 4 } });

      const again = await ms.consolidation.run(space, {});
      expect(again.summarized).toBe(0);
      expect(asked(SUMMARY_MARKER)).toHaveLength(1);

      const undone = await ms.consolidation.undo(space, { runId: run.runId });
      expect(undone).toEqual({ runId: run.runId, restored: 0, unsuperseded: 0, summariesDeleted: 1 });
      await expect(ms.memories.get(space, summary.id)).rejects.toThrowError(code('NOT_FOUND'));
      expect(await ms.memories.relations(space, session[0]!.id)).toEqual([]);
      expect((await ms.memories.history(space, summary.id)).at(-1)).toMatchObject({ action: 'delete', newMetadata: { consolidationRun: run.runId } });
      for (const m of session) expect((await ms.memories.get(space, m.id)).content).toBe(m.content);
    });

    it('lets the request turn summaries on or off whatever the space says', async () => {
      const ms = await withModel();
      await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
      for (let i = 0; i < 3; i++) await ms.memories.add(space, { content: `Session note ${i}`, runId: 'r1', embedding: v(i + 1) });
      clock += 3 * DAY;
      expect((await ms.consolidation.run(space, {})).summarized).toBe(0); // the space summarises nothing
      expect((await ms.consolidation.run(space, { summarizeAfterDays: 5 })).summarized).toBe(0); // not old enough
      expect((await ms.consolidation.run(space, { summarize: false, summarizeAfterDays: 1 })).summarized).toBe(0);
      expect(asked(SUMMARY_MARKER)).toHaveLength(0);
      expect((await ms.consolidation.run(space, { summarize: true, summarizeAfterDays: 2 })).summarized).toBe(1);
    });

    for (const [name, reply] of [
      ['answers with prose', () => 'I think the second one is an update.'],
      ['answers JSON of the wrong shape', (r: SeenChat) => (r.system.startsWith(SUMMARY_MARKER) ? '{"summary": ""}' : '{"decisions": [{"pair": 0, "decision": "MAYBE"}]}')],
      ['fails with HTTP 500', () => 500],
      ['never finishes its answer', () => 'stall'],
    ] as [string, (r: SeenChat) => ChatAnswer][]) {
      it(`still runs the rule-based pass when the model ${name}, and decides nothing by it`, async () => {
        answer = reply;
        const ms = await withModel(300);
        await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM, consolidation: { summarizeAfterDays: 1 } });
        const old = await ms.memories.add(space, { content: 'Dana lives in Utrecht', userId: 'dana', embedding: v(1) });
        const next = await ms.memories.add(space, { content: 'Dana moved to Berlin', userId: 'dana', embedding: v(1) });
        const job = await ms.memories.add(space, { content: 'Dana works at Acme', userId: 'dana', metadata: { key: 'employer' }, embedding: v(2) });
        const newJob = await ms.memories.add(space, { content: 'Dana works at Initech', userId: 'dana', metadata: { key: 'employer' }, embedding: v(2) });
        // Four old sessions: more calls than a failing model gets before the pass stops asking.
        for (let s = 0; s < 4; s++) for (let i = 0; i < 3; i++) await ms.memories.add(space, { content: `Session ${s} note ${i}`, runId: `s${s}`, embedding: v(3 + i) });
        clock += 2 * DAY;
        const before = await ms.memories.list(space, { limit: 100, includeSuperseded: true });

        const report = await ms.consolidation.run(space, {});
        expect(report).toMatchObject({ superseded: 1, summarized: 0, modelCalls: 3, modelErrors: 3 });
        expect(report.modelPending).toBeGreaterThanOrEqual(2);
        expect(await ms.memories.get(space, job.id)).toMatchObject({ supersededBy: newJob.id }); // the rule's
        expect((await ms.memories.get(space, old.id)).supersededBy).toBeNull();
        expect((await ms.memories.get(space, next.id)).supersededBy).toBeNull();
        const after = await ms.memories.list(space, { limit: 100, includeSuperseded: true });
        expect(after.items.map((m) => m.id).sort()).toEqual(before.items.map((m) => m.id).sort());
        expect((await ms.spaces.audit(space, { action: 'consolidation.run' })).items.at(-1)!.details).toMatchObject({ modelCalls: 3, modelErrors: 3 });
      });
    }

    it('sends the model only texts of the space a pass runs on, and leaves another space as it was', async () => {
      const ms = await withModel();
      const other = suite.name('cons-llm-b');
      for (const s of [space, other]) await ms.spaces.create({ name: s, embedder: 'none', dimension: DIM, consolidation: { summarizeAfterDays: 1 } });
      await ms.memories.add(space, { content: 'Dana lives in Utrecht', userId: 'u', embedding: v(1) });
      await ms.memories.add(space, { content: 'Dana moved to Berlin', userId: 'u', embedding: v(1) });
      for (let i = 0; i < 3; i++) await ms.memories.add(space, { content: `Alpha session note ${i}`, runId: 'r', embedding: v(3 + i) });
      const otherTexts = ['Bea lives in Oslo', 'Bea moved to Rome', 'Beta session note 0', 'Beta session note 1', 'Beta session note 2'];
      await ms.memories.add(other, { content: otherTexts[0]!, userId: 'u', embedding: v(1) });
      await ms.memories.add(other, { content: otherTexts[1]!, userId: 'u', embedding: v(1) });
      for (let i = 0; i < 3; i++) await ms.memories.add(other, { content: otherTexts[2 + i]!, runId: 'r', embedding: v(3 + i) });
      clock += 2 * DAY;
      const otherBefore = JSON.stringify(await exportLines(ms, other));

      const report = await ms.consolidation.run(space, {});
      expect(report).toMatchObject({ superseded: 1, summarized: 1 });
      const sent = JSON.stringify(llm.requests);
      expect(sent).toContain('Alpha session note 0');
      for (const t of [...otherTexts, 'Bea', 'Beta']) expect(sent).not.toContain(t);
      expect(JSON.stringify(await exportLines(ms, other))).toBe(otherBefore);
    });

    it('without a chat model: refuses a request for summaries, and a space that asks for them gets none', async () => {
      const ms = await suite.open({ now });
      await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM, consolidation: { summarizeAfterDays: 1 } });
      for (let i = 0; i < 3; i++) await ms.memories.add(space, { content: `Session note ${i}`, runId: 'r', embedding: v(i + 1) });
      clock += 2 * DAY;
      await expect(ms.consolidation.run(space, { summarize: true })).rejects.toThrowError(code('VALIDATION_FAILED'));
      await expect(ms.consolidation.run(space, { summarizeAfterDays: 1 })).rejects.toThrowError(code('VALIDATION_FAILED'));
      const report = await ms.consolidation.run(space, {});
      expect(report).toMatchObject({ summarized: 0 });
      expect(report).not.toHaveProperty('modelCalls');
      expect((await ms.memories.list(space, { kind: 'summary' })).items).toEqual([]);
      expect(llm.requests).toHaveLength(0);
    });
  });
}
