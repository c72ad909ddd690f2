import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config.js';
import { MemspaceError } from '../../src/core/errors.js';
import { openEngine, type MemspaceEngine } from '../../src/memspace.js';
import { burstContent } from '../fixtures/burst-writer.js';
import { killChildren, spawnLineChild, type ChildExit } from '../support/line-child.js';
import { allMemories, axisVector, tempDir, tempMemspace } from '../support/temp-memspace.js';

const BURST_WRITER = new URL('../fixtures/burst-writer.ts', import.meta.url);
const DIM = 8;

const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  killChildren();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A memspace on a fresh temp directory, removed after the file's tests. */
async function fresh(): Promise<Awaited<ReturnType<typeof tempMemspace>>> {
  const ms = await tempMemspace();
  cleanups.push(() => ms.cleanup());
  return ms;
}

/** A space that takes caller-given vectors. */
async function vectorSpace(ms: MemspaceEngine, name: string): Promise<void> {
  await ms.spaces.create({ name, embedder: 'none', dimension: DIM });
}

/** The error code of a rejection, or a description of what was thrown instead of a MemspaceError. */
function codeOf(reason: unknown): string {
  return reason instanceof MemspaceError ? reason.code : `not a MemspaceError: ${String(reason)}`;
}

/** Codes of the rejections among settled results, counted. */
function rejectionCodes(results: readonly PromiseSettledResult<unknown>[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) if (r.status === 'rejected') counts[codeOf(r.reason)] = (counts[codeOf(r.reason)] ?? 0) + 1;
  return counts;
}

/** A burst-writer child: started, READY awaited, released by `go`. */
interface Burst {
  readonly lines: string[];
  ready: Promise<void>;
  done: Promise<ChildExit>;
  go(): void;
}

function startBurst(args: readonly string[]): Burst {
  const { child, lines, ready, closed } = spawnLineChild(BURST_WRITER, args, 'pipe');
  return { lines, ready, done: closed, go: () => child.stdin!.end('GO\n') };
}

/** Runs bursts together: all start, all report READY, all get GO at once; resolves with each one's output lines. */
async function runTogether(argsList: readonly (readonly string[])[], whileRunning: () => Promise<void> = async () => {}): Promise<string[][]> {
  const bursts = argsList.map(startBurst);
  await Promise.all(bursts.map((b) => b.ready));
  for (const b of bursts) b.go();
  await whileRunning();
  const exits = await Promise.all(bursts.map((b) => b.done));
  exits.forEach((exit, i) => expect(exit.code, `burst-writer ${argsList[i]!.join(' ')}:\n${exit.stderr}`).toBe(0));
  return bursts.map((b) => {
    expect(b.lines.at(-1)).toBe('DONE');
    return b.lines.slice(0, -1);
  });
}

