import { z } from 'zod';
import { MemspaceError } from '../core/errors.js';
import type { ValidationIssue } from '../core/validate.js';
import { parseSessionDate } from './session-date.js';
import { readInputFile } from './eval-set.js';

/**
 * A conversation benchmark in LoCoMo's shape (Maharana et al., ACL 2024): an array of samples
 * `{sample_id, conversation: {speaker_a, speaker_b, session_N: [turns], session_N_date_time},
 * qa: [{question, answer, evidence: ["D1:3", ...], category}]}`, read into what a run stores and
 * asks: one memory per turn, one question per labelled question of categories 1-4.
 */

/** Question categories measured, by their number in the file; 5 (adversarial: no answer in the conversation) is skipped. */
export const CATEGORIES = { 1: 'multi-hop', 2: 'temporal', 3: 'open-domain', 4: 'single-hop' } as const;
/** A measured category's number. */
export type CategoryNumber = keyof typeof CATEGORIES;
/** A measured category's name. */
export type CategoryName = (typeof CATEGORIES)[CategoryNumber];
/** The category of questions whose answer the conversation does not hold: nothing to retrieve. */
const ADVERSARIAL = 5;
/** How a turn names itself and evidence names a turn: `D<session>:<turn>`. */
const DIA_ID = /^D(\d+):(\d+)$/;
const SESSION_KEY = /^session_(\d+)$/;
/** Most issues listed in one error; a broken file should not produce a megabyte of details. */
const MAX_ISSUES = 50;

/** A turn as the run stores it. */
export interface ConversationMemory {
  diaId: string;
  /** `"<speaker>: <text>"`. */
  content: string;
  /** `session-<N>`. */
  runId: string;
  /** `date` is the session's date-time in ISO 8601 (UTC), which the engine reads as the memory's date. */
  metadata: { diaId: string; session: number; date: string };
}

/** A question of categories 1-4 with the turns that answer it. */
export interface ConversationQuestion {
  /** `<sample_id>:q<n>`, n counting from 1 in the file's `qa` list (skipped questions included). */
  id: string;
  question: string;
  category: CategoryNumber;
  /** Dia ids of the turns holding the answer, each naming a turn of the conversation, without repeats. */
  evidence: string[];
}

/** One sample: a conversation and its questions. */
export interface Conversation {
  /** The sample's `sample_id`. */
  id: string;
  speakers: [string, string];
  /** Every turn, session by session and turn by turn (dia id order). */
  memories: ConversationMemory[];
  questions: ConversationQuestion[];
  /** What this conversation's questions left out. */
  skipped: SkippedCounts;
}

/** What was left out, and why. */
export interface SkippedCounts {
  /** Questions of category 5. */
  adversarial: number;
  /** Evidence ids not of the form `D<session>:<turn>` (e.g. `D:11:26`, `D8:6; D9:17`). */
  malformedEvidence: number;
  /** Well-formed evidence ids naming no turn of their conversation. */
  unknownEvidence: number;
  /** Questions of categories 1-4 left without evidence once those ids are skipped. */
  noEvidence: number;
}

/** A parsed, checked conversation benchmark. */
export interface ConversationSet {
  conversations: Conversation[];
  /** The sum over the conversations. */
  skipped: SkippedCounts;
}

const TurnSchema = z.looseObject({
  speaker: z.string().min(1, 'speaker may not be empty'),
  dia_id: z.string().regex(DIA_ID, 'dia_id must look like D<session>:<turn>, e.g. D1:3'),
  text: z.string(),
});

const QuestionSchema = z.looseObject({
  // The engine takes queries of at most 10,000 characters; refusing here fails before anything is loaded.
  question: z.string().min(1, 'question may not be empty').max(10_000),
  evidence: z.array(z.string()).default([]),
  category: z.number().int().min(1).max(5),
});

