/**
 * Consolidation passes over one space (issue 19): near-verbatim duplicates of one scope merged,
 * older statements of a fact superseded by newer ones, in bounded batches, each its own
 * transaction; and the undo of a pass. The rules are core/consolidation.ts's; what a batch
 * writes and keeps for its undo is the store's (`SpaceStore.consolidate`).
 */
import { setImmediate } from 'node:timers/promises';
import { duplicateGroup, factKeyOf, scopeOf, supersessions, type ConsolidationThresholds } from '../core/consolidation.js';
import { MemspaceError } from '../core/errors.js';
import { uuidv7 } from '../core/ids.js';
import type { ChatModel } from '../core/ports/chat-model.js';
import type { ConsolidationBatch, SpaceStore } from '../core/ports/space-store.js';
import { ConsolidateRequestSchema, ConsolidationUndoSchema } from '../core/schemas.js';
import type { MemoryRecord } from '../core/types.js';
import { spaceKey } from '../core/space-name.js';
import { parseWith } from '../core/validate.js';
import type { ConsolidationReport, ConsolidationUndoResult } from '../core/views.js';
import type { CallContext } from './access-guard.js';
import { ConsolidationModel, summaryAge, type ModelPass, type ModelSupersession } from './consolidation-model.js';
import { notExpiredAt } from './memory-filters.js';
import { ConsolidationMeter } from './consolidation-meter.js';
import type { SpaceEmbeddings } from './space-embeddings.js';
import type { SpaceGate } from './space-gate.js';

/** Memories read per page of the pass. */
const PAGE = 200;
/** Vector neighbours of its scope looked at per memory: near-verbatim repeats of one fact are few. */
const NEIGHBOURS = 16;
/** Nearest vectors read per memory, of any scope, to find its {@link NEIGHBOURS} (a fact several users state crowds them). */
const CANDIDATES = 4 * NEIGHBOURS;
/** Merges (or supersessions) per transaction: a write waiting behind a pass waits for one batch at most. */
const BATCH = 50;
/** Longest stretch of a pass's work between two turns of the event loop for other requests, in ms. */
const TURN_MS = 10;
/** How long after its last batch a pass that never completed counts as interrupted (a batch takes far less). */
const INTERRUPTED_AFTER_MS = 5 * 60_000;
/** Summaries per transaction (each a memory and up to 50 edges). */
const SUMMARY_BATCH = 10;

export type { ConsolidationGroup, ConsolidationReport, ConsolidationUndoResult } from '../core/views.js';

/** Runs consolidation passes and their undo, as the space's admin. */
export class ConsolidationService {
  /** Spaces (by {@link spaceKey}) with a pass running in this process. */
  private readonly running = new Set<string>();
  /** Tells of each completed pass (the server's metrics listen). */
  readonly meter = new ConsolidationMeter();

  /** The chat model's part of a pass (supersession by meaning, summaries), when one is configured. */
  private readonly model: ConsolidationModel | undefined;

  /** `chat`: the configured chat model, if any; `embeddings` give the summaries it writes their vectors. */
  constructor(
    private readonly gate: SpaceGate,
    models: { chat?: ChatModel | undefined; embeddings?: SpaceEmbeddings | undefined } = {},
  ) {
    this.model = models.chat === undefined ? undefined : new ConsolidationModel(models.chat, models.embeddings);
  }

