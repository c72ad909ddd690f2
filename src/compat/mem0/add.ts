import { isMemspaceError } from '../../core/errors.js';
import type { ChatModel } from '../../core/ports/chat-model.js';
import type { CallContext } from '../../engine/access-guard.js';
import type { Memspace } from '../../memspace.js';
import { conversationText, decideUpdates, extractFacts, type StoredMemory } from './inference.js';
import { expiresAtOf, type Mem0Event } from './mapping.js';
import type { Mem0Add, Mem0Message } from './schemas.js';

/** How an add treated its messages. */
export type InferenceOutcome =
  /** Facts were extracted and reconciled by the configured LLM. */
  | 'applied'
  /** `infer: false`: each message was stored as it is. */
  | 'off'
  /** `infer: true` but no LLM is configured: each message was stored as it is. */
  | 'unavailable';

/** What an add did. */
export interface AddOutcome {
  events: Mem0Event[];
  inference: InferenceOutcome;
}

/** Where and as whom the memories of one add go. */
export interface AddTarget {
  space: string;
  /** The user id without its namespace. */
  userId: string | undefined;
  ctx: CallContext;
}

/** How many stored memories each new fact brings to the reconciliation (mem0 uses 5). */
const SIMILAR_PER_FACT = 5;

/**
 * Adds a mem0 `add` request to a space. With `infer` and an LLM, mem0's algorithm: extract
 * facts, find the similar memories of the same user/agent/run, let the LLM decide, apply the
 * decisions through the engine (so history and audit record each). Otherwise every user and
 * assistant message becomes one memory, with its role in `metadata.role` (as mem0 stores
 * messages it does not infer from), all in one all-or-nothing batch.
 */
export async function addMessages(ms: Pick<Memspace, 'memories' | 'search'>, chat: ChatModel | undefined, body: Mem0Add, target: AddTarget, today: string): Promise<AddOutcome> {
  const messages: Mem0Message[] = body.messages;
  const scope = {
    ...(target.userId !== undefined && { userId: target.userId }),
    ...(body.agent_id != null && { agentId: body.agent_id }),
    ...(body.run_id != null && { runId: body.run_id }),
  };
  const base = {
    ...scope,
    metadata: body.metadata ?? {},
    ...(body.expiration_date != null && { expiresAt: expiresAtOf(body.expiration_date) }),
  };
  if (!body.infer || chat === undefined) {
    const inputs = messages.filter((m) => m.role !== 'system' && m.content.trim() !== '').map((m) => ({ ...base, content: m.content, metadata: { ...base.metadata, role: m.role } }));
    const added = inputs.length === 0 ? [] : await ms.memories.addMany(target.space, inputs, target.ctx);
    return { events: added.map((m) => ({ id: m.id, memory: m.content, event: 'ADD' })), inference: body.infer ? 'unavailable' : 'off' };
  }

  const conversation = conversationText(messages);
  if (conversation === '') return { events: [], inference: 'applied' };
  const facts = await extractFacts(chat, conversation, { instructions: body.custom_instructions ?? body.agent_custom_instructions, includes: body.includes, excludes: body.excludes }, today);
  if (facts.length === 0) return { events: [], inference: 'applied' };

  // The similar memories of the same scope, each shown once under a temporary id.
  const realIds: string[] = [];
  const stored: StoredMemory[] = [];
  const current = new Map<string, string>();
  for (const fact of facts) {
    const { results } = await ms.search.run(target.space, { query: fact, mode: 'vector', limit: SIMILAR_PER_FACT, ...scope }, target.ctx);
    for (const hit of results) {
      if (current.has(hit.memory.id)) continue;
      current.set(hit.memory.id, hit.memory.content);
      stored.push({ id: String(realIds.length), text: hit.memory.content });
      realIds.push(hit.memory.id);
    }
  }
  const decisions = await decideUpdates(chat, stored, facts);

  const events: Mem0Event[] = [];
  const touched = new Set<string>();
  for (const decision of decisions) {
    const text = decision.text.trim();
    if (decision.event === 'ADD') {
      if (text === '') continue;
      const memory = await ms.memories.add(target.space, { ...base, content: text }, target.ctx);
      events.push({ id: memory.id, memory: memory.content, event: 'ADD' });
      continue;
    }
    // UPDATE, DELETE and NONE name a stored memory; an id the model made up changes nothing.
    const id = decision.id === null ? undefined : realIds[Number(decision.id)];
    if (decision.event === 'NONE' || id === undefined || !/^\d+$/.test(decision.id ?? '') || touched.has(id)) continue;
    touched.add(id);
    const before = current.get(id)!;
    try {
      if (decision.event === 'UPDATE') {
        if (text === '' || text === before) continue;
        const memory = await ms.memories.update(target.space, id, { content: text }, target.ctx);
        events.push({ id, memory: memory.content, event: 'UPDATE', previous_memory: before });
      } else {
        await ms.memories.delete(target.space, id, target.ctx);
        events.push({ id, memory: before, event: 'DELETE' });
      }
    } catch (error) {
      // Deleted by someone else since the search: there is nothing left to change.
      if (!isMemspaceError(error, 'NOT_FOUND')) throw error;
    }
  }
  return { events, inference: 'applied' };
}