const SampleSchema = z.looseObject({
  sample_id: z.union([z.string().min(1), z.number().transform(String)]),
  conversation: z.looseObject({ speaker_a: z.string().min(1), speaker_b: z.string().min(1) }),
  qa: z.array(QuestionSchema),
});

type Turn = z.output<typeof TurnSchema>;

/**
 * Parses a conversation benchmark. Evidence ids that are malformed or name no turn are skipped
 * and counted, as are adversarial questions and questions left without evidence. Everything else
 * that is wrong is collected and thrown as one `VALIDATION_FAILED` whose issue paths point into
 * the file (`[2].qa[5].category`): not JSON, not an array, no samples, a bad field, a session
 * without a readable date, a dia id used twice, a repeated sample id, no question to ask.
 * @param source - Named in the error message, e.g. the file path. @default "conversation benchmark"
 */
export function parseConversationSet(text: string, source = 'conversation benchmark'): ConversationSet {
  const issues: ValidationIssue[] = [];
  const conversations: Conversation[] = [];
  const samples = jsonArray(text, issues);
  const ids = new Map<string, number>();
  samples?.forEach((raw, index) => {
    const conversation = readSample(raw, `[${index}]`, issues);
    if (conversation === undefined) return;
    const first = ids.get(conversation.id);
    if (first !== undefined) issues.push({ path: `[${index}].sample_id`, message: `sample ${conversation.id} already appears at [${first}]` });
    else ids.set(conversation.id, index);
    conversations.push(conversation);
  });
  if (samples !== undefined && samples.length === 0) issues.push({ path: '(file)', message: 'the file holds no samples' });
  else if (issues.length === 0 && conversations.every((c) => c.questions.length === 0)) {
    issues.push({ path: '(file)', message: 'no question of categories 1-4 has evidence naming a turn: nothing to measure' });
  }
  throwIssues(issues, source);
  return { conversations, skipped: sumSkipped(conversations) };
}

/** Reads and parses a conversation benchmark file; a missing file is `NOT_FOUND`. */
export async function readConversationSet(file: string): Promise<ConversationSet> {
  return parseConversationSet(await readInputFile(file), file);
}

/** The samples of the file, or undefined (with an issue) when it is not a JSON array. */
function jsonArray(text: string, issues: ValidationIssue[]): unknown[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    issues.push({ path: '(file)', message: `not valid JSON (${(error as Error).message})` });
    return undefined;
  }
  if (!Array.isArray(value)) {
    issues.push({ path: '(file)', message: 'expected a JSON array of samples ({sample_id, conversation, qa})' });
    return undefined;
  }
  return value;
}

/** One sample as a conversation, or undefined when its fields are wrong (the issues say why). */
function readSample(raw: unknown, path: string, issues: ValidationIssue[]): Conversation | undefined {
  const parsed = SampleSchema.safeParse(raw);
  if (!parsed.success) {
    issues.push(...zodIssues(path, parsed.error));
    return undefined;
  }
  const { sample_id: id, conversation, qa } = parsed.data;
  const memories = readTurns(id, conversation, `${path}.conversation`, issues);
  if (memories === undefined) return undefined;
  const turns = new Set(memories.map((m) => m.diaId));
  const skipped = noneSkipped();
  const questions: ConversationQuestion[] = [];
  qa.forEach((q, index) => {
    if (q.category === ADVERSARIAL) {
      skipped.adversarial += 1;
      return;
    }
    const evidence = new Set<string>();
    for (const e of q.evidence) {
      if (!DIA_ID.test(e)) skipped.malformedEvidence += 1;
      else if (!turns.has(e)) skipped.unknownEvidence += 1;
      else evidence.add(e);
    }
    if (evidence.size === 0) skipped.noEvidence += 1;
    else questions.push({ id: `${id}:q${index + 1}`, question: q.question, category: q.category as CategoryNumber, evidence: [...evidence] });
  });
  return { id, speakers: [conversation.speaker_a, conversation.speaker_b], memories, questions, skipped };
}

