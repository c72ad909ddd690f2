import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { killServeProcesses, startServeProcess } from '../support/serve-process.js';
import { tempDir, tempMemspace } from '../support/temp-memspace.js';

/*
 * kill -9 in the middle of a consolidation pass: a `memspace serve` child runs a pass over a
 * space of many repeated statements, the test kills it with SIGKILL while the pass is half done,
 * reopens the data directory in-process and checks that the space is consistent: every memory
 * is either untouched or merged with its history saying into which memory, no statement lost;
 * the half-done run can be undone; and the next pass finishes the work and records the
 * interrupted run in the audit trail.
 */

const DIM = 32;
const GROUPS = 2500;
const SPACE = 'crowded';

/** A seeded unit vector per statement: a statement's repeats share it, others are far. */
function vectorOf(group: number): number[] {
  let x = group * 7919 + 17;
  const v = Array.from({ length: DIM }, () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1);
  const norm = Math.hypot(...v);
  return v.map((c) => c / norm);
}

const statement = (group: number): string => `Dana waters plant ${group} on Tuesday`;

afterAll(() => killServeProcesses());

describe('a consolidation pass killed half-way', () => {
  it('leaves every memory merged with its history or untouched, undoable, and finished by the next pass', { timeout: 240_000 }, async () => {
    const dataDir = tempDir();
    const setup = await tempMemspace({ dataDir });
    await setup.spaces.create({ name: SPACE, embedder: 'none', dimension: DIM });
    const ids: string[][] = [];
    for (let from = 0; from < GROUPS; from += 500) {
      const inputs = [];
      for (let g = from; g < Math.min(GROUPS, from + 500); g++) {
        inputs.push({ content: statement(g), userId: 'u', embedding: vectorOf(g) }, { content: `Note: ${statement(g)}.`, userId: 'u', embedding: vectorOf(g) });
      }
      const added = await setup.memories.addMany(SPACE, inputs);
      for (let i = 0; i < added.length; i += 2) ids.push([added[i]!.id, added[i + 1]!.id]);
    }
    await setup.close();

    // Kill the server once some batches of the pass committed and many are still to come.
    const server = await startServeProcess(dataDir, ['--port', '0', '--grpc-port', '0', '--no-auth']);
    const pass = fetch(`${server.url}/v1/spaces/${SPACE}/consolidate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => undefined);
    let seen = 2 * GROUPS;
    while (seen > 1.8 * GROUPS) {
      const info = (await (await fetch(`${server.url}/v1/spaces/${SPACE}`)).json()) as { stats: { memories: number } };
      seen = info.stats.memories;
      if (seen <= GROUPS) break;
      await delay(5);
    }
    server.child.kill('SIGKILL');
    await server.exited;
    await pass;
    // The pass must have been caught half-way, or this test would prove nothing.
    expect(seen).toBeGreaterThan(GROUPS);

    // Minutes later, so the half-done run counts as interrupted (not as running in another process).
    const ms = await tempMemspace({ dataDir, now: () => Date.now() + 10 * 60_000 });
    try {
      let merged = 0;
      let runId: string | undefined;
      for (const [older, newer] of ids) {
        const live = await ms.memories.get(SPACE, newer!).then(
          () => true,
          () => false,
        );
        // The older of the two is never the one merged away: it is the survivor, whole.
        expect((await ms.memories.get(SPACE, older!)).id).toBe(older);
        if (live) continue;
        merged += 1;
        const last = (await ms.memories.history(SPACE, newer!)).at(-1)!;
        expect(last).toMatchObject({ action: 'delete', newMetadata: { consolidatedInto: older } });
        runId = (last.newMetadata as { consolidationRun: string }).consolidationRun;
      }
      expect(merged).toBeGreaterThan(0);
      expect(merged).toBeLessThan(GROUPS);
      const total = (await ms.spaces.get(SPACE)).stats.memories;
      expect(total).toBe(2 * GROUPS - merged);

      // The half-done run is undone whole: every memory it merged comes back.
      const undone = await ms.consolidation.undo(SPACE, { runId });
      expect(undone.restored).toBe(merged);
      expect((await ms.spaces.get(SPACE)).stats.memories).toBe(2 * GROUPS);

      // The next pass does all of it, and the trail says a pass was interrupted.
      const report = await ms.consolidation.run(SPACE, {});
      expect(report.merged).toBe(GROUPS);
      expect((await ms.spaces.get(SPACE)).stats.memories).toBe(GROUPS);
      const runs = await ms.spaces.audit(SPACE, { action: 'consolidation.run' });
      expect(runs.items.map((e) => e.details)).toEqual([
        expect.objectContaining({ runId, interrupted: true, merged }),
        expect.objectContaining({ runId: report.runId, merged: GROUPS }),
      ]);
    } finally {
      await ms.cleanup();
    }
  });
});
