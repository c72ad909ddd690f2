import { existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../../../src/store/sqlite/sqlite-backend.js';
import { fillSpace, memoryRow, spaceRecord, writeCtx } from '../../support/space-records.js';
import { tempDir } from '../../support/temp-memspace.js';

/*
 * Lazy storage of the embedded backend: a space costs a catalogue row and an empty directory
 * until it is first opened; storage that is gone or unreadable is reported as damaged; the
 * figures of a closed space are read without opening it for use.
 */

let dataDir: string;
let backend: SqliteBackend;

beforeEach(() => {
  dataDir = tempDir('memspace-backend-');
  backend = new SqliteBackend({ dataDir, sync: 'normal', annThreshold: Number.POSITIVE_INFINITY });
});
afterEach(async () => {
  await backend.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const damaged = (reason?: RegExp) =>
  expect.objectContaining({ code: 'BACKEND_UNAVAILABLE', details: expect.objectContaining({ damaged: true, ...(reason && { reason: expect.stringMatching(reason) }) }) });

/** Overwrites the first bytes of a file with garbage, as a bad disk or a stray write would. */
function clobber(file: string): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(100, 0x5a), 0, 100, 0);
  closeSync(fd);
}

describe('lazy storage', () => {
  it('creates a directory with only the marker, and the database on first open', async () => {
    await backend.spaces.create(spaceRecord('Lazy'));
    const dir = backend.spaceDir('Lazy');
    expect(readdirSync(dir)).toEqual(['.new']);
    const store = await backend.spaces.open(spaceRecord('Lazy'));
    expect(existsSync(join(dir, 'space.db'))).toBe(true);
    expect(existsSync(join(dir, '.new'))).toBe(false);
    await store.insertMemories([memoryRow('a', 'hello', 0)], writeCtx());
    await store.close();
    const again = await backend.spaces.open(spaceRecord('Lazy'));
    expect((await again.getMemories(['a'])).map((m) => m.content)).toEqual(['hello']);
    await again.close();
  });

  it('opens a database whose marker survived a crash right after the first open', async () => {
    await backend.spaces.create(spaceRecord('crashy'));
    const store = await backend.spaces.open(spaceRecord('crashy'));
    await store.insertMemories([memoryRow('a', 'kept', 0)], writeCtx());
    await store.close();
    writeFileSync(join(backend.spaceDir('crashy'), '.new'), ''); // the removal was lost
    const again = await backend.spaces.open(spaceRecord('crashy'));
    expect((await again.getMemories(['a'])).map((m) => m.content)).toEqual(['kept']);
    await again.close();
    expect(existsSync(join(backend.spaceDir('crashy'), '.new'))).toBe(false);
  });

  it('reports a missing directory, a missing database and a corrupt file as damaged', async () => {
    for (const name of ['gone', 'empty', 'corrupt']) await backend.spaces.create(spaceRecord(name));
    rmSync(backend.spaceDir('gone'), { recursive: true });
    await expect(backend.spaces.open(spaceRecord('gone'))).rejects.toThrowError(damaged(/directory is missing/));

    rmSync(join(backend.spaceDir('empty'), '.new'));
    await expect(backend.spaces.open(spaceRecord('empty'))).rejects.toThrowError(damaged(/space\.db is missing/));

    const store = await backend.spaces.open(spaceRecord('corrupt'));
    await store.insertMemories([memoryRow('a', 'x', 0)], writeCtx());
    await store.close();
    clobber(join(backend.spaceDir('corrupt'), 'space.db'));
    await expect(backend.spaces.open(spaceRecord('corrupt'))).rejects.toThrowError(damaged(/SQLITE_NOTADB/));
    await expect(backend.spaces.inspect(spaceRecord('corrupt'))).rejects.toThrowError(damaged(/SQLITE_NOTADB/));
  });

  it('deletes every byte: directory and archive', async () => {
    await backend.spaces.create(spaceRecord('doomed'));
    (await backend.spaces.open(spaceRecord('doomed'))).close();
    await backend.spaces.create(spaceRecord('cold'));
    await backend.archiver.archive('cold');
    expect(existsSync(backend.archiveFile('cold'))).toBe(true);
    expect(await backend.spaces.delete('doomed')).toBe(true);
    expect(await backend.spaces.delete('cold')).toBe(true);
    expect(existsSync(backend.spaceDir('doomed'))).toBe(false);
    expect(existsSync(backend.archiveFile('cold'))).toBe(false);
    expect(readdirSync(join(dataDir, 'spaces'))).toEqual([]);
    expect(readdirSync(join(dataDir, 'archive'))).toEqual([]);
  });

  it('creating a space clears files a crash left under its name', async () => {
    mkdirSync(join(dataDir, 'spaces', 'reborn'), { recursive: true });
    writeFileSync(join(dataDir, 'spaces', 'reborn', 'space.db'), 'old garbage');
    mkdirSync(join(dataDir, 'archive'), { recursive: true });
    writeFileSync(join(dataDir, 'archive', 'reborn.tar.zst'), 'old archive');
    await backend.spaces.create(spaceRecord('reborn'));
    expect(readdirSync(backend.spaceDir('reborn'))).toEqual(['.new']);
    expect(existsSync(backend.archiveFile('reborn'))).toBe(false);
  });

  it('three hundred empty spaces cost a row and a marker each', async () => {
    const started = performance.now();
    for (let i = 0; i < 300; i++) await backend.spaces.create(spaceRecord(`e${i}`));
    const ms = performance.now() - started;
    expect(readdirSync(join(dataDir, 'spaces'))).toHaveLength(300);
    expect(readdirSync(backend.spaceDir('e299'))).toEqual(['.new']);
    console.info(`created 300 empty spaces in ${ms.toFixed(0)} ms (${(ms / 300).toFixed(2)} ms each)`);
  });
});

describe('inspectSpace', () => {
  it('gives zeros for a space never opened', async () => {
    await backend.spaces.create(spaceRecord('fresh'));
    expect(await backend.spaces.inspect(spaceRecord('fresh'))).toEqual({
      memories: 0,
      relations: 0,
      contexts: 0,
      bytes: 0,
      payloadBytes: 0,
      walBytes: 0,
      uncheckpointedSince: null,
      lastWriteAt: null,
      lastSeq: 0,
    });
    expect(existsSync(join(backend.spaceDir('fresh'), 'space.db'))).toBe(false);
  });

  it('reads the figures of a closed space as the open store reports them, leaving no file behind', async () => {
    await backend.spaces.create(spaceRecord('full'));
    const store = await backend.spaces.open(spaceRecord('full'));
    await fillSpace(store);
    const live = await store.stats();
    await store.close();
    const before = readdirSync(backend.spaceDir('full')).sort();
    const figures = await backend.spaces.inspect(spaceRecord('full'));
    expect(readdirSync(backend.spaceDir('full')).sort()).toEqual(before);
    expect(figures).toMatchObject({
      memories: live.memories,
      relations: live.relations,
      contexts: live.contexts,
      payloadBytes: live.payloadBytes,
      lastSeq: live.lastSeq,
      lastWriteAt: live.lastWriteAt,
      walBytes: 0,
      uncheckpointedSince: null,
    });
    expect(figures).toMatchObject({ memories: 4, relations: 1, contexts: 1 });
    expect(figures.payloadBytes).toBeGreaterThan(0);
    expect(figures.bytes).toBeGreaterThan(0);
  });

  it('reads a database with a WAL read-only and reports the WAL', async () => {
    await backend.spaces.create(spaceRecord('walled'));
    const store = await backend.spaces.open(spaceRecord('walled'));
    await store.insertMemories([memoryRow('a', 'in the wal', 0)], writeCtx(5_000));
    // Another connection (another process, or a crash) holds a WAL: read it, do not checkpoint it.
    const figures = await backend.spaces.inspect(spaceRecord('walled'));
    expect(figures.memories).toBe(1);
    expect(figures.walBytes).toBeGreaterThan(0);
    expect(figures.uncheckpointedSince).toEqual(expect.any(Number));
    expect(figures.lastWriteAt).toBe(5_000);
    await store.close();
  });

  it('falls back to counting rows in a database older than the usage counters', async () => {
    await backend.spaces.create(spaceRecord('old'));
    const store = await backend.spaces.open(spaceRecord('old'));
    await store.insertMemories([memoryRow('a', 'x', 0), memoryRow('b', 'y', 1)], writeCtx());
    await store.close();
    const db = new Database(join(backend.spaceDir('old'), 'space.db'));
    const triggers = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%usage%'`).pluck().all() as string[];
    for (const t of triggers) db.exec(`DROP TRIGGER "${t}"`);
    db.exec('DROP TABLE usage; DROP TABLE contexts; PRAGMA user_version = 2');
    db.close();
    expect(await backend.spaces.inspect(spaceRecord('old'))).toMatchObject({ memories: 2, relations: 0, contexts: 0, payloadBytes: 0 });
  });

  it('reports a missing directory as damaged', async () => {
    await backend.spaces.create(spaceRecord('vanished'));
    rmSync(backend.spaceDir('vanished'), { recursive: true });
    await expect(backend.spaces.inspect(spaceRecord('vanished'))).rejects.toThrowError(damaged(/directory is missing/));
  });
});
