import { afterEach, describe, expect, it } from 'vitest';
import { isMemspaceError } from '../../src/core/errors.js';
import type { ExportLine } from '../../src/engine/space-transfer.js';
import { axisVector, tempMemspace } from '../support/temp-memspace.js';

const DIM = 4;
const DAY = 86_400_000;
const v = (axis: number): number[] => axisVector(DIM, axis);
type Ms = Awaited<ReturnType<typeof tempMemspace>>;

let clock = Date.parse('2026-06-01T00:00:00Z');
const now = (): number => clock;
const opened: Ms[] = [];
async function open(config: Parameters<typeof tempMemspace>[0] = {}): Promise<Ms> {
  const ms = await tempMemspace({ now, ...config });
  opened.push(ms);
  return ms;
}
afterEach(async () => {
  for (const ms of opened.splice(0)) await ms.cleanup();
  clock = Date.parse('2026-06-01T00:00:00Z');
});

async function failure(p: Promise<unknown>): Promise<{ code: string; details: Record<string, unknown> | undefined }> {
  try {
    await p;
  } catch (error) {
    if (isMemspaceError(error)) return { code: error.code, details: error.details };
    throw error;
  }
  throw new Error('expected a failure');
}

async function exportLines(ms: Ms, space: string): Promise<ExportLine[]> {
  const lines: ExportLine[] = [];
  for await (const line of ms.transfer.exportSpace(space)) lines.push(line);
  return lines;
}

async function* asLines(lines: readonly unknown[]): AsyncGenerator<string> {
  for (const line of lines) yield JSON.stringify(line);
}

describe('quotas', () => {
  it('refuses a batch that would cross maxMemories, writing nothing, and names the quota', async () => {
    const ms = await open();
    await ms.service.createSpace({ name: 'small', embedder: 'none', dimension: DIM, quotas: { maxMemories: 3 } });
    await ms.service.addMemories('small', [{ content: 'a', embedding: v(0) }, { content: 'b', embedding: v(1) }]);
    const auditBefore = (await ms.service.audit('small')).items.length;
    const f = await failure(ms.service.addMemories('small', [{ content: 'c', embedding: v(2) }, { content: 'd', embedding: v(3) }]));
    expect(f).toEqual({ code: 'QUOTA_EXCEEDED', details: { quota: 'maxMemories', limit: 3, current: 2, requested: 2 } });
    expect((await ms.service.listMemories('small')).items.map((m) => m.content).sort()).toEqual(['a', 'b']);
    expect((await ms.service.audit('small')).items.length).toBe(auditBefore);
    await ms.service.addMemory('small', { content: 'c', embedding: v(2) }); // exactly at the quota is fine
  });

  it('refuses writes past maxBytes, and a quota of one space never touches another', async () => {
    const ms = await open();
    await ms.service.createSpace({ name: 'tight', embedder: 'none', dimension: DIM, quotas: { maxBytes: 400 } });
    await ms.service.createSpace({ name: 'roomy', embedder: 'none', dimension: DIM });
    await ms.service.addMemory('tight', { content: 'x'.repeat(100), embedding: v(0) });
    const f = await failure(ms.service.addMemory('tight', { content: 'y'.repeat(300), embedding: v(1) }));
    expect(f.code).toBe('QUOTA_EXCEEDED');
    expect(f.details?.['quota']).toBe('maxBytes');
    await ms.service.addMemory('roomy', { content: 'y'.repeat(300), embedding: v(1) });
    expect((await ms.service.listMemories('roomy')).items).toHaveLength(1);
  });

  it('limits requests per second per space with the injected clock', async () => {
    const ms = await open();
    await ms.service.createSpace({ name: 'slow', embedder: 'none', dimension: DIM, quotas: { maxRequestsPerSecond: 2 } });
    await ms.service.createSpace({ name: 'fast', embedder: 'none', dimension: DIM });
    await ms.service.listMemories('slow');
    await ms.service.listMemories('slow');
    const f = await failure(ms.service.listMemories('slow'));
    expect(f.code).toBe('QUOTA_EXCEEDED');
    expect(f.details).toMatchObject({ quota: 'maxRequestsPerSecond', limit: 2 });
    for (let i = 0; i < 10; i++) await ms.service.listMemories('fast'); // another space has its own budget
    clock += 1000;
    await ms.service.listMemories('slow');
  });

  it('rejects invalid quotas', async () => {
    const ms = await open();
    const f = await failure(ms.service.createSpace({ name: 'bad', embedder: 'none', dimension: DIM, quotas: { maxMemories: -1 } }));
    expect(f.code).toBe('VALIDATION_FAILED');
  });
});

