import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EXTRACT_MARKER, RECONCILE_MARKER } from '../../../src/compat/mem0/inference.js';
import { mem0Clients, startFakeLlm, startMem0Server, type ChatRequest, type FakeLlm, type Mem0Server } from './harness.js';

/**
 * Fact extraction and reconciliation (mem0's infer: true) against a real HTTP server speaking
 * the OpenAI chat-completions protocol, whose answers are canned and keyed on the request.
 */
let llm: FakeLlm;
let server: Mem0Server;
let Clients: Awaited<ReturnType<typeof mem0Clients>>;
let key: string;
type Json = Record<string, unknown>;

/** Facts the fake model "extracts", keyed on words of the conversation. */
const EXTRACTED: [string, string[] | number | string][] = [
  ['My name is Ada and I love pizza', ['Name is Ada', 'Loves pizza']],
  ['pineapple', ['Loves pizza with pineapple']],
  ['gone off pizza', ['Dislikes pizza']],
  ['Bob here', ['Loves pizza too']],
  ['overloaded', 503],
  ['gibberish', 'I am not JSON, sorry'],
  ['Hello there', []],
];

/** The fake model's reconciliation: one decision per new fact, from the stored memories it is shown. */
function reconcile(stored: { id: string; text: string }[], facts: string[]): Json[] {
  const find = (pattern: RegExp): { id: string; text: string } | undefined => stored.find((m) => pattern.test(m.text));
  return facts.flatMap((fact): Json[] => {
    const same = stored.find((m) => m.text === fact);
    if (same) return [{ id: same.id, text: same.text, event: 'NONE' }];
    if (fact === 'Loves pizza with pineapple') {
      const old = find(/^Loves pizza$/);
      if (old) return [{ id: old.id, text: fact, event: 'UPDATE', old_memory: old.text }];
    }
    if (fact === 'Dislikes pizza') {
      const old = find(/^Loves pizza/);
      if (old) return [{ id: old.id, text: old.text, event: 'DELETE' }, { id: 'new', text: fact, event: 'ADD' }];
    }
    return [{ id: String(stored.length + 100), text: fact, event: 'ADD' }];
  });
}

function answer(request: ChatRequest): string | number {
  if (request.system.startsWith(EXTRACT_MARKER)) {
    const hit = EXTRACTED.find(([words]) => request.user.includes(words));
    if (hit === undefined) return JSON.stringify({ facts: [] });
    const [, facts] = hit;
    return Array.isArray(facts) ? JSON.stringify({ facts }) : facts;
  }
  if (request.system.startsWith(RECONCILE_MARKER)) {
    const { stored_memories, new_facts } = JSON.parse(request.user) as { stored_memories: { id: string; text: string }[]; new_facts: string[] };
    // Fenced, as some models answer: the server must cope.
    return `\`\`\`json\n${JSON.stringify({ memory: reconcile(stored_memories, new_facts) })}\n\`\`\``;
  }
  return 400;
}

beforeAll(async () => {
  Clients = await mem0Clients();
  llm = await startFakeLlm(answer);
  server = await startMem0Server({ spaces: ['alpha'], config: { llmBaseUrl: llm.url, llmApiKey: 'llm-secret', llmModel: 'fake-model' } });
  key = await server.key([{ space: 'alpha' }], 'alpha');
});
afterAll(async () => {
  await server.close();
  await llm.close();
});
beforeEach(() => {
  llm.requests.length = 0;
});

