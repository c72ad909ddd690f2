import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MATCH_ALL } from '../../../src/core/filter.js';
import { PostgresBackend } from '../../../src/store/postgres/postgres-backend.js';
import { startPglite, type PgliteServer } from '../../support/pglite.js';
import { fillSpace, fullDump, spaceRecord } from '../../support/space-records.js';

let server: PgliteServer;
let backend: PostgresBackend;

beforeAll(async () => {
  server = await startPglite();
  backend = await PostgresBackend.connect({ url: server.url, poolSize: 4 });
});

afterAll(async () => {
  await backend?.close();
  await server?.stop();
});

describe('postgres space store: dump and restore', () => {
  it('restores a full dump into another space exactly, audit chain included', async () => {
    await backend.spaces.create(spaceRecord('source'));
    await backend.spaces.create(spaceRecord('target'));
    const source = await backend.spaces.open(spaceRecord('source'));
    const target = await backend.spaces.open(spaceRecord('target'));
    await fillSpace(source, 12);
    source.recordAccess(['m0'], 9_000);
    const dump = await fullDump(source);
    expect(dump.memories).toHaveLength(11);
    expect(dump.memories.find((m) => m.id === 'm0')).toMatchObject({ accessCount: 1, lastAccessedAt: 9_000 });
    expect(dump.history.length).toBe(14);
    expect(dump.history[0]).toMatchObject({ action: 'create', oldMetadata: null, oldContent: null });
    expect(dump.relations).toHaveLength(1);
    expect(dump.contexts).toHaveLength(1);
    expect(dump.audit).toHaveLength(6);

    // In pages smaller than each part, as an import streams it.
    await target.restore({ memories: dump.memories.slice(0, 5) }, 10_000);
    await target.restore({ memories: dump.memories.slice(5), relations: dump.relations, contexts: dump.contexts }, 10_000);
    await target.restore({ history: dump.history, audit: dump.audit.slice(0, 4) }, 10_000);
    await target.restore({ audit: dump.audit.slice(4) }, 10_000);

    const copy = await fullDump(target);
    expect(copy.memories).toEqual(dump.memories);
    expect(copy.relations).toEqual(dump.relations);
    expect(copy.contexts).toEqual(dump.contexts);
    expect(copy.audit).toEqual(dump.audit);
    expect(copy.history).toEqual(dump.history);
    expect(await target.verifyAudit()).toEqual({ ok: true, entries: 6 });
    const [a, b] = [await source.stats(), await target.stats()];
    expect([b.memories, b.relations, b.contexts, b.payloadBytes]).toEqual([a.memories, a.relations, a.contexts, a.payloadBytes]);
    expect((await target.changes(0, 100)).map((c) => c.op)).toEqual([...Array(11).fill('memory.created'), 'relation.created', 'context.created']);
  });

  it('a chunk that does not continue the chain, or repeats an id, writes nothing', async () => {
    await backend.spaces.create(spaceRecord('again'));
    const source = await backend.spaces.open(spaceRecord('source'));
    const again = await backend.spaces.open(spaceRecord('again'));
    const dump = await fullDump(source);
    await expect(again.restore({ memories: dump.memories, audit: dump.audit.slice(1) }, 10_000)).rejects.toMatchObject({ code: 'CONFLICT', details: { seq: 2, expectedSeq: 1 } });
    expect(await again.countMemories(MATCH_ALL)).toBe(0);
    await again.restore({ memories: dump.memories.slice(0, 2) }, 10_000);
    await expect(again.restore({ memories: dump.memories.slice(1, 3) }, 10_000)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(again.restore({ relations: [{ ...dump.relations[0]!, from: 'ghost' }] }, 10_000)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await again.countMemories(MATCH_ALL)).toBe(2);
    expect((await again.stats()).lastSeq).toBe(2);
    await expect(again.dump('memories', 0, 0)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
