// The same client over gRPC: MEMSPACE_GRPC (default 127.0.0.1:7421) and MEMSPACE_KEY, a key
// that may write the space acme.support. Swap MemspaceClient for MemspaceGrpcClient and the
// calls stay the same.
import { MemspaceError, MemspaceGrpcClient } from 'memspace/client/grpc';

const ms = new MemspaceGrpcClient({
  address: process.env.MEMSPACE_GRPC ?? '127.0.0.1:7421',
  apiKey: process.env.MEMSPACE_KEY,
  space: 'acme.support',
});

const memory = await ms.memories.add({ content: 'Customer 9 prefers phone calls', userId: 'customer-9', tags: ['contact'] });
const hits = await ms.search({ query: 'how should we reach customer 9?', userId: 'customer-9', limit: 3 });
console.log(hits.map((hit) => `${hit.score.toFixed(3)} ${hit.memory.content}`));

// Many memories on one stream, pulled from any iterable or async iterable as the server takes them.
const notes = ['Customer 9 lives in Lisbon', 'Customer 9 renews in March'].map((content) => ({ content, userId: 'customer-9' }));
const { added, ids } = await ms.memories.addStream(notes);
console.log(`added ${added}`);

// The whole space (or what a filter keeps), oldest first, as one stream: no pages.
for await (const m of ms.memories.all({ filter: { userId: { eq: 'customer-9' } } })) console.log(m.content);

try {
  await ms.memories.get('no-such-id', { timeoutMs: 5000 });
} catch (error) {
  if (error instanceof MemspaceError) console.log(error.code, error.message);
}

// Leave the space as it was, then read these changes back from the change feed (Events.Watch).
for (const id of [memory.id, ...ids]) await ms.memories.delete(id);
const stop = new AbortController();
setTimeout(() => stop.abort(), 1000);
for await (const event of ms.events(undefined, { signal: stop.signal })) {
  if (event.id === memory.id) console.log(event.op);
}
ms.close();
