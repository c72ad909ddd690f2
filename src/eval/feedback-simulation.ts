/**
 * A scripted user giving feedback on a conversation benchmark (issue 21), measured before and
 * after (`memspace eval --conversation-benchmark FILE --feedback`, `npm run bench:feedback`).
 *
 * Per conversation, two spaces hold its turns as `runConversationBenchmark` stores them: one that
 * takes feedback and a control that never does. The questions are split by index, even ones
 * train, odd ones test. Evidence recall is measured before any feedback; then the user asks each
 * train question (hybrid search, the first rank weights, top 10) and, as an agent that checks what
 * it read against the labels would, calls each evidence turn in the top 10 `helpful` with the
 * query, and under a policy's `wrongTop` each other hit above that rank `wrong`; then recall is
 * measured again on the train questions (repeat questions) and the test ones (related questions:
 * same conversation, not asked); then once more after the injected clock has moved on by
 * `fadeHalfLives` half-lives, when feedback must have faded to nothing. The control space is
 * searched before and after the feedback, and the SHA-256 of every answer's JSON compared.
 */
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { AdaptiveWeights } from '../core/feedback.js';
import type { Memspace } from '../memspace.js';
import { readConversationSet, type Conversation, type ConversationQuestion } from './conversation-set.js';
import { withEvalMemspace, type EvalStorageOptions } from './eval-memspace.js';
import { pooledRecallAt, type RecallAtK } from './evidence-recall.js';
import type { RankedQuery } from './metrics.js';
import { checkKs, invalid } from './run-eval.js';

/** What the scripted user does with the top 10 of each train question. */
export interface FeedbackPolicy {
  name: string;
  /** Hits that are not evidence and rank at most this high are called `wrong`; 0 calls none wrong. */
  wrongTop: number;
  /** Times each train question is asked and given feedback, each round on what the last left. */
  rounds: number;
}

/** Options of {@link simulateFeedback}. */
export interface FeedbackSimulationOptions extends EvalStorageOptions {
  /** A LoCoMo-shaped JSON file (see conversation-set.ts). */
  file: string;
  /** Cut-offs of the pooled evidence recall reported. @default [1, 5, 10] */
  ks?: readonly number[];
  /** Sample ids of the conversations to run. @default every conversation of the file */
  conversations?: readonly string[];
  /** Rank weights measured; the user searches with the first while giving feedback. @default {@link DEFAULT_RANKS} */
  ranks?: readonly AdaptiveWeights[];
  /** Each run on fresh feedback state (a reset) over the same spaces. @default [{@link HELPFUL_ONLY}] */
  policies?: readonly FeedbackPolicy[];
  /** The spaces' `feedback.halfLifeDays`. @default 7 */
  halfLifeDays?: number;
  /** Half-lives the clock moves on before the faded measure. @default 10 */
  fadeHalfLives?: number;
  /** The simulated clock's start, epoch ms. @default {@link SIMULATION_START} */
  start?: number;
  /** Called as turns are stored and as searches run. */
  onProgress?: (phase: 'load' | 'search', done: number, total: number) => void;
}

/** The blend, then each signal alone at full weight. */
export const DEFAULT_RANKS: readonly AdaptiveWeights[] = [
  { feedback: 0.5, narrative: 0.5 },
  { feedback: 1, narrative: 0 },
  { feedback: 0, narrative: 1 },
];
/** A verifying agent: evidence it found is helpful; a hit that does not answer this question may answer another, so it is not called wrong. */
export const HELPFUL_ONLY: FeedbackPolicy = { name: 'helpful', wrongTop: 0, rounds: 1 };
/** A stricter agent: also calls the non-evidence hits of the top 3 wrong. */
export const HELPFUL_AND_WRONG: FeedbackPolicy = { name: 'helpful + wrong top 3', wrongTop: 3, rounds: 1 };
/**
 * Monday 6 January 2025, 12:00 UTC: after every session of LoCoMo, and 70 days (10 half-lives of
 * a week) before the faded measure, still in 2025, so the relative dates a few questions name
 * ("last year") cover the same span before and after the clock moves.
 */
