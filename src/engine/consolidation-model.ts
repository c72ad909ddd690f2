/**
 * The part of a consolidation pass that asks the configured chat model (issue 19): whether a
 * newer memory states a changed value of the same fact as an older vector neighbour of its
 * scope (supersession beyond the metadata-key rule), and a summary of each session (memories of
 * one `runId`) older than some days. What is asked and how answers are read is
 * core/consolidation-prompts.ts; the pass that writes is engine/consolidation-service.ts.
 *
 * Bounded and conservative: a pass makes at most {@link MAX_PAIR_CALLS} supersession calls and
 * {@link MAX_SUMMARIES} summary calls, stops asking after {@link MAX_FAILURES_IN_A_ROW} failed
 * calls in a row, and counts what it left for a later pass. A call that fails, or an answer it
 * cannot read, decides nothing: no supersession, no summary. The model only ever sees texts of
 * one scope of the space the pass runs on.
 */
import { olderFirst, scopeOf, SUMMARIZES, SUMMARY_KIND } from '../core/consolidation.js';
import {
  PAIRS_PER_CALL,
  parseSummaryAnswer,
  parseSupersessionAnswer,
  summaryMessages,
  supersessionMessages,
  type PairDecision,
} from '../core/consolidation-prompts.js';
import { MemspaceError } from '../core/errors.js';
import { uuidv7 } from '../core/ids.js';
import type { ChatMessage, ChatModel } from '../core/ports/chat-model.js';
import type { ConsolidationBatch, SpaceStore } from '../core/ports/space-store.js';
import { normalize } from '../core/ranking.js';
import type { ConsolidateRequest } from '../core/schemas.js';
import type { MemoryRecord, ScoredId, SpaceRecord } from '../core/types.js';
import type { SpaceEmbeddings } from './space-embeddings.js';

/** Older vector neighbours of a memory whose pairs with it the model may judge. */
const MODEL_NEIGHBOURS = 4;
/** Supersession calls per pass ({@link PAIRS_PER_CALL} pairs each). */
const MAX_PAIR_CALLS = 20;
/** Candidate pairs a pass keeps while it reads the space: the newest ones, the rest counted pending. */
const MAX_PAIRS_KEPT = PAIRS_PER_CALL * MAX_PAIR_CALLS * 5;
/** Summaries (one call each) per pass. */
const MAX_SUMMARIES = 20;
/** Fewest memories of a session worth a summary. */
const MIN_SESSION = 3;
/** Most memories one summary covers; the rest of a long session are summarised by a later pass. */
const MAX_SESSION = 50;
/** Failed calls in a row after which a pass stops asking (a model that is down would only time out again). */
const MAX_FAILURES_IN_A_ROW = 3;
/** Decisions remembered across passes in this process, so a scheduled pass does not ask again what it was told. */
const MAX_REMEMBERED = 20_000;
/** Ids per look-up of the `summarizes` edges that reach a session's memories. */
const RELATION_LOOKUP = 500;
/** Age after which a session is summarised when a request asks for summaries without saying. */
const DEFAULT_SUMMARIZE_AFTER_DAYS = 7;
const DAY_MS = 86_400_000;

/** A supersession the model decided: older `id` superseded by newer `by`. */
export interface ModelSupersession {
  id: string;
  by: string;
}

/** A session a pass summarises (or, dry, would): its sources, and the summary to add unless dry. */
export interface PlannedSummary {
  sources: string[];
  summary?: NonNullable<ConsolidationBatch['summaries']>[number];
}

/**
 * The age in days after which a pass summarises sessions, or null for none: the request's
 * `summarize` and `summarizeAfterDays`, else the space's setting. `VALIDATION_FAILED` when the
 * request asks for summaries and no chat model is configured.
 */
export function summaryAge(req: Pick<ConsolidateRequest, 'summarize' | 'summarizeAfterDays'>, setting: number | null, hasModel: boolean): number | null {
  if (req.summarize === false) return null;
  const asked = req.summarize === true || req.summarizeAfterDays !== undefined;
  if (asked && !hasModel) {
    throw new MemspaceError('VALIDATION_FAILED', 'summaries need a chat model: configure MEMSPACE_LLM_BASE_URL (and MEMSPACE_LLM_MODEL)', { field: 'summarize' });
  }
  if (!hasModel) return null;
  return req.summarizeAfterDays ?? setting ?? (asked ? DEFAULT_SUMMARIZE_AFTER_DAYS : null);
}