/** What the conversations left out, together. */
export function sumSkipped(conversations: readonly Conversation[]): SkippedCounts {
  const sum = noneSkipped();
  for (const c of conversations) for (const key of Object.keys(sum) as (keyof SkippedCounts)[]) sum[key] += c.skipped[key];
  return sum;
}

function noneSkipped(): SkippedCounts {
  return { adversarial: 0, malformedEvidence: 0, unknownEvidence: 0, noEvidence: 0 };
}

/**
 * The turns of every `session_N` of a conversation as memories, in dia id order, each dated by
 * its `session_N_date_time`; undefined when anything is wrong.
 */
function readTurns(sample: string, conversation: Record<string, unknown>, path: string, issues: ValidationIssue[]): ConversationMemory[] | undefined {
  const before = issues.length;
  const sessions = Object.keys(conversation)
    .map((key) => Number(SESSION_KEY.exec(key)?.[1]))
    .filter((n) => Number.isInteger(n))
    .sort((a, b) => a - b);
  if (sessions.length === 0) issues.push({ path, message: `sample ${sample} has no session_N turns` });
  const memories: ConversationMemory[] = [];
  const seen = new Map<string, string>();
  for (const session of sessions) {
    const key = `session_${session}`;
    const turns = z.array(TurnSchema).safeParse(conversation[key]);
    if (!turns.success) {
      issues.push(...zodIssues(`${path}.${key}`, turns.error));
      continue;
    }
    const date = sessionDate(sample, session, conversation[`${key}_date_time`], `${path}.${key}_date_time`, issues);
    if (date === undefined) continue;
    for (const [index, turn] of inTurnOrder(turns.data)) {
      const first = seen.get(turn.dia_id);
      if (first !== undefined) issues.push({ path: `${path}.${key}[${index}].dia_id`, message: `sample ${sample}: dia_id ${turn.dia_id} already names the turn at ${first}` });
      else seen.set(turn.dia_id, `${path}.${key}[${index}]`);
      const metadata = { diaId: turn.dia_id, session, date };
      memories.push({ diaId: turn.dia_id, content: `${turn.speaker}: ${turn.text}`, runId: `session-${session}`, metadata });
    }
  }
  if (issues.length === before && memories.length === 0) issues.push({ path, message: `sample ${sample} has no turns` });
  return issues.length === before ? memories : undefined;
}

/** The turns of a session with their index in the file, ordered by the turn number of their dia id (the file's order on ties). */
function inTurnOrder(turns: Turn[]): [number, Turn][] {
  const turnNumber = (t: Turn): number => Number(DIA_ID.exec(t.dia_id)![2]);
  return [...turns.entries()].sort(([i, a], [j, b]) => turnNumber(a) - turnNumber(b) || i - j);
}

/** The session's date as ISO 8601, or undefined with an issue naming the sample and the session. */
function sessionDate(sample: string, session: number, value: unknown, path: string, issues: ValidationIssue[]): string | undefined {
  const date = typeof value === 'string' ? parseSessionDate(value) : undefined;
  if (date !== undefined) return date;
  const shown = value === undefined ? 'no date' : `unreadable date ${JSON.stringify(value).slice(0, 80)}`;
  issues.push({ path, message: `sample ${sample}, session ${session}: ${shown} (expected e.g. "1:56 pm on 8 May, 2023" or an ISO 8601 date)` });
  return undefined;
}

function zodIssues(path: string, error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: `${path}${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`,
    message: issue.message,
  }));
}

/** Throws the issues, if any, as one `VALIDATION_FAILED` naming the first, in the order found (the file's). */
function throwIssues(issues: ValidationIssue[], source: string): void {
  const first = issues[0];
  if (first === undefined) return;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new MemspaceError('VALIDATION_FAILED', `invalid ${source}: ${first.path}: ${first.message}${more}`, {
    issues: issues.slice(0, MAX_ISSUES),
  });
}