export const SIMULATION_START = Date.UTC(2025, 0, 6, 12);
/** Results the user reads per search, and the largest k whose recall the run needs. */
const FEEDBACK_TOP = 10;
const DEFAULT_KS = [1, 5, 10] as const;
const BATCH = 200;
const DAY_MS = 86_400_000;

type Phase = 'before' | 'after' | 'faded';
type Half = 'train' | 'test';
const PHASES: readonly Phase[] = ['before', 'after', 'faded'];
const HALVES: readonly Half[] = ['train', 'test'];

/** Pooled evidence recall of one half at each k, in each phase. */
export type PhaseRecall = Record<Phase, RecallAtK>;

/** One rank weighting's figures under one policy. */
export interface RankFigures {
  rank: AdaptiveWeights;
  recall: Record<Half, PhaseRecall>;
  /** Questions whose top results (dia ids, in order) after feedback differ from before. */
  changedAfter: Record<Half, number>;
  /** Questions whose top results after fading differ from before: 0 when feedback left no trace. */
  fadedDiffers: Record<Half, number>;
}

/** The control space of one conversation: the SHA-256 of the JSON of all its answers, before and after the feedback. */
export interface ControlDigest {
  conversation: string;
  before: string;
  after: string;
}

/** One policy's figures, pooled over the conversations. */
export interface PolicyFigures {
  policy: FeedbackPolicy;
  /** Feedback calls made, results called helpful and wrong, and train searches that gave nothing to report. */
  signals: { calls: number; helpful: number; wrong: number; silent: number };
  ranks: RankFigures[];
  controls: ControlDigest[];
  /** Controls whose answers were byte-identical before and after. */
  identicalControls: number;
}

/** What {@link simulateFeedback} measured. */
export interface FeedbackSimulationResult {
  file: string;
  ks: number[];
  limit: number;
  clock: { start: string; halfLifeDays: number; fadeHalfLives: number; fadeDays: number };
  counts: { conversations: number; memories: number; questions: Record<Half, number>; evidence: Record<Half, number> };
  policies: PolicyFigures[];
  searches: number;
  timings: { loadMs: number; simulateMs: number };
}

/** A conversation's two spaces: dia ids by memory id in each. */
interface Pair {
  conversation: Conversation;
  halves: Record<Half, ConversationQuestion[]>;
  space: string;
  control: string;
  diaIdOf: Map<string, string>;
}

/** A settable clock: the engine reads `now`, the simulation moves it on. */
interface Clock {
  now: () => number;
  advance: (ms: number) => void;
}

/** The rankings (dia ids) of every question, by policy, rank weighting, phase and half. */
type Ledger = Map<string, Record<Phase, Record<Half, RankedQuery[]>>>;

/** What one run asks of the engine: the plan every conversation goes through. */
interface Plan {
  ks: number[];
  ranks: readonly AdaptiveWeights[];
  policies: readonly FeedbackPolicy[];
  fadeMs: number;
  searched: () => void;
}

/**
 * Runs the simulation on the embedded backend (or the one `env` names) in a temporary data
 * directory unless `dataDir` is given; the spaces it makes are deleted at the end, failed or not.
 */
