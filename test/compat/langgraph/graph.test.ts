import { Annotation, END, getStore, MemorySaver, START, StateGraph, type LangGraphRunnableConfig } from '@langchain/langgraph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemspaceStore } from '../../../src/compat/langgraph/index.js';
import { allMemories } from '../../support/temp-memspace.js';
import { toyMemspace } from './store-fixture.js';

let ms: Awaited<ReturnType<typeof toyMemspace>>;
beforeAll(async () => {
  ms = await toyMemspace();
});
afterAll(async () => ms.cleanup());

const State = Annotation.Root({
  userId: Annotation<string>(),
  fact: Annotation<string | undefined>(),
  remembered: Annotation<string[]>(),
});

/** A graph that writes the fact it is given (through `config.store`) and recalls every fact of the user (through `getStore()`). */
function memoryGraph(store: MemspaceStore) {
  return new StateGraph(State)
    .addNode('write', async (state, config: LangGraphRunnableConfig) => {
      if (state.fact !== undefined) await config.store!.put([state.userId, 'facts'], `fact-${state.fact.length}`, { text: state.fact });
      return {};
    })
    .addNode('recall', async (state) => {
      const items = await getStore()!.search([state.userId, 'facts'], { query: 'what does the user drink?' });
      return { remembered: items.map((item) => String(item.value['text'])) };
    })
    .addEdge(START, 'write')
    .addEdge('write', 'recall')
    .addEdge('recall', END)
    .compile({ store, checkpointer: new MemorySaver() });
}

describe('a LangGraph graph compiled with a MemspaceStore', () => {
  it('remembers across threads through the store, each user in a space of its own', async () => {
    const store = new MemspaceStore({ memspace: ms, mapping: { spaceFromFirstLabel: true, spacePrefix: 'agent.' }, createSpaces: true });
    const graph = memoryGraph(store);

    await graph.invoke({ userId: 'u1', fact: 'drinks green tea' }, { configurable: { thread_id: 'thread-1' } });
    await graph.invoke({ userId: 'u2', fact: 'drinks black coffee' }, { configurable: { thread_id: 'thread-2' } });
    const later = await graph.invoke({ userId: 'u1' }, { configurable: { thread_id: 'thread-3' } });

    expect(later.remembered).toEqual(['drinks green tea']);
    expect((await allMemories(ms, 'agent.u1')).byId.size).toBe(1);
    expect((await allMemories(ms, 'agent.u2')).byId.size).toBe(1);
    // A fresh graph over the same memspace sees what the first one stored.
    const again = await memoryGraph(new MemspaceStore({ memspace: ms, mapping: { spaceFromFirstLabel: true, spacePrefix: 'agent.' } })).invoke(
      { userId: 'u2' },
      { configurable: { thread_id: 'thread-4' } },
    );
    expect(again.remembered).toEqual(['drinks black coffee']);
  });
});