/** The chat model of consolidation, with what it decided before (per space and memory version). */
export class ConsolidationModel {
  private readonly remembered = new Map<string, PairDecision>();

  /** `embeddings` give a summary its vector; without them (or for a space with no embedder) it gets its sources' mean. */
  constructor(
    readonly chat: ChatModel,
    private readonly embeddings?: SpaceEmbeddings,
  ) {}

  /** The model's part of one pass over a space. */
  pass(record: SpaceRecord, store: SpaceStore, options: { now: number; dryRun: boolean; summarizeAfterDays: number | null }): ModelPass {
    return new ModelPass(this, record, store, options);
  }

  /** A decision made earlier about this pair, as the memories are now. */
  recall(key: string): PairDecision | undefined {
    return this.remembered.get(key);
  }

  /** Keeps a decision, forgetting the oldest past {@link MAX_REMEMBERED}. */
  remember(key: string, decision: PairDecision): void {
    this.remembered.delete(key);
    this.remembered.set(key, decision);
    if (this.remembered.size > MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value!);
  }

  /** A vector for a summary: the space's embedder on its text, else (no embedder, or it failed) the mean of its sources'. */
  async vectorOf(record: SpaceRecord, text: string, sources: readonly MemoryRecord[]): Promise<Float32Array> {
    if (this.embeddings !== undefined && record.embedder !== 'none') {
      try {
        return (await this.embeddings.vectorsFor(record, [{ text, given: undefined }]))[0]!;
      } catch {
        // The summary is still worth keeping; its sources' mean points where they do.
      }
    }
    const mean = new Float32Array(record.dimension);
    for (const s of sources) for (let i = 0; i < mean.length; i++) mean[i]! += s.embedding[i] ?? 0;
    const unit = normalize(mean);
    return unit.some((x) => x !== 0) ? unit : Float32Array.from(sources[0]!.embedding);
  }
}

/**
 * One pass's dealings with the model: the service shows it every memory it examines
 * ({@link note}) and the vector neighbours it found ({@link neighbours}); once the space is
 * read, it asks for supersessions and summaries. Its counters go into the pass's report.
 */
export class ModelPass {
  /** Calls made, calls that decided nothing, and pairs or sessions left for a later pass. */
  calls = 0;
  errors = 0;
  pending = 0;
  private failuresInARow = 0;
  private readonly seen = new Set<string>();
  private candidates: [string, string][] = [];
  /** Scope of a session → its memories old enough to summarise, in the order read. */
  private readonly sessions = new Map<string, string[]>();
  private readonly summariseBefore: number | null;

  constructor(
    private readonly model: ConsolidationModel,
    private readonly record: SpaceRecord,
    private readonly store: SpaceStore,
    private readonly options: { now: number; dryRun: boolean; summarizeAfterDays: number | null },
  ) {
    this.summariseBefore = options.summarizeAfterDays === null ? null : options.now - options.summarizeAfterDays * DAY_MS;
  }

  /** The age in days after which sessions are summarised in this pass (null: none are). */
  get summarizeAfterDays(): number | null {
    return this.options.summarizeAfterDays;
  }

  /** The model's name, for the reasons of a dry run. */
  get name(): string {
    return this.model.chat.model;
  }

  /** The figures the pass reports. */
  figures(): { modelCalls: number; modelErrors: number; modelPending: number } {
    return { modelCalls: this.calls, modelErrors: this.errors, modelPending: this.pending };
  }

  /** A memory the pass examined: remembered as read, and as a member of its session when old enough. */
  note(m: MemoryRecord): void {
    this.seen.add(m.id);
    if (this.summariseBefore === null || m.runId === null || m.kind === SUMMARY_KIND || m.createdAt > this.summariseBefore) return;
    const key = scopeOf(m);
    const members = this.sessions.get(key);
    if (members === undefined) this.sessions.set(key, [m.id]);
    else members.push(m.id);
  }