export async function simulateFeedback(options: FeedbackSimulationOptions): Promise<FeedbackSimulationResult> {
  const ks = checkKs(options.ks ?? DEFAULT_KS);
  const ranks = options.ranks ?? DEFAULT_RANKS;
  const policies = options.policies ?? [HELPFUL_ONLY];
  checkPlan(ranks, policies);
  const halfLifeDays = options.halfLifeDays ?? 7;
  const fadeHalfLives = options.fadeHalfLives ?? 10;
  if (!(halfLifeDays > 0) || !(fadeHalfLives >= 0)) throw invalid('halfLifeDays', 'a positive half-life and a number of half-lives not below 0');
  const conversations = pick((await readConversationSet(options.file)).conversations, options.conversations);
  const start = options.start ?? SIMULATION_START;
  let offset = 0;
  const clock: Clock = { now: () => start + offset, advance: (ms) => (offset += ms) };
  const questions = conversations.reduce((sum, c) => sum + c.questions.length, 0);
  const train = conversations.reduce((sum, c) => sum + split(c.questions).train.length, 0);
  const searches = policies.reduce((sum, p) => sum + (3 * ranks.length + 2) * questions + p.rounds * train, 0);
  let done = 0;
  const plan: Plan = { ks, ranks, policies, fadeMs: fadeHalfLives * halfLifeDays * DAY_MS, searched: () => options.onProgress?.('search', ++done, searches) };

  return withEvalMemspace(options, 'memspace-feedbacksim-', async (ms) => {
    const ledger: Ledger = new Map();
    const policyTotals = policies.map((policy) => ({ policy, signals: { calls: 0, helpful: 0, wrong: 0, silent: 0 }, controls: [] as ControlDigest[] }));
    const runId = randomBytes(3).toString('hex');
    const turns = 2 * conversations.reduce((sum, c) => sum + c.memories.length, 0);
    let stored = 0;
    let loadMs = 0;
    const started = performance.now();
    for (const conversation of conversations) {
      const at = performance.now();
      const pair = await openPair(ms, conversation, runId, halfLifeDays, (n) => options.onProgress?.('load', (stored += n), turns));
      loadMs += performance.now() - at;
      try {
        for (const [i, policy] of policies.entries()) {
          if (i > 0) await ms.feedback.reset(pair.space);
          const { signals, control } = await runPolicy(ms, clock, pair, policy, plan, ledger);
          for (const key of Object.keys(signals) as (keyof typeof signals)[]) policyTotals[i]!.signals[key] += signals[key];
          policyTotals[i]!.controls.push(control);
        }
      } finally {
        await ms.spaces.delete(pair.space);
        await ms.spaces.delete(pair.control);
      }
    }
    const simulateMs = performance.now() - started - loadMs;
    return {
      file: options.file,
      ks,
      limit: Math.max(...ks, FEEDBACK_TOP),
      clock: { start: new Date(start).toISOString(), halfLifeDays, fadeHalfLives, fadeDays: fadeHalfLives * halfLifeDays },
      counts: counts(conversations),
      policies: policyTotals.map((t) => ({ ...t, ranks: ranks.map((rank) => rankFigures(ledger, t.policy, rank, ks)), identicalControls: t.controls.filter((c) => c.before === c.after).length })),
      searches,
      timings: { loadMs, simulateMs },
    };
  }, { now: clock.now });
}

/**
 * One policy on one conversation: before, the feedback rounds, after, faded. The clock stands
 * still but for the fade, so nothing else that reads it (dates named relative to now, pheromones'
 * decay between rounds) moves between the measures.
 */
async function runPolicy(ms: Memspace, clock: Clock, pair: Pair, policy: FeedbackPolicy, plan: Plan, ledger: Ledger) {
  const first = plan.ranks[0]!;
  const limit = Math.max(...plan.ks, FEEDBACK_TOP);
  const measure = async (phase: Phase): Promise<void> => {
    for (const rank of plan.ranks) {
      const entry = ledgerEntry(ledger, policy, rank);
      for (const half of HALVES) entry[phase][half].push(...(await rankAll(ms, pair, pair.halves[half], rank, limit, plan.searched)));
    }
  };
  const before = await controlDigest(ms, pair, first, limit, plan.searched);
  await measure('before');
  const signals = { calls: 0, helpful: 0, wrong: 0, silent: 0 };
  for (let round = 0; round < policy.rounds; round++) await giveFeedback(ms, pair, policy, first, signals, plan.searched);
  await measure('after');
  const after = await controlDigest(ms, pair, first, limit, plan.searched);
  clock.advance(plan.fadeMs);
  await measure('faded');
  return { signals, control: { conversation: pair.conversation.id, before, after } };
}