describe('concurrency in one process', () => {
  it('creates 20 different spaces at once, each listed, usable and in its own directory', async () => {
    const ms = await fresh();
    const names = Array.from({ length: 20 }, (_, i) => `tenant-${i}`);
    const created = await Promise.all(names.map((name) => ms.spaces.create({ name, embedder: 'none', dimension: DIM })));
    expect(created.map((s) => s.name)).toEqual(names);

    const listed = (await ms.spaces.list({ limit: 1000 })).items.map((s) => s.name);
    expect(listed.filter((n) => n.startsWith('tenant-')).sort()).toEqual([...names].sort());

    const written = await Promise.all(
      names.map((name, i) => ms.memories.add(name, { content: `only memory of ${name}`, embedding: axisVector(DIM, i) })),
    );
    for (const [i, name] of names.entries()) {
      expect((await ms.memories.get(name, written[i]!.id)).content).toBe(`only memory of ${name}`);
      const { items } = await ms.memories.list(name);
      expect(items.map((m) => m.id)).toEqual([written[i]!.id]);
      expect(existsSync(join(ms.dataDir, 'spaces', name, 'space.db'))).toBe(true);
    }
    // One space's memory is not reachable through another.
    await expect(ms.memories.get('tenant-1', written[0]!.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('lets exactly one of ten concurrent creations of one name succeed; the rest are CONFLICT', async () => {
    const ms = await fresh();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => ms.spaces.create({ name: 'contested', embedder: 'none', dimension: DIM })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(rejectionCodes(results)).toEqual({ CONFLICT: 9 });
    expect((await ms.spaces.get('contested')).name).toBe('contested');
  });

  it('treats names differing only in case as one name under concurrent creation', async () => {
    const ms = await fresh();
    const variants = ['Team', 'team', 'TEAM', 'tEAM', 'TeAm', 'Team', 'team', 'TEAM'];
    const results = await Promise.allSettled(variants.map((name) => ms.spaces.create({ name, embedder: 'none', dimension: DIM })));
    const winners = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.name] : []));
    expect(winners).toHaveLength(1);
    expect(rejectionCodes(results)).toEqual({ CONFLICT: variants.length - 1 });

    const listed = (await ms.spaces.list({ limit: 1000 })).items.map((s) => s.name);
    expect(listed.filter((n) => n.toLowerCase() === 'team')).toEqual(winners);
    // One directory only, even on a case-sensitive file system.
    expect(readdirSync(join(ms.dataDir, 'spaces')).filter((n) => n.toLowerCase() === 'team')).toEqual(winners);
    // Reachable under any case.
    const m = await ms.memories.add('TEAM', { content: 'shared by every spelling', embedding: axisVector(DIM, 1) });
    expect((await ms.memories.get('team', m.id)).content).toBe('shared by every spelling');
  });

  it('keeps every one of 200 concurrent adds plus concurrent batches, exactly once', async () => {
    const ms = await fresh();
    await vectorSpace(ms, 'busy');
    const singles = Array.from({ length: 200 }, (_, i) =>
      ms.memories.add('busy', { content: `single ${i}`, metadata: { i }, embedding: axisVector(DIM, i) }),
    );
    const batches = Array.from({ length: 5 }, (_, b) =>
      ms.memories.addMany(
        'busy',
        Array.from({ length: 4 }, (_, j) => ({ content: `batch ${b}.${j}`, metadata: { b, j }, embedding: axisVector(DIM, b + j) })),
      ),
    );
    const [one, many] = await Promise.all([Promise.all(singles), Promise.all(batches)]);
    const written = [...one, ...many.flat()];
    expect(new Set(written.map((m) => m.id)).size).toBe(220);

    const { byId, listed } = await allMemories(ms, 'busy');
    expect(listed).toBe(220);
    expect(byId.size).toBe(220);
    for (const m of written) expect(byId.get(m.id)?.content).toBe(m.content);
    expect((await ms.spaces.get('busy')).stats.memories).toBe(220);
  });

  it('interleaves updates, deletes and reads, failing only with NOT_FOUND where a delete won the race', async () => {
    const ms = await fresh();
    await vectorSpace(ms, 'churn');
    const ids = (
      await ms.memories.addMany(
        'churn',
        Array.from({ length: 200 }, (_, i) => ({ content: `original ${i}`, embedding: axisVector(DIM, i) })),
      )
    ).map((m) => m.id);
    const updated = new Set(ids.slice(0, 100));
    const deleted = new Set(ids.slice(50, 150));
    const deletedTwice = new Set(ids.slice(130, 150));

    type Op = { kind: 'update' | 'delete' | 'get'; id: string } | { kind: 'list' | 'search' };
    const ops: Op[] = [
      ...[...updated].map((id): Op => ({ kind: 'update', id })),
      ...[...deleted, ...deletedTwice].map((id): Op => ({ kind: 'delete', id })),
      ...ids.map((id): Op => ({ kind: 'get', id })),
      ...Array.from({ length: 20 }, (_, i): Op => ({ kind: i % 2 === 0 ? 'list' : 'search' })),
    ];
    // A fixed shuffle, so the interleaving is varied but the same on every run.
    let state = 12345;
    for (let i = ops.length - 1; i > 0; i--) {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      const j = state % (i + 1);
      [ops[i], ops[j]] = [ops[j]!, ops[i]!];
    }
    const run = (op: Op): Promise<unknown> => {
      switch (op.kind) {
        case 'update':
          return ms.memories.update('churn', op.id, { content: `updated ${op.id}`, embedding: axisVector(DIM, 3) });
        case 'delete':
          return ms.memories.delete('churn', op.id);
        case 'get':
          return ms.memories.get('churn', op.id);
        case 'list':
          return ms.memories.list('churn', { limit: 50 });
        case 'search':
          return ms.search.run('churn', { embedding: axisVector(DIM, 3), mode: 'vector', limit: 5 });
      }
    };
    const results = await Promise.allSettled(ops.map(run));

    const unexpected: string[] = [];
    const deletesOf = new Map<string, number>();
    results.forEach((result, i) => {
      const op = ops[i]!;
      if (op.kind === 'delete' && result.status === 'fulfilled') deletesOf.set(op.id, (deletesOf.get(op.id) ?? 0) + 1);
      if (result.status === 'fulfilled') return;
      const code = codeOf(result.reason);
      // NOT_FOUND is expected only for a memory some delete removed; anything else is a bug.
      const mayBeGone = 'id' in op && deleted.has(op.id);
      if (!(code === 'NOT_FOUND' && mayBeGone && op.kind !== 'delete') && !(code === 'NOT_FOUND' && op.kind === 'delete' && deletedTwice.has(op.id))) {
        unexpected.push(`${op.kind} ${'id' in op ? op.id : ''}: ${code}`);
      }
    });
    expect(unexpected).toEqual([]);
    // Each deleted memory was deleted exactly once, however many tried.
    expect([...deleted].filter((id) => deletesOf.get(id) !== 1)).toEqual([]);

    const { byId, listed } = await allMemories(ms, 'churn');
    expect(listed).toBe(100);
    expect([...deleted].filter((id) => byId.has(id))).toEqual([]);
    for (const [i, id] of ids.entries()) {
      if (deleted.has(id)) continue;
      expect(byId.get(id)?.content).toBe(updated.has(id) ? `updated ${id}` : `original ${i}`);
    }
    // The vector index followed the updates and deletes: the nearest ones to axis 3 are the updated, surviving ones.
    const { results: hits } = await ms.search.run('churn', { embedding: axisVector(DIM, 3), mode: 'vector', limit: 5 });
    for (const hit of hits) expect(updated.has(hit.memory.id) && !deleted.has(hit.memory.id)).toBe(true);
    expect(await ms.registry.use('churn', async ({ store }) => store.integrityCheck())).toEqual([]);
  });
});

describe('concurrency across processes', () => {
  it('keeps every memory three processes and the parent write into one space at once, and search sees them', async () => {
    const ms = await fresh();
    await vectorSpace(ms, 'crowd');
    // Load the parent's vector index before the children write, so the search below must
    // catch up through the change feed rather than load the space afresh.
    const seed = await ms.memories.add('crowd', { content: 'seed', embedding: axisVector(DIM, 0) });
    expect((await ms.search.run('crowd', { embedding: axisVector(DIM, 0), mode: 'vector', limit: 5 })).results.map((h) => h.memory.id)).toEqual([seed.id]);

    const parentIds: string[] = [];
    const outputs = await runTogether(
      [1, 2, 3].map((axis) => ['memories', ms.dataDir, 'crowd', '100', String(axis)]),
      async () => {
        for (let i = 0; i < 100; i++) {
          const m = await ms.memories.add('crowd', { content: `parent ${i}`, embedding: axisVector(DIM, 0, 0.02) });
          parentIds.push(m.id);
          // Search while the children write: the index catches up under concurrent commits.
          if (i % 20 === 0) await ms.search.run('crowd', { embedding: axisVector(DIM, 1), mode: 'vector', limit: 5 });
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      },
    );

    const childIds = outputs.map((lines) =>
      lines.map((line) => {
        const [tag, id, ...rest] = line.split(' ');
        expect(tag === 'ID' && id !== undefined && rest.length === 0, `line ${JSON.stringify(line)}`).toBe(true);
        return id!;
      }),
    );
    for (const ids of childIds) expect(new Set(ids).size).toBe(100);

    const { byId, listed } = await allMemories(ms, 'crowd');
    const expected = [seed.id, ...parentIds, ...childIds.flat()];
    expect(new Set(expected).size).toBe(401);
    expect(listed).toBe(401);
    expect(byId.size).toBe(401);
    expect(expected.filter((id) => !byId.has(id))).toEqual([]);
    for (const id of childIds.flat()) {
      const m = byId.get(id)!;
      expect(m.content).toBe(burstContent(m.metadata['pid'] as number, m.metadata['i'] as number));
    }
    expect((await ms.spaces.get('crowd')).stats.memories).toBe(401);
    expect(await ms.registry.use('crowd', async ({ store }) => store.integrityCheck())).toEqual([]);

    // Each child wrote along its own axis: the parent's index must return that child's memories.
    for (const [k, ids] of childIds.entries()) {
      const { results } = await ms.search.run('crowd', { embedding: axisVector(DIM, k + 1), mode: 'vector', limit: 5 });
      expect(results).toHaveLength(5);
      const own = new Set(ids);
      expect(results.filter((h) => !own.has(h.memory.id)).map((h) => h.memory.content)).toEqual([]);
    }
  });

  it('keeps a space quota across processes: two writers racing into one space never cross it, and every acknowledged memory is stored', async () => {
    const ms = await fresh();
    const QUOTA = 150;
    await ms.spaces.create({ name: 'capped', embedder: 'none', dimension: DIM, quotas: { maxMemories: QUOTA } });
    const outputs = await runTogether([1, 2].map((axis) => ['memories', ms.dataDir, 'capped', '100', String(axis)]));

    const acknowledged: string[] = [];
    let refused = 0;
    for (const line of outputs.flat()) {
      const [tag, value, ...rest] = line.split(' ');
      expect((tag === 'ID' || tag === 'REFUSED') && value !== undefined && rest.length === 0, `line ${JSON.stringify(line)}`).toBe(true);
      if (tag === 'ID') acknowledged.push(value!);
      else refused += Number(value);
    }
    expect(acknowledged.length + refused).toBe(200); // every memory was either acknowledged or refused
    expect(acknowledged.length).toBeLessThanOrEqual(QUOTA);
    // A call is refused only when it would cross the quota, and calls hold at most 3 memories:
    // once anything was refused, the space was within 2 of full, and it only grows.
    expect(refused).toBeGreaterThan(0);
    expect(acknowledged.length).toBeGreaterThanOrEqual(QUOTA - 2);

    const { byId, listed } = await allMemories(ms, 'capped');
    expect(listed).toBe(acknowledged.length);
    expect(acknowledged.filter((id) => !byId.has(id))).toEqual([]);
    expect((await ms.spaces.get('capped')).stats.memories).toBe(acknowledged.length);
    expect(await ms.registry.use('capped', async ({ store }) => store.integrityCheck())).toEqual([]);
  });

  it('lets two processes create spaces on one fresh data directory at once; a shared name exists once', async () => {
    const dataDir = tempDir();
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const own = (prefix: string) => Array.from({ length: 10 }, (_, i) => `${prefix}-${i}`);
    const [a, b] = await runTogether([
      ['spaces', dataDir, ...own('alpha'), 'shared', 'Mixed'],
      ['spaces', dataDir, ...own('beta'), 'shared', 'mIXED'],
    ]);
    const outcome = (lines: readonly string[]) => new Map(lines.map((line) => [line.split(' ')[1]!, line.split(' ')[0]!]));
    const fromA = outcome(a!);
    const fromB = outcome(b!);
    for (const name of own('alpha')) expect(fromA.get(name)).toBe('CREATED');
    for (const name of own('beta')) expect(fromB.get(name)).toBe('CREATED');
    expect([fromA.get('shared'), fromB.get('shared')].sort()).toEqual(['CONFLICT', 'CREATED']);
    expect([fromA.get('Mixed'), fromB.get('mIXED')].sort()).toEqual(['CONFLICT', 'CREATED']);

    const ms = await openEngine(loadConfig({ dataDir }, {}));
    try {
      const listed = (await ms.spaces.list({ limit: 1000 })).items.map((s) => s.name);
      const mixedWinner = fromA.get('Mixed') === 'CREATED' ? 'Mixed' : 'mIXED';
      expect([...listed].sort()).toEqual([...own('alpha'), ...own('beta'), 'default', 'shared', mixedWinner].sort());
      expect(readdirSync(join(dataDir, 'spaces')).sort()).toEqual([...listed].sort());
      for (const name of listed) {
        // Storage is made on first use: a new space has its directory and a marker until then.
        const dir = join(dataDir, 'spaces', name);
        expect(existsSync(join(dir, 'space.db')) || existsSync(join(dir, '.new'))).toBe(true);
        expect(await ms.registry.use(name, async ({ store }) => store.integrityCheck())).toEqual([]);
      }
      const m = await ms.memories.add('shared', { content: 'after the race', embedding: axisVector(DIM, 2) });
      expect((await ms.memories.get('SHARED', m.id)).content).toBe('after the race');
    } finally {
      await ms.close();
    }
  });
});