  /** The vector neighbours of `m` in its scope (cosine at or over the pass's threshold, nearest first): those read before it make candidate pairs. */
  neighbours(m: MemoryRecord, near: readonly ScoredId[]): void {
    if (m.kind === SUMMARY_KIND) return;
    let taken = 0;
    for (const h of near) {
      if (taken === MODEL_NEIGHBOURS) break;
      if (h.id === m.id || !this.seen.has(h.id)) continue;
      this.candidates.push([h.id, m.id]);
      taken += 1;
    }
    if (this.candidates.length >= 2 * MAX_PAIRS_KEPT) this.keepNewest();
  }

  /**
   * Asks the model, newest pairs first, whether the newer memory of each candidate pair
   * replaces the older, leaving out pairs with a memory merged away, an older memory superseded
   * already or by the rule (`ruled`), summaries, and the same text twice. When several newer
   * memories replace one older memory, the newest of them supersedes it.
   */
  async supersessions(mergedAway: ReadonlySet<string>, ruled: ReadonlySet<string>): Promise<ModelSupersession[]> {
    this.keepNewest();
    const live = this.candidates.filter(([a, b]) => !mergedAway.has(a) && !mergedAway.has(b));
    this.candidates = [];
    if (live.length === 0) return [];
    const byId = new Map((await this.store.getMemories([...new Set(live.flat())], { embeddings: false })).map((r) => [r.id, r]));
    const judged = new Map<string, { older: MemoryRecord; newer: MemoryRecord; key: string }>();
    for (const [a, b] of live) {
      const x = byId.get(a);
      const y = byId.get(b);
      if (x === undefined || y === undefined || scopeOf(x) !== scopeOf(y)) continue;
      const [older, newer] = olderFirst(x, y) <= 0 ? [x, y] : [y, x];
      if (older.supersededBy !== null || ruled.has(older.id) || older.kind === SUMMARY_KIND || newer.kind === SUMMARY_KIND) continue;
      if (older.content.trim() === newer.content.trim()) continue;
      const key = JSON.stringify([this.record.name, older.id, older.updatedAt, newer.id, newer.updatedAt]);
      judged.set(key, { older, newer, key });
    }
    const pairs = [...judged.values()].sort((p, q) => -olderFirst(p.newer, q.newer) || -olderFirst(p.older, q.older));
    const decided = new Map<string, PairDecision>();
    const ask: typeof pairs = [];
    for (const p of pairs) {
      const before = this.model.recall(p.key);
      if (before === undefined) ask.push(p);
      else decided.set(p.key, before);
    }
    for (let i = 0; i < ask.length; i += PAIRS_PER_CALL) {
      const chunk = ask.slice(i, i + PAIRS_PER_CALL);
      if (i / PAIRS_PER_CALL >= MAX_PAIR_CALLS || this.givenUp()) {
        this.pending += chunk.length;
        continue;
      }
      const answer = await this.ask(supersessionMessages(chunk.map((p) => ({ older: p.older.content, newer: p.newer.content }))), (text) => parseSupersessionAnswer(text, chunk.length));
      if (answer === undefined) continue;
      chunk.forEach((p, index) => {
        const d = answer.get(index);
        if (d === undefined) return; // undecided: nothing happens, and it is asked again next time
        decided.set(p.key, d);
        this.model.remember(p.key, d);
      });
    }
    const by = new Map<string, MemoryRecord>();
    for (const p of pairs) {
      if (decided.get(p.key) !== 'update') continue;
      const current = by.get(p.older.id);
      if (current === undefined || olderFirst(current, p.newer) < 0) by.set(p.older.id, p.newer);
    }
    return [...by].map(([id, newer]) => ({ id, by: newer.id }));
  }

