import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import tar from 'tar-stream';
import { CompressStream } from 'zstd-napi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SpaceRecord } from '../../../src/core/types.js';
import { ARCHIVE_FORMAT, ARCHIVE_VERSION, readArchiveManifest } from '../../../src/store/sqlite/space-archive.js';
import { SqliteBackend } from '../../../src/store/sqlite/sqlite-backend.js';
import { fillSpace, fullDump, spaceRecord, tableRows, unit } from '../../support/space-records.js';
import { tempDir } from '../../support/temp-memspace.js';

/*
 * Archive tiers of the embedded backend: a closed space becomes one .tar.zst file and comes
 * back with the same logical content; every step is crash safe, with the catalogue's state as
 * the commit point, and leftovers of an interrupted step are cleaned by the next call.
 */

let dataDir: string;
let backend: SqliteBackend;

beforeEach(() => {
  dataDir = tempDir('memspace-archive-');
  backend = new SqliteBackend({ dataDir, sync: 'normal', annThreshold: Number.POSITIVE_INFINITY, now: () => Date.parse('2026-11-01T00:00:00Z') });
});
afterEach(async () => {
  await backend.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const code = (c: string) => expect.objectContaining({ code: c });
const damaged = expect.objectContaining({ code: 'BACKEND_UNAVAILABLE', details: expect.objectContaining({ damaged: true }) });

async function record(name: string): Promise<SpaceRecord> {
  const r = await backend.spaces.get(name);
  if (r === undefined) throw new Error(`no ${name}`);
  return r;
}

/** A space with memories, an update, a delete, a relation, a context and audit entries; closed. */
async function filledSpace(name: string): Promise<{ dump: Awaited<ReturnType<typeof fullDump>>; rows: ReturnType<typeof tableRows> }> {
  await backend.spaces.create(spaceRecord(name));
  const store = await backend.spaces.open(await record(name));
  await fillSpace(store);
  await store.vectorSearch(unit(0), undefined, 3, 10_000); // leaves a derived vectors file behind at close
  const dump = await fullDump(store);
  await store.close();
  return { dump, rows: tableRows(join(backend.spaceDir(name), 'space.db')) };
}

const archiveDir = (): string => join(dataDir, 'archive');
const spacesDir = (): string => join(dataDir, 'spaces');

describe('archive and restore', () => {
  it('round-trips the whole logical content; while archived the space is one file and no directory', async () => {
    const before = await filledSpace('Alpha');
    expect(readdirSync(backend.spaceDir('Alpha'))).toContain('vectors.bin');
    const { bytes } = await backend.archiver.archive('alpha');
    expect((await record('Alpha')).state).toBe('archived');
    expect(existsSync(backend.spaceDir('Alpha'))).toBe(false);
    expect(readdirSync(archiveDir())).toEqual(['Alpha.tar.zst']);
    expect(bytes).toBe(readFileSync(backend.archiveFile('Alpha')).length);
    await expect(backend.spaces.open(await record('Alpha'))).rejects.toThrowError(code('SPACE_ARCHIVED'));

    const manifest = await readArchiveManifest('Alpha', backend.archiveFile('Alpha'));
    expect(manifest).toMatchObject({ format: ARCHIVE_FORMAT, version: ARCHIVE_VERSION, name: 'Alpha', createdAt: '2026-11-01T00:00:00.000Z' });
    expect(manifest.database?.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The figures of an archived space come from its manifest, without unpacking the database.
    expect(await backend.spaces.inspect(await record('Alpha'))).toMatchObject({ memories: 4, relations: 1, contexts: 1, bytes, walBytes: 0 });

    await backend.archiver.restore('ALPHA');
    expect((await record('Alpha')).state).toBe('idle');
    expect(readdirSync(archiveDir())).toEqual([]);
    expect(readdirSync(spacesDir())).toEqual(['Alpha']);
    expect(readdirSync(backend.spaceDir('Alpha'))).toEqual(['space.db']); // derived files are rebuilt, not archived
    expect(tableRows(join(backend.spaceDir('Alpha'), 'space.db'))).toEqual(before.rows);

    const store = await backend.spaces.open(await record('Alpha'));
    expect(await fullDump(store)).toEqual(before.dump);
    expect(await store.verifyAudit()).toMatchObject({ ok: true });
    expect((await store.vectorSearch(unit(2), undefined, 1, 10_000))[0]?.id).toBe('m2');
    expect((await store.keywordSearch('pears', undefined, 5, 10_000)).map((h) => h.id)).toEqual(['m1']);
    expect(await store.integrityCheck()).toEqual([]);
    await store.close();
  });

  it('archives a space never opened as a manifest alone, and it comes back new', async () => {
    await backend.spaces.create(spaceRecord('blank'));
    await backend.archiver.archive('blank');
    expect((await readArchiveManifest('blank', backend.archiveFile('blank'))).database).toBeNull();
    await backend.archiver.restore('blank');
    expect(readdirSync(backend.spaceDir('blank'))).toEqual(['.new']);
    const store = await backend.spaces.open(await record('blank'));
    expect((await store.stats()).memories).toBe(0);
    await store.close();
  });

  it('refuses to archive an archived space or restore one that is not archived', async () => {
    await backend.spaces.create(spaceRecord('twice'));
    await backend.archiver.archive('twice');
    await expect(backend.archiver.archive('twice')).rejects.toThrowError(code('CONFLICT'));
    await backend.archiver.restore('twice');
    await expect(backend.archiver.restore('twice')).rejects.toThrowError(code('CONFLICT'));
    await expect(backend.archiver.archive('nope')).rejects.toThrowError(code('SPACE_NOT_FOUND'));
  });

  it('refuses to archive damaged storage and leaves it as it was', async () => {
    await backend.spaces.create(spaceRecord('broken'));
    rmSync(join(backend.spaceDir('broken'), '.new'));
    await expect(backend.archiver.archive('broken')).rejects.toThrowError(damaged);
    expect((await record('broken')).state).toBe('idle');
    expect(!existsSync(archiveDir()) || readdirSync(archiveDir()).length === 0).toBe(true);

    await filledSpace('corrupt');
    const file = join(backend.spaceDir('corrupt'), 'space.db');
    const garbage = readFileSync(file);
    garbage.fill(0x5a, 0, 100);
    writeFileSync(file, garbage);
    await expect(backend.archiver.archive('corrupt')).rejects.toThrowError(damaged);
    expect((await record('corrupt')).state).toBe('idle');
    expect(existsSync(file)).toBe(true);
    expect(readdirSync(archiveDir())).toEqual([]);
  });
});

describe('damaged archives', () => {
  beforeEach(async () => {
    await filledSpace('cold');
    await backend.archiver.archive('cold');
  });

  it('a truncated archive fails to restore and stays archived, archive untouched', async () => {
    const file = backend.archiveFile('cold');
    const whole = readFileSync(file);
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(backend.archiver.restore('cold')).rejects.toThrowError(damaged);
    expect((await record('cold')).state).toBe('archived');
    expect(existsSync(file)).toBe(true);
    expect(readdirSync(spacesDir())).toEqual([]); // no temp directory left
    writeFileSync(file, whole);
    await backend.archiver.restore('cold');
  });

  it('garbage, a flipped byte or a missing file is damaged', async () => {
    const file = backend.archiveFile('cold');
    const whole = readFileSync(file);
    const flipped = Buffer.from(whole);
    flipped[Math.floor(flipped.length / 2)]! ^= 0xff;
    writeFileSync(file, flipped);
    await expect(backend.archiver.restore('cold')).rejects.toThrowError(damaged);
    writeFileSync(file, 'not an archive at all');
    await expect(backend.archiver.restore('cold')).rejects.toThrowError(damaged);
    await expect(backend.spaces.inspect(await record('cold'))).rejects.toThrowError(damaged);
    rmSync(file);
    await expect(backend.archiver.restore('cold')).rejects.toThrowError(damaged);
    expect((await record('cold')).state).toBe('archived');
  });

  it('a database that does not match its digest is damaged', async () => {
    const manifest = await readArchiveManifest('cold', backend.archiveFile('cold'));
    const fake = Buffer.alloc(manifest.database!.bytes, 1);
    const pack = tar.pack();
    const writing = pipeline(pack, new CompressStream(), createWriteStream(backend.archiveFile('cold')));
    pack.entry({ name: 'manifest.json' }, JSON.stringify(manifest));
    pack.entry({ name: 'space.db' }, fake);
    pack.finalize();
    await writing;
    await expect(backend.archiver.restore('cold')).rejects.toThrowError(expect.objectContaining({ details: expect.objectContaining({ reason: expect.stringMatching(/does not match/) }) }));
  });
});

describe('interrupted steps recover', () => {
  it('archive: leftover temporaries of an earlier attempt are replaced', async () => {
    const before = await filledSpace('temp');
    mkdirSync(archiveDir(), { recursive: true });
    writeFileSync(join(archiveDir(), 'temp~archive.tmp'), 'half an archive');
    writeFileSync(join(archiveDir(), 'temp~snapshot.db'), 'half a snapshot');
    await backend.archiver.archive('temp');
    expect(readdirSync(archiveDir())).toEqual(['temp.tar.zst']);
    await backend.archiver.restore('temp');
    expect(tableRows(join(backend.spaceDir('temp'), 'space.db'))).toEqual(before.rows);
  });

  it('archive: a crash after the rename but before the commit leaves the space as it was', async () => {
    const before = await filledSpace('early');
    await backend.archiver.archive('early');
    const archive = readFileSync(backend.archiveFile('early'));
    await backend.archiver.restore('early');
    // Rebuild the state of that crash: the space live and idle, a complete archive beside it.
    writeFileSync(backend.archiveFile('early'), archive);
    const store = await backend.spaces.open(await record('early'));
    expect(await fullDump(store)).toEqual(before.dump);
    await store.close();
    await expect(backend.archiver.restore('early')).rejects.toThrowError(code('CONFLICT'));
    expect(existsSync(backend.archiveFile('early'))).toBe(false); // the stray archive is gone
    expect(tableRows(join(backend.spaceDir('early'), 'space.db'))).toEqual(before.rows);
  });

  it('archive: a crash after the commit but before removing the directory is finished by the next call', async () => {
    const before = await filledSpace('late');
    const copy = join(dataDir, 'copy-of-late');
    cpSync(backend.spaceDir('late'), copy, { recursive: true });
    await backend.archiver.archive('late');
    cpSync(copy, backend.spaceDir('late'), { recursive: true }); // the directory the crash left
    await expect(backend.archiver.archive('late')).rejects.toThrowError(code('CONFLICT'));
    expect(existsSync(backend.spaceDir('late'))).toBe(false);
    cpSync(copy, backend.spaceDir('late'), { recursive: true });
    await backend.archiver.restore('late'); // replaces the stale directory with the archive's content
    expect(tableRows(join(backend.spaceDir('late'), 'space.db'))).toEqual(before.rows);
  });

  it('restore: a crash mid-extraction or after the rename is redone from the archive', async () => {
    const before = await filledSpace('redo');
    await backend.archiver.archive('redo');
    // Mid-extraction: a temp directory with part of a database.
    mkdirSync(join(spacesDir(), 'redo~restore.tmp'));
    writeFileSync(join(spacesDir(), 'redo~restore.tmp', 'space.db'), 'partial');
    // After the rename, before the commit: the directory in place with something stale in it.
    mkdirSync(backend.spaceDir('redo'));
    writeFileSync(join(backend.spaceDir('redo'), 'space.db'), 'stale');
    expect((await record('redo')).state).toBe('archived');
    await backend.archiver.restore('redo');
    expect(readdirSync(spacesDir())).toEqual(['redo']);
    expect(tableRows(join(backend.spaceDir('redo'), 'space.db'))).toEqual(before.rows);
    expect(existsSync(backend.archiveFile('redo'))).toBe(false);
  });

  it('restore: a crash after the commit leaves a stray archive that the next archive replaces', async () => {
    await filledSpace('stray');
    await backend.archiver.archive('stray');
    const archive = backend.archiveFile('stray');
    const kept = join(dataDir, 'kept.tar.zst');
    copyFileSync(archive, kept);
    await backend.archiver.restore('stray');
    copyFileSync(kept, archive); // the archive removal was lost
    const store = await backend.spaces.open(await record('stray'));
    await store.deleteMemories({ kind: 'and', nodes: [] }, { actor: null, now: 9_000, requestId: null });
    await store.close();
    await backend.archiver.archive('stray'); // must archive the current content, not keep the stray file
    expect((await readArchiveManifest('stray', archive)).figures.memories).toBe(0);
  });
});
