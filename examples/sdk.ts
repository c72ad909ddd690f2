// A client of a running memspace server: MEMSPACE_URL (default http://127.0.0.1:7420) and
// MEMSPACE_KEY, a key that may write the space acme.support.
import { MemspaceClient, MemspaceError } from 'memspace/client';

const ms = new MemspaceClient({
  baseUrl: process.env.MEMSPACE_URL ?? 'http://127.0.0.1:7420',
  apiKey: process.env.MEMSPACE_KEY,
  space: 'acme.support',
});

const memory = await ms.memories.add({ content: 'Customer 7 asked for invoices in PDF', userId: 'customer-7', tags: ['billing'] });
const hits = await ms.search({ query: 'what format does customer 7 want?', userId: 'customer-7', limit: 3 });
console.log(hits.map((hit) => `${hit.score.toFixed(3)} ${hit.memory.content}`));

await ms.memories.update(memory.id, { content: 'Customer 7 wants invoices in PDF, sent by email' });
console.log((await ms.memories.history(memory.id)).map((entry) => `${entry.action}: ${entry.newContent}`));

try {
  await ms.memories.get('no-such-id');
} catch (error) {
  if (error instanceof MemspaceError) console.log(error.code, error.message);
}

// Leave the space as it was, then read this memory's changes back from the space's change stream.
await ms.memories.delete(memory.id);
const stop = new AbortController();
setTimeout(() => stop.abort(), 1000);
for await (const event of ms.events(undefined, { signal: stop.signal })) {
  if (event.id === memory.id) console.log(event.op);
}