describe('retention sweeps', () => {
  it('hard-deletes expired memories with history, audit and change events, and leaves the rest', async () => {
    const ms = await open();
    await ms.service.createSpace({ name: 'notes', embedder: 'none', dimension: DIM });
    const soon = await ms.service.addMemory('notes', { content: 'expires soon', embedding: v(0), expiresAt: new Date(clock + 1000).toISOString() });
    const kept = await ms.service.addMemory('notes', { content: 'kept', embedding: v(1) });
    clock += 2000;
    const feedBefore = await ms.registry.use('notes', ({ store }) => store.changes(0, 1000));
    expect(await ms.sweeper.sweepSpace('notes')).toBe(1);
    const deleted = await ms.registry.use('notes', ({ store }) => store.getMemories([soon.id]));
    expect(deleted).toEqual([]); // gone from storage, not hidden
    expect((await ms.service.history('notes', soon.id)).map((h) => h.action)).toEqual(['create', 'delete']);
    const audit = await ms.service.audit('notes', { action: 'memory.expire' });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]!.ids).toEqual([soon.id]);
    const feed = await ms.registry.use('notes', ({ store }) => store.changes(feedBefore.at(-1)!.seq, 1000));
    expect(feed.map((c) => [c.op, c.id])).toEqual([['memory.deleted', soon.id]]);
    expect((await ms.service.getMemory('notes', kept.id)).content).toBe('kept');
    expect(await ms.sweeper.sweepSpace('notes')).toBe(0);
  });

  it('applies retentionDays, at once when it is shortened', async () => {
    const ms = await open();
    await ms.service.createSpace({ name: 'diary', embedder: 'none', dimension: DIM, retentionDays: 30 });
    const old = await ms.service.addMemory('diary', { content: 'old entry', embedding: v(0) });
    clock += 10 * DAY;
    const recent = await ms.service.addMemory('diary', { content: 'recent entry', embedding: v(1) });
    clock += 25 * DAY; // old is 35 days old, recent 25
    expect(await ms.sweeper.sweepSpace('diary')).toBe(1);
    await expect(ms.service.getMemory('diary', old.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await ms.service.updateSpace('diary', { retentionDays: 7 });
    await expect(ms.service.getMemory('diary', recent.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(ms.sweeper.stats().deleted).toBe(2);
  });

  it('sweeps a closed space as it opens, before anyone reads it', async () => {
    const ms = await open();
    await ms.service.createSpace({ name: 'cold', embedder: 'none', dimension: DIM });
    await ms.service.addMemory('cold', { content: 'short lived', embedding: v(0), expiresAt: new Date(clock + 1000).toISOString() });
    await ms.registry.closeSpace('cold');
    clock += 5000;
    const before = ms.sweeper.stats().deleted;
    await ms.service.listMemories('cold');
    expect(ms.sweeper.stats().deleted).toBe(before + 1);
    expect(await ms.registry.use('cold', ({ store }) => store.stats())).toMatchObject({ memories: 0 });
  });

  it('walks closed spaces in the background, sweeping each and closing it again', async () => {
    const ms = await open();
    for (const name of ['c1', 'c2']) {
      await ms.service.createSpace({ name, embedder: 'none', dimension: DIM });
      await ms.service.addMemory(name, { content: `${name} expiring`, embedding: v(0), expiresAt: new Date(clock + 10).toISOString() });
      await ms.registry.closeSpace(name);
    }
    clock += 1000;
    const report = await ms.sweeper.tick();
    expect(report.deleted).toBe(2);
    expect(ms.registry.isOpen('c1') || ms.registry.isOpen('c2')).toBe(false);
    expect(await ms.health.spaceHealth('c1')).toMatchObject({ memories: 0, open: false });
  });

  it('sweeps every space of the catalogue, one space at a time, and none leaks into another', async () => {
    const ms = await open();
    for (const name of ['s1', 's2', 's3']) {
      await ms.service.createSpace({ name, embedder: 'none', dimension: DIM });
      await ms.service.addMemory(name, { content: `${name} expiring`, embedding: v(0), expiresAt: new Date(clock + 10).toISOString() });
      await ms.service.addMemory(name, { content: `${name} kept`, embedding: v(1) });
    }
    clock += 1000;
    const report = await ms.sweeper.sweep();
    expect(report.deleted).toBe(3);
    expect(report.failed).toEqual([]);
    for (const name of ['s1', 's2', 's3']) {
      expect((await ms.service.listMemories(name)).items.map((m) => m.content)).toEqual([`${name} kept`]);
      expect((await ms.service.audit(name, { action: 'memory.expire' })).items).toHaveLength(1);
    }
  });
});

describe('contexts', () => {
  it('stores a large blob compressed, returns it whole, and keeps it inside its space', async () => {
    const ms = await open();
    await ms.service.createSpace({ name: 'a', embedder: 'none', dimension: DIM });
    await ms.service.createSpace({ name: 'b', embedder: 'none', dimension: DIM });
    const content = Array.from({ length: 2000 }, (_, i) => `turn ${i}: the user asked about invoices and the agent answered.`).join('\n');
    const added = await ms.service.addContext('a', { content, summary: 'a long support chat', embedding: v(0), metadata: { source: 'chat' } });
    expect(added.content).toBeUndefined();
    expect(added.originalBytes).toBe(Buffer.byteLength(content));
    expect(added.storedBytes).toBeLessThan(added.originalBytes / 5);
    expect(added.compressionRatio).toBeGreaterThan(5);
    expect((await ms.service.getContext('a', added.id)).content).toBe(content);
    await expect(ms.service.getContext('b', added.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(ms.service.deleteContext('b', added.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await ms.service.deleteContext('a', added.id);
    await expect(ms.service.getContext('a', added.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await ms.service.audit('a')).items.map((e) => e.action)).toEqual(['context.create', 'context.delete']);
  });

  it('rejects bad contexts', async () => {
    const ms = await open();
    await ms.service.createSpace({ name: 'a', embedder: 'none', dimension: DIM });
    expect((await failure(ms.service.addContext('a', { content: '' }))).code).toBe('VALIDATION_FAILED');
    expect((await failure(ms.service.addContext('a', { content: 'x', embedding: [1, 2] }))).code).toBe('DIMENSION_MISMATCH');
    expect((await failure(ms.service.addContext('a', { content: 'x' }))).code).toBe('VALIDATION_FAILED'); // no embedder, no vector
  });
});

describe('export and import of a whole space', () => {
  async function populated(ms: Ms, name: string): Promise<void> {
    await ms.service.createSpace({ name, embedder: 'none', dimension: DIM, retentionDays: 365, quotas: { maxMemories: 1000 } });
    const [a, b, c] = await ms.service.addMemories(name, [
      { content: 'Alice likes tea', embedding: v(0), tags: ['prefs'], userId: 'alice', metadata: { topic: 'drinks' } },
      { content: 'Bob likes coffee', embedding: v(1), importance: 0.9 },
      { content: 'temporary note', embedding: v(2) },
    ]);
    clock += 1000;
    await ms.service.updateMemory(name, a!.id, { content: 'Alice likes green tea', embedding: v(0) });
    await ms.service.addRelation(name, { from: a!.id, to: b!.id, type: 'knows', weight: 0.5 });
    await ms.service.deleteMemory(name, c!.id);
    await ms.service.addContext(name, { content: 'a long document '.repeat(500), summary: 'doc', embedding: v(3) });
    await ms.service.getMemory(name, b!.id); // an access count to carry over
    await ms.registry.closeSpace(name); // access counts are saved on close
  }

  /** Export lines without what differs by name and time of the space record itself. */
  const body = (lines: ExportLine[]): ExportLine[] => lines.filter((l) => l.type !== 'space');

  it('restores everything exactly into a new name: memories, vectors, history, relations, contexts, audit chain', async () => {
    const ms = await open();
    await populated(ms, 'source');
    const exported = await exportLines(ms, 'source');
    expect(new Set(exported.map((l) => l.type))).toEqual(new Set(['space', 'memory', 'relation', 'context', 'history', 'audit']));
    const summary = await ms.transfer.importSpace('copy', asLines(exported));
    expect(summary.mode).toBe('restore');
    expect(summary.memories.imported).toBe(2);
    expect(summary.history.imported).toBe(5); // three creates, an update, a delete
    const copy = await exportLines(ms, 'copy');
    const importEntry = copy.at(-1)!;
    expect(importEntry).toMatchObject({ type: 'audit', action: 'import' });
    expect(body(copy).slice(0, -1)).toEqual(body(exported));
    expect(await ms.service.verifyAudit('copy')).toMatchObject({ ok: true });
    const space = await ms.service.getSpace('copy');
    expect(space).toMatchObject({ retentionDays: 365, quotas: { maxMemories: 1000 } });
    const hits = await ms.service.search('copy', { embedding: v(1), mode: 'vector', limit: 1 });
    expect(hits.results[0]!.memory.content).toBe('Bob likes coffee');
  });

  it('merges into a space with data: existing ids skipped, chains left alone, twice changes nothing', async () => {
    const ms = await open();
    await populated(ms, 'source');
    const exported = await exportLines(ms, 'source');
    await ms.service.createSpace({ name: 'busy', embedder: 'none', dimension: DIM });
    await ms.service.addMemory('busy', { content: 'already here', embedding: v(3) });
    const first = await ms.transfer.importSpace('busy', asLines(exported));
    expect(first).toMatchObject({ mode: 'merge', memories: { imported: 2, skipped: 0 }, relations: { imported: 1 }, contexts: { imported: 1 } });
    expect(first.audit.skipped).toBeGreaterThan(0);
    const second = await ms.transfer.importSpace('busy', asLines(exported));
    expect(second).toMatchObject({ memories: { imported: 0, skipped: 2 }, relations: { imported: 0, skipped: 1 }, contexts: { imported: 0, skipped: 1 } });
    expect(await ms.service.verifyAudit('busy')).toMatchObject({ ok: true });
  });

  it('rejects a malformed line, a forged audit chain, and vectors of the wrong length', async () => {
    const ms = await open();
    await populated(ms, 'source');
    const exported = await exportLines(ms, 'source');
    expect((await failure(ms.transfer.importSpace('x1', asLines(['{not json'])))).code).toBe('VALIDATION_FAILED');
    expect((await failure(ms.transfer.importSpace('x2', asLines([{ type: 'widget' }])))).code).toBe('VALIDATION_FAILED');
    const forged = exported.map((l) => (l.type === 'audit' && l.seq === 2 ? { ...l, prevHash: 'f'.repeat(64) } : l));
    expect((await failure(ms.transfer.importSpace('x3', asLines(forged)))).code).toBe('CONFLICT');
    const header = exported[0]!;
    const wrong = [header, { type: 'memory', id: '01900000-0000-7000-8000-000000000001', content: 'x', embedding: [1, 0] }];
    expect((await failure(ms.transfer.importSpace('x4', asLines(wrong)))).code).toBe('DIMENSION_MISMATCH');
  });
});
