// memspace in your own process: no server, the data directory ./memspace-data.
import { isMemspaceError, loadConfig, openMemspace } from 'memspace';

/** Runs a write that may have happened already (on an earlier run): CONFLICT means it is there. */
async function once(write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (!isMemspaceError(error, 'CONFLICT')) throw error;
  }
}

const ms = await openMemspace(loadConfig({ dataDir: './memspace-data' }));
try {
  await once(() => ms.spaces.create({ name: 'acme.support', description: 'tickets' }));
  // A chosen id makes the add idempotent: running this file again adds nothing twice.
  await once(() =>
    ms.memories.add('acme.support', {
      id: 'customer-42.contact',
      content: 'Customer 42 prefers email over phone',
      userId: 'customer-42',
      tags: ['preference'],
      metadata: { channel: 'email', priority: 2 },
    }),
  );
  await once(() =>
    ms.memories.add('acme.support', {
      id: 'customer-42.plan',
      content: 'Customer 42 is on the enterprise plan',
      userId: 'customer-42',
      metadata: { priority: 5 },
    }),
  );

  const { results } = await ms.search.run('acme.support', {
    query: 'how should we contact customer 42?',
    userId: 'customer-42',
    filter: { 'metadata.priority': { lte: 3 } },
    limit: 5,
  });
  console.log(results.map((r) => [r.score.toFixed(3), r.memory.content]));

  try {
    await ms.memories.get('acme.support', 'no-such-id');
  } catch (error) {
    if (isMemspaceError(error)) console.log(error.code, error.message);
  }
} finally {
  await ms.close();
}
