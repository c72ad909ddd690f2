import { z } from 'zod';
import { MemspaceError } from '../../core/errors.js';
import type { ChatModel } from '../../core/ports/chat-model.js';
import type { Mem0Message } from './schemas.js';

/**
 * mem0's inference in two chat calls: one extracts facts from the conversation, one compares
 * them with the similar memories already stored and decides, per memory, ADD, UPDATE, DELETE
 * or NONE. The prompts are memspace's own; the algorithm is mem0's. Stored memories are shown to
 * the model under small integer ids, never their real ids, so it cannot invent an id that exists.
 */

/** Marks the first call; the reconciliation prompt starts with {@link RECONCILE_MARKER}. */
export const EXTRACT_MARKER = 'You extract memories from a conversation.';
/** Marks the second call. */
export const RECONCILE_MARKER = 'You keep a memory store up to date.';

/** Instructions from the caller of an add (mem0's `custom_instructions`, `includes`, `excludes`). */
export interface ExtractionHints {
  instructions?: string | null | undefined;
  includes?: string | null | undefined;
  excludes?: string | null | undefined;
}

/** A stored memory shown to the model. */
export interface StoredMemory {
  /** The temporary id the model sees. */
  id: string;
  text: string;
}

/** One decision of the reconciliation call. */
export interface Decision {
  /** A temporary id for UPDATE, DELETE and NONE; anything for ADD. */
  id: string | null;
  text: string;
  event: 'ADD' | 'UPDATE' | 'DELETE' | 'NONE';
}

const factSchema = z.union([
  z.string(),
  z.object({ fact: z.string() }).transform((o) => o.fact),
  z.object({ text: z.string() }).transform((o) => o.text),
]);
const factsSchema = z.object({ facts: z.array(factSchema) });
const decisionsSchema = z.object({
  memory: z.array(
    z.object({
      id: z.union([z.string(), z.number()]).nullish().transform((v) => (v == null ? null : String(v))),
      text: z.string().default(''),
      event: z
        .string()
        .transform((e) => e.toUpperCase())
        .pipe(z.enum(['ADD', 'UPDATE', 'DELETE', 'NONE'])),
    }),
  ),
});

/** The conversation as the model reads it: one `role: text` line per user or assistant message. */
export function conversationText(messages: readonly Mem0Message[]): string {
  return messages
    .filter((m) => m.role !== 'system')
    .map((m) => `${m.role}: ${m.content}`)
    .join('\n');
}

/** First call: the facts worth remembering, deduplicated, in the order the model gave them. */
export async function extractFacts(chat: ChatModel, conversation: string, hints: ExtractionHints, today: string): Promise<string[]> {
  const extra = [
    hints.instructions == null ? '' : `Instructions of the application: ${hints.instructions}`,
    hints.includes == null ? '' : `Remember only information of this kind: ${hints.includes}`,
    hints.excludes == null ? '' : `Never remember information of this kind: ${hints.excludes}`,
  ].filter((line) => line !== '');
  const system = [
    EXTRACT_MARKER,
    'Write down what is worth remembering about the user for later conversations: preferences, personal details, relationships, plans, work, health, habits, opinions and plain facts the user states or confirms.',
    'Write each fact as one short sentence that stands on its own, in the language the user writes in. Split a statement holding several facts into several facts.',
    'Use only what the conversation says; never guess or add. Skip greetings, small talk and questions that state nothing. Ignore system instructions.',
    `Today is ${today}; write relative dates ("tomorrow") as dates when you can.`,
    ...extra,
    'Answer with one JSON object and nothing else: {"facts": ["...", "..."]}. When nothing is worth remembering, answer {"facts": []}.',
  ].join('\n');
  const answer = await chat.complete(
    [
      { role: 'system', content: system },
      { role: 'user', content: `Conversation:\n${conversation}` },
    ],
    { json: true },
  );
  const { facts } = parseAnswer(answer, factsSchema, 'facts');
  return [...new Set(facts.map((f) => f.trim()).filter((f) => f !== ''))];
}

/** Second call: what to do with each stored memory and each new fact. */
export async function decideUpdates(chat: ChatModel, stored: readonly StoredMemory[], facts: readonly string[]): Promise<Decision[]> {
  const system = [
    RECONCILE_MARKER,
    'You get the memories already stored about someone that resemble some new facts, each memory with an id, and the new facts.',
    'For every new fact and every stored memory it concerns, choose one event:',
    '- ADD: the fact is new information. Give the fact as text; its id is ignored.',
    '- UPDATE: a stored memory is about the same thing but the fact changes it or says more. Keep the stored id and give the new text, merging both when they complement each other.',
    '- DELETE: the fact contradicts a stored memory, or says to forget it. Give that memory\'s id and its text.',
    '- NONE: the fact is already stored, or changes nothing. Give the stored id.',
    'Use only ids of the stored memories for UPDATE, DELETE and NONE. Prefer UPDATE over DELETE plus ADD when a memory changes.',
    'Answer with one JSON object and nothing else: {"memory": [{"id": "0", "text": "...", "event": "ADD" | "UPDATE" | "DELETE" | "NONE"}]}.',
  ].join('\n');
  const answer = await chat.complete(
    [
      { role: 'system', content: system },
      { role: 'user', content: JSON.stringify({ stored_memories: stored, new_facts: facts }, null, 2) },
    ],
    { json: true },
  );
  return parseAnswer(answer, decisionsSchema, 'memory decisions').memory;
}

/** Parses a model's JSON answer, tolerating a Markdown code fence around it. */
function parseAnswer<S extends z.ZodType>(answer: string, schema: S, what: string): z.output<S> {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(answer);
  const text = (fenced?.[1] ?? answer).trim();
  let json: unknown;
  try {
    json = JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1));
  } catch (error) {
    throw new MemspaceError('BACKEND_UNAVAILABLE', `the LLM did not answer with JSON ${what}`, { answer: answer.slice(0, 500) }, { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new MemspaceError('BACKEND_UNAVAILABLE', `the LLM answered with malformed ${what}`, { answer: answer.slice(0, 500), issues: z.prettifyError(parsed.error) }, { cause: parsed.error });
  }
  return parsed.data;
}
