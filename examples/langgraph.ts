// Long-term memory for a LangGraph.js graph, kept in memspace spaces (./memspace-data).
import { Annotation, END, MemorySaver, START, StateGraph } from '@langchain/langgraph';
import { loadConfig, openMemspace } from 'memspace';
import { MemspaceStore } from 'memspace/langgraph';

const ms = await openMemspace(loadConfig({ dataDir: './memspace-data' }));
const store = new MemspaceStore({
  memspace: ms,
  // ["alice", "facts"] lives in space "agent.alice"; { space: "agents" } would keep every namespace in one space
  mapping: { spaceFromFirstLabel: true, spacePrefix: 'agent.' },
  createSpaces: true,
});

const State = Annotation.Root({
  userId: Annotation<string>(),
  fact: Annotation<string | undefined>(),
  recalled: Annotation<string[]>(),
});
const graph = new StateGraph(State)
  .addNode('remember', async (state, config) => {
    const namespace = [state.userId, 'facts'];
    // A put under an existing key replaces the item: running this file again stores nothing twice.
    if (state.fact) await config.store!.put(namespace, 'drink', { text: state.fact });
    const items = await config.store!.search(namespace, { query: 'what does the user drink?', limit: 3 });
    return { recalled: items.map((item) => String(item.value['text'])) };
  })
  .addEdge(START, 'remember')
  .addEdge('remember', END)
  .compile({ store, checkpointer: new MemorySaver() });

await graph.invoke({ userId: 'alice', fact: 'Alice drinks green tea' }, { configurable: { thread_id: 'monday' } });
const { recalled } = await graph.invoke({ userId: 'alice' }, { configurable: { thread_id: 'tuesday' } });
console.log(recalled); // another thread, same store
console.log((await ms.spaces.list({ prefix: 'agent.' })).items.map((space) => space.name));
await ms.close();