describe('mem0 inference with an OpenAI-compatible LLM', () => {
  it('extracts facts, then adds, updates and deletes memories as the LLM decides, all in history', async () => {
    const c = new Clients.v3({ apiKey: key, host: server.url });
    const bob = (await c.add([{ role: 'user', content: 'Bob here, I like pizza as well' }], { userId: 'bob' })) as unknown as { results: Json[] };
    expect(bob.results).toEqual([{ id: expect.any(String), memory: 'Loves pizza too', event: 'ADD' }]);
    llm.requests.length = 0;

    const first = (await c.add(
      [
        { role: 'user', content: 'My name is Ada and I love pizza' },
        { role: 'assistant', content: 'Nice to meet you, Ada!' },
      ],
      { userId: 'ada', metadata: { source: 'chat' }, customInstructions: 'Keep food preferences' },
    )) as unknown as { results: Json[]; inference: string };
    expect(first.inference).toBe('applied');
    expect(first.results.map((r) => [r['event'], r['memory']])).toEqual([
      ['ADD', 'Name is Ada'],
      ['ADD', 'Loves pizza'],
    ]);
    const pizzaId = first.results[1]!['id'] as string;
    expect(await c.get(pizzaId)).toMatchObject({ memory: 'Loves pizza', userId: 'ada', metadata: { source: 'chat' } });

    // What the model was sent: the conversation, the caller's instructions, JSON mode, the key and model.
    const [extract, decide] = llm.requests;
    expect(extract).toMatchObject({ authorization: 'Bearer llm-secret', model: 'fake-model', responseFormat: { type: 'json_object' } });
    expect(extract!.user).toContain('user: My name is Ada and I love pizza\nassistant: Nice to meet you, Ada!');
    expect(extract!.system).toContain('Keep food preferences');
    // Ada had no memories yet, and Bob's are not hers to see.
    expect(JSON.parse(decide!.user)).toEqual({ stored_memories: [], new_facts: ['Name is Ada', 'Loves pizza'] });

    llm.requests.length = 0;
    const second = (await c.add([{ role: 'user', content: 'Actually, I love pizza with pineapple' }], { userId: 'ada' })) as unknown as { results: Json[] };
    expect(second.results).toEqual([{ id: pizzaId, memory: 'Loves pizza with pineapple', event: 'UPDATE', previousMemory: 'Loves pizza' }]);
    const shown = JSON.parse(llm.requests[1]!.user) as { stored_memories: { id: string; text: string }[] };
    expect(shown.stored_memories.map((m) => m.text).sort()).toEqual(['Loves pizza', 'Name is Ada']);
    // Stored memories go to the model under small ids, never their real ones.
    expect(llm.requests[1]!.user).not.toContain(pizzaId);
    expect(shown.stored_memories.map((m) => m.id).sort()).toEqual(['0', '1']);

    const third = (await c.add([{ role: 'user', content: "I've gone off pizza" }], { userId: 'ada' })) as unknown as { results: Json[] };
    expect(third.results.map((r) => [r['event'], r['memory']])).toEqual([
      ['DELETE', 'Loves pizza with pineapple'],
      ['ADD', 'Dislikes pizza'],
    ]);
    expect(third.results[0]!['id']).toBe(pizzaId);

    const history = await c.history(pizzaId);
    expect(history.map((h) => [h.event, h.oldMemory, h.newMemory])).toEqual([
      ['ADD', null, 'Loves pizza'],
      ['UPDATE', 'Loves pizza', 'Loves pizza with pineapple'],
      ['DELETE', 'Loves pizza with pineapple', null],
    ]);
    expect((await c.getAll({ filters: { user_id: 'ada' } })).results.map((m) => m.memory).sort()).toEqual(['Dislikes pizza', 'Name is Ada']);
    expect((await c.getAll({ filters: { user_id: 'bob' } })).results.map((m) => m.memory)).toEqual(['Loves pizza too']);
  });

  it('makes no second call when there is nothing to remember, and none at all with infer: false', async () => {
    const c = new Clients.v3({ apiKey: key, host: server.url });
    expect(await c.add([{ role: 'user', content: 'Hello there' }], { userId: 'cy' })).toMatchObject({ results: [], inference: 'applied' });
    expect(llm.requests).toHaveLength(1);
    llm.requests.length = 0;
    expect(await c.add([{ role: 'user', content: 'Hello there' }], { userId: 'cy', infer: false })).toMatchObject({ results: [{ event: 'ADD' }], inference: 'off' });
    expect(llm.requests).toHaveLength(0);
    await c.deleteAll({ userId: 'cy' });
  });

  it('reports LLM failures as BACKEND_UNAVAILABLE and writes nothing', async () => {
    const c = new Clients.v3({ apiKey: key, host: server.url });
    const before = (await server.ms.memories.list('alpha', { limit: 1000 })).items.length;
    await expect(c.add([{ role: 'user', content: 'the model is overloaded today' }], { userId: 'dee' })).rejects.toMatchObject({
      name: 'NetworkError',
      message: expect.stringMatching(/BACKEND_UNAVAILABLE.*HTTP 503/),
    });
    await expect(c.add([{ role: 'user', content: 'some gibberish' }], { userId: 'dee' })).rejects.toMatchObject({
      name: 'NetworkError',
      message: expect.stringContaining('did not answer with JSON'),
    });
    expect((await server.ms.memories.list('alpha', { limit: 1000 })).items.length).toBe(before);
  });

  it('infers through the 2.x client and the v1 endpoint too', async () => {
    const c = new Clients.v2({ apiKey: key, host: server.url });
    const added = (await c.add([{ role: 'user', content: 'My name is Ada and I love pizza' }], { user_id: 'ada2', output_format: 'v1.0' })) as unknown as Json[];
    expect(added.map((r) => [r['event'], (r['data'] as Json)['memory']])).toEqual([
      ['ADD', 'Name is Ada'],
      ['ADD', 'Loves pizza'],
    ]);
    await c.deleteAll({ user_id: 'ada2' });
  });
});
