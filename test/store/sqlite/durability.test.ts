import { rmSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';

import { loadConfig } from '../../../src/config.js';
import { openEngine, type MemspaceEngine } from '../../../src/memspace.js';
import { DURABLE_DIMENSION, durableContent, durableMetadata } from '../../fixtures/durable-writer.js';
import { killChildren, spawnLineChild } from '../../support/line-child.js';
import { allMemories, axisVector, tempDir } from '../../support/temp-memspace.js';

/*
 * kill -9 durability: a child process writes continuously across several spaces and reports
 * each acknowledged id; the parent kills it with SIGKILL at random moments, reopens the same
 * data directory in-process and checks that every acknowledged memory is there, whole, and
 * that SQLite's integrity check passes for every space. One directory serves every round, so
 * recovery of an already crashed directory is exercised too. Every other round the writer runs
 * crowded (two open spaces at most, idle closes, background sweeps of short-lived memories), so
 * kills also land in the middle of evictions and sweeps.
 *
 * Reproduce a failure with DURABILITY_SEED=<seed printed on failure>; DURABILITY_ROUNDS raises
 * the number of rounds (at least 20).
 */

const WRITER = new URL('../../fixtures/durable-writer.ts', import.meta.url);
const SPACES = Array.from({ length: 4 }, (_, i) => `w${i}`);
const ROUNDS = Math.max(20, Number(process.env['DURABILITY_ROUNDS'] ?? 20) || 20);
const SEED = Number(process.env['DURABILITY_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

/** mulberry32: a small seeded PRNG, so a failing schedule of kills can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface Ack {
  space: string;
  id: string;
  token: string;
  round: number;
}

interface RoundResult {
  acks: Ack[];
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
  /** Bytes after the last newline: a line the kill cut short, ignored. */
  partial: string;
}

const dirs: string[] = [];

afterAll(() => {
  killChildren();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Spawns the writer, waits for READY plus `killAfterMs`, kills it with SIGKILL and returns what it acknowledged. */
async function writerRound(dataDir: string, round: number, sync: 'full' | 'normal', killAfterMs: number, churn: boolean): Promise<RoundResult> {
  const { child, lines, ready, closed } = spawnLineChild(WRITER, [dataDir, String(SPACES.length), sync, ...(churn ? ['churn'] : [])]);
  await ready;
  await delay(killAfterMs);
  child.kill('SIGKILL');
  const { code, signal, stderr, partial } = await closed;
  const acks: Ack[] = [];
  for (const line of lines) {
    const [tag, space, id, token, ...rest] = line.split(' ');
    if (tag !== 'ACK' || space === undefined || id === undefined || token === undefined || rest.length > 0) {
      throw new Error(`unexpected line from the writer in round ${round}: ${JSON.stringify(line)}`);
    }
    acks.push({ space, id, token, round });
  }
  return { acks, signal, code, stderr, partial };
}

/** Ids, contents and metadata of a space, in id order: what must not change. */
async function snapshot(ms: MemspaceEngine, space: string): Promise<{ id: string; content: string; metadata: unknown }[]> {
  const { byId } = await allMemories(ms, space);
  return [...byId.values()].map((m) => ({ id: m.id, content: m.content, metadata: m.metadata })).sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** Problems found after reopening; empty when the directory is as it must be. */
async function verify(dataDir: string, acked: readonly Ack[]): Promise<{ problems: string[]; stored: number }> {
  const ms = await openEngine(loadConfig({ dataDir }, {}));
  const problems: string[] = [];
  let stored = 0;
  try {
    const spaces = (await ms.spaces.list({ limit: 1000 })).items.map((s) => s.name);
    for (const name of spaces) {
      const issues = await ms.registry.use(name, async ({ store }) => store.integrityCheck());
      if (issues.length > 0) problems.push(`integrity_check of ${name}: ${issues.join('; ')}`);
    }
    for (const space of SPACES) {
      if (!spaces.includes(space)) {
        problems.push(`space ${space} is missing after READY was printed`);
        continue;
      }
      const { byId, listed } = await allMemories(ms, space);
      stored += byId.size;
      if (listed !== byId.size) problems.push(`${space} lists ${listed} memories but only ${byId.size} distinct ids`);
      for (const ack of acked) {
        if (ack.space !== space) continue;
        const m = byId.get(ack.id);
        if (m === undefined && ack.token.endsWith('x')) continue; // short-lived: the sweeper may have deleted it
        if (m === undefined) problems.push(`acknowledged memory ${ack.id} (${ack.token}, round ${ack.round}) is missing from ${space}`);
        else if (m.content !== durableContent(space, ack.token)) problems.push(`memory ${ack.id} of ${space} has content ${JSON.stringify(m.content)}`);
        else if (m.metadata['token'] !== ack.token || m.metadata['space'] !== space) problems.push(`memory ${ack.id} of ${space} has metadata ${JSON.stringify(m.metadata)}`);
      }
      // Memories written but killed before their ACK may be there too; each must be whole,
      // and every batch must have landed whole or not at all.
      const batches = new Map<string, { size: number; seen: number }>();
      for (const m of byId.values()) {
        const { token, first, batch } = m.metadata as { token?: unknown; first?: unknown; batch?: unknown };
        if (typeof token !== 'string' || typeof first !== 'string' || typeof batch !== 'number') {
          problems.push(`memory ${m.id} of ${space} has foreign metadata ${JSON.stringify(m.metadata)}`);
          continue;
        }
        if (m.content !== durableContent(space, token)) problems.push(`memory ${m.id} of ${space} is torn: ${JSON.stringify(m.content)}`);
        if (JSON.stringify(m.metadata) !== JSON.stringify(durableMetadata(space, token, first, batch))) {
          problems.push(`memory ${m.id} of ${space} has torn metadata ${JSON.stringify(m.metadata)}`);
        }
        const b = batches.get(first) ?? { size: batch, seen: 0 };
        b.seen += 1;
        batches.set(first, b);
      }
      for (const [first, b] of batches) {
        if (b.seen !== b.size) problems.push(`batch starting at ${first} in ${space} landed ${b.seen} of ${b.size} memories`);
      }
    }
  } finally {
    await ms.close();
  }
  // Enough to diagnose, not a wall of thousands of lines.
  if (problems.length > 25) problems.splice(25, problems.length - 25, `... and ${problems.length - 25} more problems`);
  return { problems, stored };
}

describe('SQLite durability under kill -9', () => {
  it(`keeps every acknowledged memory over ${ROUNDS} SIGKILLs (seed ${SEED})`, { timeout: 150_000 }, async ({ onTestFailed }) => {
    onTestFailed(() => {
      console.error(`durability test failed; replay with DURABILITY_SEED=${SEED} DURABILITY_ROUNDS=${ROUNDS}`);
    });
    const random = prng(SEED);
    const dataDir = tempDir('memspace-durability-');
    dirs.push(dataDir);

    // A bystander space, written once before any crash, that no round may disturb.
    const setup = await openEngine(loadConfig({ dataDir }, {}));
    let otherBefore: Awaited<ReturnType<typeof snapshot>>;
    try {
      await setup.spaces.create({ name: 'other', embedder: 'none', dimension: DURABLE_DIMENSION });
      await setup.memories.addMany(
        'other',
        Array.from({ length: 5 }, (_, i) => ({
          content: `bystander ${i}: must survive every crash of its neighbours`,
          metadata: { i, kind: 'bystander' },
          embedding: axisVector(DURABLE_DIMENSION, i),
        })),
      );
      await setup.memories.add('other', { content: 'bystander single', embedding: axisVector(DURABLE_DIMENSION, 7) });
      otherBefore = await snapshot(setup, 'other');
    } finally {
      await setup.close();
    }
    expect(otherBefore).toHaveLength(6);

    const acked: Ack[] = [];
    const ackedPerRound: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Mostly well into the writing; every fifth round right after READY, while the first
      // writes open the space databases. Every third round runs with synchronous=NORMAL,
      // which must survive kill -9 as well.
      const killAfterMs = round % 5 === 4 ? Math.floor(random() * 20) : 50 + Math.floor(random() * 350);
      const sync = round % 3 === 2 ? 'normal' : 'full';
      // Every other round crowds the writer: eviction, idle closes and sweeps run as it writes.
      const churn = round % 2 === 1;
      const result = await writerRound(dataDir, round, sync, killAfterMs, churn);
      expect(result.signal, `round ${round} (seed ${SEED}): the writer must die by our SIGKILL, not on its own:\n${result.stderr}`).toBe('SIGKILL');
      acked.push(...result.acks);
      ackedPerRound.push(result.acks.length);

      const { problems, stored } = await verify(dataDir, acked);
      expect(problems, `round ${round} (seed ${SEED}, kill after ${killAfterMs} ms, sync ${sync}, churn ${churn})`).toEqual([]);
      // Writes committed but killed before their ACK line may add to this, never take away.
      expect(stored).toBeGreaterThanOrEqual(acked.filter((a) => !a.token.endsWith('x')).length);
    }

    // The test must be able to fail: the writer must actually have been writing.
    expect(new Set(acked.map((a) => a.id)).size, 'acknowledged ids are unique').toBe(acked.length);
    expect(ackedPerRound.filter((n) => n > 0).length, `acks per round: ${ackedPerRound.join(',')}`).toBeGreaterThanOrEqual(ROUNDS / 2);
    expect(acked.length).toBeGreaterThan(ROUNDS);
    expect(acked.some((a) => a.token.endsWith('x')), 'churn rounds wrote short-lived memories').toBe(true);
    for (const space of SPACES) expect(acked.some((a) => a.space === space), `${space} received acknowledged writes`).toBe(true);

    const after = await openEngine(loadConfig({ dataDir }, {}));
    try {
      expect(await snapshot(after, 'other')).toEqual(otherBefore);
      expect(await after.registry.use('other', async ({ store }) => store.integrityCheck())).toEqual([]);
    } finally {
      await after.close();
    }
  });
});