  /**
   * One pass over `space`: reads its memories in pages, oldest first; for each, its vector
   * neighbours in the same scope (cosine ≥ `minCosine`) are checked by the duplicate rule and
   * merged into the oldest; then memories naming the same fact (`metadata.key` or `subject`) are
   * superseded by the newest of their scope. Writes every {@link BATCH} merges as one
   * transaction; the last batch carries the pass's `consolidation.run` audit entry with counts.
   */
  async run(space: string, input: unknown = {}, call: CallContext = {}): Promise<ConsolidationReport> {
    const req = parseWith(ConsolidateRequestSchema, input, 'consolidation request');
    return this.gate.use(space, 'admin', call, async ({ record, store }) => this.exclusively(record.name, async () => {
      if (!req.dryRun) await this.closeInterrupted(store, call);
      // The request's thresholds, else the space's settings (whose defaults are the measured ones).
      const thresholds: ConsolidationThresholds = { minCosine: req.minCosine ?? record.consolidation.minCosine, minOverlap: req.minOverlap ?? record.consolidation.minOverlap };
      const now = this.gate.now();
      const runId = uuidv7(now);
      const report: ConsolidationReport = { runId, dryRun: req.dryRun, examined: 0, merged: 0, superseded: 0, summarized: 0, skipped: 0, ...(req.dryRun && { groups: [] }) };
      // With a chat model: supersession by meaning among vector neighbours, and summaries of old sessions.
      const summarizeAfterDays = summaryAge(req, record.consolidation.summarizeAfterDays, this.model !== undefined); // refuses summaries without a model
      const modelPass = this.model?.pass(record, store, { now, dryRun: req.dryRun, summarizeAfterDays });
      const merges: ConsolidationBatch['merges'] = [];
      const facts: MemoryRecord[] = [];
      const consumed = new Set<string>();
      const mergedAway = new Set<string>();
      let batchNo = 0;
      const pacer = new Pacer();
      const write = async (batch: Omit<ConsolidationBatch, 'runId' | 'batch'>): Promise<void> => {
        if (req.dryRun) return;
        const done = await store.consolidate({ runId, batch: batchNo++, ...batch }, this.gate.writeContext(call, this.gate.now()));
        await pacer.turn();
        report.merged += done.merged;
        report.superseded += done.superseded;
        report.summarized += done.summarized;
        report.skipped += done.skipped;
      };
      let cursor: string | undefined;
      do {
        const page = await store.listMemories({ filter: notExpiredAt(now), limit: PAGE, cursor, order: 'asc' });
        for (const m of page.items) {
          await pacer.turn();
          report.examined += 1;
          modelPass?.note(m);
          if (factKeyOf(m) !== undefined) facts.push({ ...m, embedding: new Float32Array(0) });
          if (consumed.has(m.id)) continue;
          const group = await this.duplicatesOf(store, m, consumed, thresholds, now, modelPass);
          if (group === undefined) continue;
          for (const g of [group.survivor, ...group.merged]) consumed.add(g.id);
          for (const g of group.merged) mergedAway.add(g.id);
          merges.push(group);
          if (req.dryRun) {
            report.merged += group.merged.length;
            report.groups!.push({ kind: 'duplicate', keep: group.survivor.id, ids: group.merged.map((x) => x.id), reason: 'same statement (normalised words, numbers, negation and names agree)' });
          }
          if (merges.length >= BATCH) await write({ merges: merges.splice(0), supersessions: [] });
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      // Supersession over what the merges leave: a memory merged away supersedes nothing.
      const pairs = supersessions(facts.filter((f) => !mergedAway.has(f.id)));
      // The chat model's, among vector neighbours the rule left alone (the rule's win).
      const byModel = modelPass === undefined ? [] : await modelPass.supersessions(mergedAway, new Set(pairs.map(([older]) => older)));
      if (req.dryRun) return this.dryRunReport(report, pairs, byModel, mergedAway, modelPass);
      const chunks = chunked([...pairs.map(([id, by]) => ({ id, by })), ...byModel], BATCH);
      // The merges left over go with the first supersessions.
      const first = chunks.shift() ?? [];
      if (merges.length > 0 || first.length > 0) await write({ merges: merges.splice(0), supersessions: first });
      for (const chunk of chunks) await write({ merges: [], supersessions: chunk });
      // Summaries last: each waits for the model, and none holds a transaction while it does.
      for (const summaries of chunked(modelPass === undefined ? [] : await modelPass.made(mergedAway), SUMMARY_BATCH)) await write({ merges: [], supersessions: [], summaries });
      Object.assign(report, modelPass?.figures());
      await this.finish(store, { runId, batch: batchNo, startedAt: now, report, thresholds, model: modelPass?.figures() }, record.name, call);
      return report;
    }));
  }

  /**
   * The last (empty) batch of a pass: its one audit entry with its totals, and the record of the
   * completed pass (health's consolidation figures); then the meter hears of it.
   */
  private async finish(
    store: SpaceStore,
    pass: { runId: string; batch: number; startedAt: number; report: ConsolidationReport; thresholds: ConsolidationThresholds; model: object | undefined },
    space: string,
    call: CallContext,
  ): Promise<void> {
    const { runId, batch, startedAt, report, thresholds } = pass;
    const { examined, merged, superseded, summarized, skipped } = report;
    const details = { runId, examined, merged, superseded, summarized, skipped, batches: batch, minCosine: thresholds.minCosine, minOverlap: thresholds.minOverlap, ...pass.model };
    const audit = { action: 'consolidation.run' as const, ids: [runId], details };
    await store.consolidate({ runId, batch, merges: [], supersessions: [], audit, pass: { startedAt, examined, merged, superseded } }, this.gate.writeContext(call, this.gate.now()));
    this.meter.passed({ space, merged, superseded, durationMs: this.gate.now() - startedAt });
  }

  /**
   * Completes the record of passes killed half-way: what their batches did is in the space, with
   * history, and undoable, but they wrote no audit entry and no record of a pass. Each gets its
   * `consolidation.run` entry, marked `interrupted`, with what its batches did (nothing counted
   * as merged or superseded when it was undone since). A run whose last batch is younger than
   * {@link INTERRUPTED_AFTER_MS} may be running in another process still, and waits.
   */
  private async closeInterrupted(store: SpaceStore, call: CallContext): Promise<void> {
    const now = this.gate.now();
    for (const run of await store.unfinishedConsolidationRuns()) {
      if (now - run.lastAt < INTERRUPTED_AFTER_MS) continue;
      const { runId, merged, superseded, summarized, batches, undone } = run;
      const details = { runId, interrupted: true, merged, superseded, summarized, batches, undone };
      const pass = { startedAt: run.startedAt, examined: 0, merged: undone ? 0 : merged, superseded: undone ? 0 : superseded };
      await store.consolidate({ runId, batch: batches, merges: [], supersessions: [], audit: { action: 'consolidation.run', ids: [runId], details }, pass }, this.gate.writeContext(call, now));
    }
  }

  /** When the last completed pass over `space` ended (what the schedule counts from); null when none did. */
  async lastPassAt(space: string): Promise<number | null> {
    return this.gate.open(space, async ({ store }) => (await store.consolidationStats(this.gate.now())).lastRunAt);
  }

  /**
   * Runs `pass` unless a pass over `space` is running in this process already (`CONFLICT`): two
   * passes over one space would read each other's half-written work and only skip batches.
   */
  private async exclusively<T>(space: string, pass: () => Promise<T>): Promise<T> {
    const key = spaceKey(space);
    if (this.running.has(key)) throw new MemspaceError('CONFLICT', `a consolidation pass over space "${space}" is running already`, { space });
    this.running.add(key);
    try {
      return await pass();
    } finally {
      this.running.delete(key);
    }
  }

  /** Undoes what run `runId` of `space` merged and superseded. `NOT_FOUND` for a run the space never had. */
  async undo(space: string, input: unknown, call: CallContext = {}): Promise<ConsolidationUndoResult> {
    const { runId } = parseWith(ConsolidationUndoSchema, input, 'consolidation undo');
    return this.gate.use(space, 'admin', call, async ({ store }) => {
      const done = await store.undoConsolidation(runId, this.gate.writeContext(call, this.gate.now()));
      return { runId, ...done };
    });
  }

  /**
   * The report of a dry run once the space is read: the supersessions the rule and the model
   * would make, and the sessions that would be summarised (the model is not asked for their
   * summaries), with the model's figures.
   */
  private async dryRunReport(report: ConsolidationReport, pairs: readonly [string, string][], byModel: readonly ModelSupersession[], mergedAway: ReadonlySet<string>, modelPass: ModelPass | undefined): Promise<ConsolidationReport> {
    report.superseded = pairs.length + byModel.length;
    for (const [older, newer] of pairs) report.groups!.push({ kind: 'superseded', keep: newer, ids: [older], reason: 'newer memory of the same scope and metadata key or subject' });
    if (modelPass === undefined) return report;
    const reason = `chat model ${modelPass.name}: the newer memory states a changed value of the same fact`;
    for (const s of byModel) report.groups!.push({ kind: 'superseded', keep: s.by, ids: [s.id], reason });
    const sessions = await modelPass.summaries(mergedAway);
    report.summarized = sessions.length;
    for (const p of sessions) report.groups!.push({ kind: 'summary', keep: '', ids: p.sources, reason: `chat model ${modelPass.name}: one summary of a session older than ${modelPass.summarizeAfterDays} days` });
    return Object.assign(report, modelPass.figures());
  }

  /**
   * The duplicates of `m` among its vector neighbours in its scope that no group of this pass
   * took yet; the neighbours go to the model's part of the pass too (candidates for supersession).
   */
  private async duplicatesOf(
    store: SpaceStore,
    m: MemoryRecord,
    consumed: ReadonlySet<string>,
    thresholds: ConsolidationThresholds,
    now: number,
    modelPass: ModelPass | undefined,
  ): Promise<ReturnType<typeof duplicateGroup>> {
    // Searched without a scope filter, which would read every memory of the scope for each
    // memory of the pass, then kept to the scope: repeats of a statement are its nearest vectors.
    const hits = (await store.vectorSearch(m.embedding, undefined, CANDIDATES, now)).filter((h) => h.score >= thresholds.minCosine && h.id !== m.id);
    if (hits.length === 0) return undefined;
    // Rows without their vectors to choose; the few members of a group are read whole after.
    const scope = scopeOf(m);
    const near = (await store.getMemories(hits.map((h) => h.id), { embeddings: false })).filter((n) => scopeOf(n) === scope);
    const inScope = new Set(near.map((n) => n.id));
    modelPass?.neighbours(m, hits.filter((h) => inScope.has(h.id)).slice(0, NEIGHBOURS));
    const group = duplicateGroup(m, near.filter((n) => !consumed.has(n.id)), thresholds);
    if (group === undefined) return undefined;
    const whole = new Map([m, ...(await store.getMemories([group.survivor, ...group.merged].map((g) => g.id).filter((id) => id !== m.id)))].map((r) => [r.id, r]));
    const read = (r: MemoryRecord): MemoryRecord | undefined => whole.get(r.id);
    const [survivor, merged] = [read(group.survivor), group.merged.map(read)];
    // A member deleted between the two reads: the group waits for a later pass.
    return survivor === undefined || merged.includes(undefined) ? undefined : { survivor, merged: merged as MemoryRecord[] };
  }
}

/** `items` in consecutive slices of at most `size`. */
function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Lets requests waiting on the event loop go first every {@link TURN_MS} of a pass's work: a
 * store may answer without ever leaving the event loop (SQLite), and a pass must not stall the
 * server's other requests for longer than a batch.
 */
class Pacer {
  private last = performance.now();

  async turn(): Promise<void> {
    if (performance.now() - this.last < TURN_MS) return;
    await setImmediate();
    this.last = performance.now();
  }
}