/** The user's round: each train question asked, what it found reported on (see {@link FeedbackPolicy}). */
async function giveFeedback(ms: Memspace, pair: Pair, policy: FeedbackPolicy, rank: AdaptiveWeights, signals: PolicyFigures['signals'], searched: () => void): Promise<void> {
  for (const q of pair.halves.train) {
    const { results } = await ms.search.run(pair.space, { query: q.question, mode: 'hybrid', limit: FEEDBACK_TOP, rank });
    searched();
    const evidence = new Set(q.evidence);
    const items = results.flatMap((hit, i): { id: string; signal: 'helpful' | 'wrong' }[] => {
      if (evidence.has(pair.diaIdOf.get(hit.memory.id) ?? '')) return [{ id: hit.memory.id, signal: 'helpful' }];
      return i < policy.wrongTop ? [{ id: hit.memory.id, signal: 'wrong' }] : [];
    });
    if (items.length === 0) {
      signals.silent += 1;
      continue;
    }
    await ms.feedback.record(pair.space, { query: q.question, results: items });
    signals.calls += 1;
    for (const item of items) signals[item.signal] += 1;
  }
}

/** Each question searched in the feedback space, as a ranking of dia ids against its evidence. */
async function rankAll(ms: Memspace, pair: Pair, questions: readonly ConversationQuestion[], rank: AdaptiveWeights, limit: number, searched: () => void): Promise<RankedQuery[]> {
  const out: RankedQuery[] = [];
  for (const q of questions) {
    const { results } = await ms.search.run(pair.space, { query: q.question, mode: 'hybrid', limit, rank });
    searched();
    out.push({ ranked: results.map((hit) => pair.diaIdOf.get(hit.memory.id) ?? hit.memory.id), relevant: new Map(q.evidence.map((e) => [e, 1])) });
  }
  return out;
}

/** SHA-256 of the JSON of the control space's answer to every question, in order. */
async function controlDigest(ms: Memspace, pair: Pair, rank: AdaptiveWeights, limit: number, searched: () => void): Promise<string> {
  const hash = createHash('sha256');
  for (const q of pair.conversation.questions) {
    hash.update(`${JSON.stringify(await ms.search.run(pair.control, { query: q.question, mode: 'hybrid', limit, rank }))}\n`);
    searched();
  }
  return hash.digest('hex');
}

/** Creates and fills the conversation's feedback and control spaces. */
async function openPair(ms: Memspace, conversation: Conversation, runId: string, halfLifeDays: number, stored: (n: number) => void): Promise<Pair> {
  const base = `fbsim-${runId}-${conversation.id.replace(/[^A-Za-z0-9_.-]+/g, '-')}`.slice(0, 56);
  const pair: Pair = { conversation, halves: split(conversation.questions), space: base, control: `${base}-control`, diaIdOf: new Map() };
  for (const name of [pair.space, pair.control]) {
    await ms.spaces.create({ name, description: `feedback simulation: sample ${conversation.id}`, feedback: { halfLifeDays } });
    for (let at = 0; at < conversation.memories.length; at += BATCH) {
      const batch = conversation.memories.slice(at, at + BATCH);
      const added = await ms.memories.addMany(name, batch.map(({ content, runId: run, metadata }) => ({ content, runId: run, metadata })));
      added.forEach((memory, i) => pair.diaIdOf.set(memory.id, batch[i]!.diaId));
      stored(batch.length);
    }
    // No answer may change because an index is being built behind the searches.
    await ms.search.settleIndex(name);
  }
  return pair;
}

/** Even-indexed questions train, odd ones test: deterministic, and both halves mix the categories as the file orders them. */
function split(questions: readonly ConversationQuestion[]): Record<Half, ConversationQuestion[]> {
  return { train: questions.filter((_, i) => i % 2 === 0), test: questions.filter((_, i) => i % 2 === 1) };
}

function ledgerEntry(ledger: Ledger, policy: FeedbackPolicy, rank: AdaptiveWeights): Record<Phase, Record<Half, RankedQuery[]>> {
  const key = `${policy.name}|${rank.feedback}|${rank.narrative}`;
  if (!ledger.has(key)) ledger.set(key, { before: { train: [], test: [] }, after: { train: [], test: [] }, faded: { train: [], test: [] } });
  return ledger.get(key)!;
}

