/**
 * What consolidation asks a chat model, and how it reads the answers (issue 19): whether a newer
 * memory states a changed value of the same fact as an older one (supersession), and a short
 * summary of one session. Pure: the engine (engine/consolidation-service.ts) makes the calls.
 *
 * The model sees memory texts (and, for a summary, their dates) of one scope of one space,
 * never ids, scope names, metadata or anything of another space. Answers are strict JSON; one
 * that does not parse, or says anything but the expected words, decides nothing: a pass that
 * cannot read the model supersedes nothing and summarises nothing (never loses information).
 */
import { z } from 'zod';
import type { ChatMessage } from './ports/chat-model.js';

/** Opens the supersession prompt (stand-ins of the model in tests answer by it). */
export const SUPERSESSION_MARKER = 'You decide whether newer memories replace older ones.';
/** Opens the summary prompt. */
export const SUMMARY_MARKER = 'You summarise one session of memories.';

/** Pairs asked in one call. */
export const PAIRS_PER_CALL = 10;
/** Longest summary kept, in characters; a longer answer is not a concise summary and is refused. */
export const MAX_SUMMARY_CHARS = 4000;

/** One pair the model judges: two memory texts of one scope, the older stored first. */
export interface SupersessionPair {
  older: string;
  newer: string;
}

/** What the model decided for one pair: `update` (the newer replaces the older) or `keep` (anything else). */
export type PairDecision = 'update' | 'keep';

/** The messages asking whether each newer memory of `pairs` replaces its older one. */
export function supersessionMessages(pairs: readonly SupersessionPair[]): ChatMessage[] {
  const system = [
    SUPERSESSION_MARKER,
    'Each pair holds two memories about the same person, agent or session; "older" was stored before "newer".',
    'Answer UPDATE only when both state the same fact about the same subject and the newer one gives a changed value of it, so that the older one is no longer true (for example "Dana lives in Utrecht" and later "Dana moved to Berlin").',
    'Answer KEEP in every other case: different facts, different subjects, a newer memory that adds to the older one without contradicting it, the same fact said again, or when you are not sure.',
    'Answer with one JSON object and nothing else, one decision per pair: {"decisions": [{"pair": 0, "decision": "UPDATE" | "KEEP"}]}.',
  ].join('\n');
  const user = JSON.stringify({ pairs: pairs.map((p, i) => ({ pair: i, older: p.older, newer: p.newer })) }, null, 2);
  return [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
}

const decisionsSchema = z.strictObject({
  decisions: z.array(
    z.strictObject({
      pair: z.number().int().nonnegative(),
      decision: z
        .string()
        .transform((d) => d.trim().toUpperCase())
        .pipe(z.enum(['UPDATE', 'KEEP'])),
    }),
  ),
});

/**
 * The decisions of a supersession answer for `count` pairs, by pair index. Pairs the answer does
 * not name, names outside `0..count-1`, or names twice with different decisions, are left out:
 * undecided, so nothing happens to them. Undefined when the answer is not the JSON asked for.
 */
export function parseSupersessionAnswer(answer: string, count: number): Map<number, PairDecision> | undefined {
  const parsed = decisionsSchema.safeParse(jsonOf(answer));
  if (!parsed.success) return undefined;
  const out = new Map<number, PairDecision>();
  const contested = new Set<number>();
  for (const { pair, decision } of parsed.data.decisions) {
    if (pair >= count) continue;
    const d: PairDecision = decision === 'UPDATE' ? 'update' : 'keep';
    const before = out.get(pair);
    if (before !== undefined && before !== d) contested.add(pair);
    out.set(pair, d);
  }
  for (const pair of contested) out.delete(pair);
  return out;
}

/** One memory of a session as the summary prompt shows it. */
export interface SessionMemory {
  content: string;
  /** Creation time, epoch ms. */
  createdAt: number;
}

/** The messages asking for a concise summary of one session's memories, oldest first. */
export function summaryMessages(memories: readonly SessionMemory[]): ChatMessage[] {
  const system = [
    SUMMARY_MARKER,
    'You get the memories stored during one session of a person or an agent, oldest first, each with its date.',
    'Write one concise summary of what they say, in a few sentences, in the language of the memories: the facts, decisions, preferences and outcomes worth keeping. Keep names, numbers and dates exact.',
    'Use only what the memories say; never guess or add. When memories contradict each other, the later one holds.',
    `Answer with one JSON object and nothing else: {"summary": "..."}; at most ${MAX_SUMMARY_CHARS} characters.`,
  ].join('\n');
  const user = JSON.stringify({ memories: memories.map((m) => ({ at: new Date(m.createdAt).toISOString(), text: m.content })) }, null, 2);
  return [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
}

const summarySchema = z.strictObject({ summary: z.string().transform((s) => s.trim()).pipe(z.string().min(1).max(MAX_SUMMARY_CHARS)) });

/** The summary of an answer; undefined when the answer is not the JSON asked for, is empty, or too long. */
export function parseSummaryAnswer(answer: string): string | undefined {
  const parsed = summarySchema.safeParse(jsonOf(answer));
  return parsed.success ? parsed.data.summary : undefined;
}

/**
 * The JSON value of an answer: the whole text, or the body of one Markdown code fence that is
 * the whole text (models wrap JSON in one even when asked not to). Undefined when not JSON.
 */
function jsonOf(answer: string): unknown {
  const text = answer.trim();
  const fenced = /^```(?:json)?\s*([\s\S]*?)\s*```$/i.exec(text);
  try {
    return JSON.parse(fenced?.[1] ?? text) as unknown;
  } catch {
    return undefined;
  }
}