  /**
   * The sessions to summarise, oldest first: members old enough, not merged away, not linked by
   * a `summarizes` edge yet, at least {@link MIN_SESSION} of them; at most {@link MAX_SESSION}
   * members each (the oldest) and {@link MAX_SUMMARIES} sessions per pass. A dry run only lists
   * them; otherwise each gets its summary written by the model, or is left out when the model
   * fails.
   */
  async summaries(mergedAway: ReadonlySet<string>): Promise<PlannedSummary[]> {
    if (this.sessions.size === 0) return [];
    const sessions = [...this.sessions.values()].map((ids) => ids.filter((id) => !mergedAway.has(id))).filter((ids) => ids.length >= MIN_SESSION);
    const summarised = await this.summarisedAmong(sessions.flat());
    const out: PlannedSummary[] = [];
    for (const ids of sessions) {
      const open = ids.filter((id) => !summarised.has(id));
      if (open.length < MIN_SESSION) continue;
      if (out.length >= MAX_SUMMARIES || this.givenUp()) {
        this.pending += 1;
        continue;
      }
      const members = (await this.store.getMemories(open.slice(0, MAX_SESSION), { embeddings: true })).sort(olderFirst);
      if (members.length < MIN_SESSION) continue;
      if (this.options.dryRun) {
        out.push({ sources: members.map((m) => m.id) });
        continue;
      }
      const text = await this.ask(summaryMessages(members), parseSummaryAnswer);
      if (text === undefined) continue;
      out.push({ sources: members.map((m) => m.id), summary: await this.summaryOf(text, members) });
    }
    return out;
  }

  /** The summaries to write: those of {@link summaries} the model wrote. */
  async made(mergedAway: ReadonlySet<string>): Promise<NonNullable<PlannedSummary['summary']>[]> {
    return (await this.summaries(mergedAway)).flatMap((p) => (p.summary === undefined ? [] : [p.summary]));
  }

  /** The memory and edges of a summary of `members` (one scope, oldest first). */
  private async summaryOf(text: string, members: readonly MemoryRecord[]): Promise<NonNullable<PlannedSummary['summary']>> {
    const now = this.options.now;
    const first = members[0]!;
    const last = members[members.length - 1]!;
    const expiries = members.map((m) => m.expiresAt);
    const memory: MemoryRecord = {
      id: uuidv7(now),
      content: text,
      metadata: { summarizes: members.length, from: new Date(first.createdAt).toISOString(), to: new Date(last.createdAt).toISOString() },
      tags: [],
      userId: first.userId,
      agentId: first.agentId,
      runId: first.runId,
      kind: SUMMARY_KIND,
      importance: Math.max(...members.map((m) => m.importance)),
      createdAt: now,
      updatedAt: now,
      // A summary lasts as long as the last of its sources (forever when one does).
      expiresAt: expiries.includes(null) ? null : Math.max(...(expiries as number[])),
      embedding: await this.model.vectorOf(this.record, text, members),
      accessCount: 0,
      lastAccessedAt: null,
      supersededBy: null,
    };
    const relations = members.map((m) => ({ id: uuidv7(now), from: memory.id, to: m.id, type: SUMMARIZES, weight: 1, metadata: {}, createdAt: now }));
    return { memory, sources: members.map((m) => m.id), relations };
  }

  /** Which of `ids` some `summarizes` edge reaches already. */
  private async summarisedAmong(ids: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < ids.length; i += RELATION_LOOKUP) {
      for (const r of await this.store.listRelations(ids.slice(i, i + RELATION_LOOKUP), 'in', SUMMARIZES)) out.add(r.to);
    }
    return out;
  }

  /** One call; its parsed answer, or undefined (counted as an error) when it failed or could not be read. */
  private async ask<T>(messages: ChatMessage[], parse: (answer: string) => T | undefined): Promise<T | undefined> {
    this.calls += 1;
    let parsed: T | undefined;
    try {
      parsed = parse(await this.model.chat.complete(messages, { json: true }));
    } catch {
      parsed = undefined; // a timeout, a refused connection, an error status: the model decided nothing
    }
    if (parsed === undefined) {
      this.errors += 1;
      this.failuresInARow += 1;
    } else {
      this.failuresInARow = 0;
    }
    return parsed;
  }

  /** True once the model failed {@link MAX_FAILURES_IN_A_ROW} times in a row: the pass asks no more. */
  private givenUp(): boolean {
    return this.failuresInARow >= MAX_FAILURES_IN_A_ROW;
  }

  /** Drops all but the newest {@link MAX_PAIRS_KEPT} candidate pairs, counting the others as pending. */
  private keepNewest(): void {
    const extra = this.candidates.length - MAX_PAIRS_KEPT;
    if (extra <= 0) return;
    this.pending += extra;
    this.candidates = this.candidates.slice(extra);
  }
}