/** One rank weighting's recall in each phase and half, and how many rankings moved. */
function rankFigures(ledger: Ledger, policy: FeedbackPolicy, rank: AdaptiveWeights, ks: readonly number[]): RankFigures {
  const entry = ledgerEntry(ledger, policy, rank);
  const atEveryK = (group: readonly RankedQuery[]): RecallAtK => Object.fromEntries(ks.map((k) => [k, pooledRecallAt(group, k)]));
  const differ = (a: readonly RankedQuery[], b: readonly RankedQuery[]): number => a.filter((q, i) => q.ranked.join('\n') !== b[i]!.ranked.join('\n')).length;
  const byHalf = <T>(f: (half: Half) => T): Record<Half, T> => ({ train: f('train'), test: f('test') });
  return {
    rank,
    recall: byHalf((half) => Object.fromEntries(PHASES.map((phase) => [phase, atEveryK(entry[phase][half])])) as PhaseRecall),
    changedAfter: byHalf((half) => differ(entry.after[half], entry.before[half])),
    fadedDiffers: byHalf((half) => differ(entry.faded[half], entry.before[half])),
  };
}

function counts(conversations: readonly Conversation[]): FeedbackSimulationResult['counts'] {
  const halves = conversations.map((c) => split(c.questions));
  const sum = (f: (h: Record<Half, ConversationQuestion[]>) => number): number => halves.reduce((s, h) => s + f(h), 0);
  const evidence = (qs: readonly ConversationQuestion[]): number => qs.reduce((s, q) => s + q.evidence.length, 0);
  return {
    conversations: conversations.length,
    memories: conversations.reduce((s, c) => s + c.memories.length, 0),
    questions: { train: sum((h) => h.train.length), test: sum((h) => h.test.length) },
    evidence: { train: sum((h) => evidence(h.train)), test: sum((h) => evidence(h.test)) },
  };
}

/** The conversations named, in the file's order; every one when none are named. */
function pick(all: Conversation[], ids: readonly string[] | undefined): Conversation[] {
  if (ids === undefined) return all;
  const unknown = ids.filter((id) => !all.some((c) => c.id === id));
  if (ids.length === 0 || unknown.length > 0) throw invalid('conversations', `name samples of the file (${all.map((c) => c.id).join(', ')})`);
  return all.filter((c) => ids.includes(c.id) && c.questions.length > 0);
}

/** The options' rank weightings and policies, checked before anything is opened. */
function checkPlan(ranks: readonly AdaptiveWeights[], policies: readonly FeedbackPolicy[]): void {
  const rankOk = (r: AdaptiveWeights): boolean => r.feedback >= 0 && r.narrative >= 0 && r.feedback + r.narrative <= 1 && r.feedback + r.narrative > 0;
  if (ranks.length === 0 || !ranks.every(rankOk)) throw invalid('ranks', 'weights from 0 to 1, some above 0, together at most 1');
  const ok = (p: FeedbackPolicy): boolean => Number.isInteger(p.wrongTop) && p.wrongTop >= 0 && p.wrongTop <= FEEDBACK_TOP && Number.isInteger(p.rounds) && p.rounds >= 1;
  if (policies.length === 0 || !policies.every(ok) || new Set(policies.map((p) => p.name)).size < policies.length) throw invalid('policies', 'named apart, wrongTop 0 to 10, rounds at least 1');
}

/** Columns of {@link feedbackTables}. */
export const TABLE_HEADERS = ['POLICY', 'RANK F/N', 'HALF', 'BEFORE', 'AFTER', 'Δ AFTER', 'FADED', 'Δ FADED'] as const;

/** One table per k: pooled recall@k before, after and faded, by policy, rank weighting and half, figures formatted. */
export function feedbackTables(r: FeedbackSimulationResult): { k: number; rows: string[][] }[] {
  const f = (x: number): string => x.toFixed(3);
  const delta = (x: number): string => (x === 0 ? '0' : `${x > 0 ? '+' : '-'}${Math.abs(x).toFixed(3)}`);
  return r.ks.map((k) => ({
    k,
    rows: r.policies.flatMap((p) =>
      p.ranks.flatMap((rf) =>
        HALVES.map((half) => {
          const { before, after, faded } = rf.recall[half];
          return [p.policy.name, `${rf.rank.feedback}/${rf.rank.narrative}`, half, f(before[k]!), f(after[k]!), delta(after[k]! - before[k]!), f(faded[k]!), delta(faded[k]! - before[k]!)];
        }),
      ),
    ),
  }));
}
