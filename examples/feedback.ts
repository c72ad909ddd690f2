// Feedback through the SDK: MEMSPACE_URL and MEMSPACE_KEY, a key that may write acme.support.
import { MemspaceClient } from 'memspace/client';

const ms = new MemspaceClient({ baseUrl: process.env.MEMSPACE_URL ?? 'http://127.0.0.1:7420', apiKey: process.env.MEMSPACE_KEY, space: 'acme.support' });
const runId = crypto.randomUUID(); // this run's memories only, so the example runs again alike

const slow = await ms.memories.add({ content: 'Refunds take up to 30 days', runId });
const fast = await ms.memories.add({ content: 'Refunds are paid within 5 days', runId });
const query = 'how long does a refund take?';
console.log((await ms.search({ query, runId })).map((hit) => hit.memory.content));

// The agent answered from the first hit and the user corrected it: the second was right.
const given = await ms.feedback('acme.support', { query, results: [{ id: slow.id, signal: 'wrong' }, { id: fast.id, signal: 'helpful' }] });
console.log(given.pheromones.map((p) => p.level));
// Searches weigh feedback when they ask (or when the space's settings, feedback.rank, do).
console.log((await ms.search({ query, runId, rank: { feedback: 0.5 } })).map((hit) => hit.memory.content));

// Documents from elsewhere, ordered by their likeness to the query and what the space learnt.
const { results } = await ms.rerank('acme.support', {
  query: 'refund delay',
  documents: [
    { id: 'kb-40', text: 'Shipping is free over 50 euros' },
    { id: 'kb-12', text: 'A refund reaches your card within a week' },
  ],
});
console.log(results.map((doc) => doc.id));

// The space is shared with other examples: this one leaves no memory behind.
for (const memory of [slow, fast]) await ms.memories.delete(memory.id);
