// The official mem0 client (npm mem0ai) against memspace: only the host and the key change.
// MEMSPACE_KEY is a memspace key whose default space is where the memories go; run with
// MEM0_TELEMETRY=false, or the mem0ai client reports every call to mem0's analytics service.
import { MemoryClient } from 'mem0ai';

const client = new MemoryClient({ apiKey: process.env.MEMSPACE_KEY!, host: process.env.MEMSPACE_URL ?? 'http://127.0.0.1:7420' });

await client.add([{ role: 'user', content: 'Please contact me by email, never by phone' }], { userId: 'customer-42' });
const { results } = await client.search('how should we contact customer 42?', { filters: { user_id: 'customer-42' } });
console.log(results.map((m) => [m.memory, m.score?.toFixed(3)]));

const all = await client.getAll({ filters: { user_id: 'customer-42' } });
const id = all.results[0]!.id;
await client.update(id, { text: 'Contact customer 42 by email only' });
console.log((await client.history(id)).map((h) => [h.event, h.newMemory]));
console.log((await client.users()).results.map((u) => u.name));

// Leave the space as it was.
await client.deleteAll({ userId: 'customer-42' });
console.log((await client.getAll({ filters: { user_id: 'customer-42' } })).results.length);
