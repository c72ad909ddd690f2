import { afterAll, describe, expect, it } from 'vitest';
import { killServeProcesses, startServeProcess } from '../support/serve-process.js';
import { tempDir, tempMemspace } from '../support/temp-memspace.js';

/*
 * kill -9 during a burst of feedback: a `memspace serve` child takes feedback calls from several
 * concurrent senders, each on a memory of its own; the test kills it with SIGKILL while calls
 * are in flight, reopens the data directory in-process and checks that every acknowledged call
 * is there (its deposit in the memory's pheromone, its audit entry, its change event) and that
 * nothing was recorded that was not sent.
 */

const SPACE = 'burst';
const MEMORIES = 600;
const SENDERS = 8;
/** Acknowledged calls after which the server is killed: the burst is well under way, with more in flight. */
const KILL_AFTER = 250;

afterAll(() => killServeProcesses());

describe('feedback under kill -9', () => {
  it('keeps every acknowledged call, whole, and nothing never sent', { timeout: 120_000 }, async () => {
    const dataDir = tempDir();
    const setup = await tempMemspace({ dataDir });
    await setup.spaces.create({ name: SPACE, embedder: 'none', dimension: 4 });
    const ids = (await setup.memories.addMany(SPACE, Array.from({ length: MEMORIES }, (_, i) => ({ content: `note ${i}`, embedding: [1, i / MEMORIES, 0, 0] })))).map((m) => m.id);
    await setup.close();

    const server = await startServeProcess(dataDir, ['--port', '0', '--grpc-port', '0', '--no-auth']);
    const sent = new Set<string>();
    const acked = new Set<string>();
    let next = 0;
    const sender = async (): Promise<void> => {
      while (next < MEMORIES) {
        const id = ids[next++]!;
        sent.add(id);
        const ok = await fetch(`${server.url}/v1/spaces/${SPACE}/feedback`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: `question ${id}`, results: [{ id, signal: 'helpful' }] }),
        }).then(
          (r) => r.ok,
          () => false,
        );
        if (!ok) return; // the server is gone
        acked.add(id);
        if (acked.size === KILL_AFTER) server.child.kill('SIGKILL');
      }
    };
    await Promise.all(Array.from({ length: SENDERS }, sender));
    await server.exited;
    // Killed mid-burst, with calls sent but not answered, or this test proves nothing.
    expect(acked.size).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(sent.size).toBeLessThan(MEMORIES);

    const ms = await tempMemspace({ dataDir });
    try {
      const pheromones = await ms.registry.use(SPACE, ({ store }) => store.pheromones(ids));
      const levels = new Map(pheromones.map((p) => [p.id, p.level]));
      for (const id of acked) expect(levels.get(id)).toBe(1);
      for (const id of levels.keys()) expect(sent.has(id)).toBe(true);
      const entries = await ms.spaces.audit(SPACE, { action: 'feedback.record', limit: 1000 });
      expect(entries.items.length).toBe(levels.size);
      expect((await ms.spaces.verifyAudit(SPACE)).ok).toBe(true);
      const events = await ms.registry.use(SPACE, ({ store }) => store.changes(0, 10_000));
      expect(events.filter((e) => e.op === 'feedback.recorded')).toHaveLength(levels.size);
      expect((await ms.health.spaceHealth(SPACE)).feedback).toMatchObject({ reinforced: levels.size });
    } finally {
      await ms.cleanup();
    }
  });
});
