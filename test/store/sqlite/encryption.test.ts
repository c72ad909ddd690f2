import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import type { SearchHit } from '../../../src/core/views.js';
import { openEngine, rotateMasterKey, type MemspaceEngine } from '../../../src/memspace.js';
import { useDatabaseKey } from '../../../src/store/sqlite/space-database.js';
import { deriveFileKeys, unwrapSpaceKey } from '../../../src/store/sqlite/space-keys.js';
import { failure } from '../../support/rejects-with.js';
import { allMemories, axisVector, tempDir } from '../../support/temp-memspace.js';

const DIM = 8;
const MASTER = randomBytes(32).toString('hex');
const OTHER_MASTER = randomBytes(32).toString('hex');
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

const engines: MemspaceEngine[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const ms of engines) await ms.close().catch(() => undefined);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function open(dataDir: string, config: Parameters<typeof loadConfig>[0] = {}): Promise<MemspaceEngine> {
  const ms = await openEngine(loadConfig({ dataDir, ...config }, {}));
  engines.push(ms);
  return ms;
}

function freshDir(): string {
  const dir = tempDir('memspace-enc-');
  dirs.push(dir);
  return dir;
}

/** A canary no page of SQLite, no vector and no index would ever hold by chance. */
const canary = (tag: string): string => `CANARY-${tag}-${randomBytes(6).toString('hex')}`;

/** Every file under `dir` (recursively) with its bytes. */
function filesUnder(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.set(join(entry.parentPath, entry.name), readFileSync(join(entry.parentPath, entry.name)));
  }
  return out;
}

/** Fails when any file under `dir` holds one of `needles` (in UTF-8 or UTF-16) or starts with SQLite's header. */
function expectNoPlaintext(dir: string, needles: string[]): Map<string, Buffer> {
  const files = filesUnder(dir);
  expect(files.size).toBeGreaterThan(0);
  for (const [file, bytes] of files) {
    for (const needle of needles) {
      expect(bytes.includes(Buffer.from(needle, 'utf8')), `${needle} in ${file}`).toBe(false);
      expect(bytes.includes(Buffer.from(needle, 'utf16le')), `${needle} (UTF-16) in ${file}`).toBe(false);
    }
    if (bytes.length >= 16 && !file.endsWith('-shm')) expect(bytes.subarray(0, 16).equals(SQLITE_HEADER), `${file} starts with the SQLite header`).toBe(false);
  }
  return files;
}

async function addCanaries(ms: MemspaceEngine, space: string, n: number, tag: string): Promise<string[]> {
  const contents = Array.from({ length: n }, (_, i) => `${canary(tag)} note ${i} about invoices and tomatoes`);
  await ms.memories.addMany(
    space,
    contents.map((content, i) => ({ id: `m${i}`, content, embedding: axisVector(DIM, i), metadata: { secret: `${tag}-meta-${i}` }, tags: [`${tag}tag`] })),
  );
  return contents;
}

const ids = (hits: SearchHit[]): string[] => hits.map((h) => h.memory.id);

describe('encryption at rest on the embedded backend', () => {
  it('keeps no content, metadata or SQLite header in the files of an encrypted space: database, WAL, vectors, archive', async () => {
    const dataDir = freshDir();
    const ms = await open(dataDir, { masterKey: MASTER });
    await ms.spaces.create({ name: 'vault', embedder: 'none', dimension: DIM, encryption: true });
    await ms.spaces.create({ name: 'plain', embedder: 'none', dimension: DIM });
    const contents = await addCanaries(ms, 'vault', 50, 'vault');
    const plainContents = await addCanaries(ms, 'plain', 5, 'plain');
    // While open, before any checkpoint: the WAL holds the new pages.
    await ms.search.run('vault', { embedding: axisVector(DIM, 3), mode: 'vector', limit: 3 });
    const needles = [...contents.map((c) => c.split(' ')[0]!), 'vault-meta-7', 'vaulttag', 'invoices and tomatoes'];
    const whileOpen = expectNoPlaintext(join(dataDir, 'spaces', 'vault'), needles);
    expect([...whileOpen.keys()].some((f) => f.endsWith('space.db-wal'))).toBe(true);
    // The plain space beside it really holds its text, so the search above can find plaintext.
    const plainDb = Buffer.concat([...filesUnder(join(dataDir, 'spaces', 'plain')).values()]);
    expect(plainDb.includes(Buffer.from(plainContents[0]!.split(' ')[0]!))).toBe(true);

    await ms.registry.closeSpace('vault'); // checkpoint, vectors.bin saved
    const closed = expectNoPlaintext(join(dataDir, 'spaces', 'vault'), needles);
    const snapshot = [...closed.entries()].find(([f]) => f.endsWith('vectors.bin'))![1];
    expect(snapshot.subarray(0, 4).toString('latin1')).toBe('MSE1'); // the encrypted layout, not the plain "MSV1"
    expect(snapshot.includes(Buffer.from(new Float32Array(axisVector(DIM, 3)).buffer))).toBe(false);
    // Figures of the closed space are read with its key, without opening it.
    const record = (await ms.backend.spaces.get('vault'))!;
    expect((await ms.backend.spaces.inspect(record)).memories).toBe(50);

    await ms.lifecycle.archive('vault');
    const archive = expectNoPlaintext(join(dataDir, 'archive'), needles);
    expect(archive.size).toBe(1);
    expect((await ms.backend.spaces.inspect((await ms.backend.spaces.get('vault'))!)).memories).toBe(50);
    await ms.lifecycle.restore('vault');
    expectNoPlaintext(join(dataDir, 'spaces', 'vault'), needles);
    const { byId } = await allMemories(ms, 'vault');
    expect([...byId.values()].map((m) => m.content).sort()).toEqual([...contents].sort());
    expect(ids((await ms.search.run('vault', { query: 'tomatoes', mode: 'keyword', limit: 100 })).results)).toHaveLength(50);
  });

  it('a wrong master key makes encrypted spaces damaged with the reason, while the others serve; the right key brings them back', async () => {
    const dataDir = freshDir();
    let ms = await open(dataDir, { masterKey: MASTER });
    await ms.spaces.create({ name: 'enc-a', embedder: 'none', dimension: DIM, encryption: true });
    await ms.spaces.create({ name: 'enc-b', embedder: 'none', dimension: DIM, encryption: true });
    await ms.spaces.create({ name: 'plain', embedder: 'none', dimension: DIM });
    for (const space of ['enc-a', 'enc-b', 'plain']) await addCanaries(ms, space, 3, space.replace('-', ''));
    await ms.close();

    ms = await open(dataDir, { masterKey: OTHER_MASTER });
    const error = await failure(ms.memories.list('enc-a', { limit: 10 }), 'BACKEND_UNAVAILABLE');
    expect(error.details).toMatchObject({ damaged: true, reason: expect.stringContaining('master key does not unwrap') });
    expect((await ms.backend.spaces.get('enc-a'))!.state).toBe('damaged');
    expect((await ms.memories.list('plain', { limit: 10 })).items).toHaveLength(3);
    // Creating an encrypted space under another master key would mix two keys in one catalogue.
    const refused = await failure(ms.spaces.create({ name: 'enc-c', embedder: 'none', dimension: DIM, encryption: true }), 'VALIDATION_FAILED');
    expect(refused.details).toMatchObject({ encryption: true });
    expect(await ms.backend.spaces.get('enc-c')).toBeUndefined();
    await ms.close();

    ms = await open(dataDir, { masterKey: MASTER });
    expect((await ms.memories.list('enc-a', { limit: 10 })).items).toHaveLength(3);
    expect((await ms.memories.list('enc-b', { limit: 10 })).items).toHaveLength(3);
    expect((await ms.backend.spaces.get('enc-a'))!.state).not.toBe('damaged');
  });

  it('refuses to start without a master key while encrypted spaces exist, and refuses to create one without a master key', async () => {
    const plainDir = freshDir();
    const plain = await open(plainDir);
    const error = await failure(plain.spaces.create({ name: 'vault', embedder: 'none', dimension: DIM, encryption: true }), 'VALIDATION_FAILED');
    expect(error.message).toContain('MEMSPACE_MASTER_KEY');
    expect(await plain.backend.spaces.get('vault')).toBeUndefined();
    expect(existsSync(join(plainDir, 'spaces', 'vault'))).toBe(false);

    const dataDir = freshDir();
    const ms = await open(dataDir, { masterKey: MASTER });
    await ms.spaces.create({ name: 'vault', embedder: 'none', dimension: DIM, encryption: true });
    await ms.close();
    const refused = await failure(openEngine(loadConfig({ dataDir }, {})), 'VALIDATION_FAILED');
    expect(refused.message).toContain('1 encrypted space in this data directory needs the master key');
  });

  it('crypto-shreds: after delete, a copy of the files taken before cannot be opened, even with the master key', async () => {
    const dataDir = freshDir();
    const ms = await open(dataDir, { masterKey: MASTER });
    await ms.spaces.create({ name: 'vault', embedder: 'none', dimension: DIM, encryption: true });
    const contents = await addCanaries(ms, 'vault', 10, 'shred');
    await ms.registry.closeSpace('vault');
    const copy = join(freshDir(), 'vault-copy');
    cpSync(join(dataDir, 'spaces', 'vault'), copy, { recursive: true });
    const catalog = new Database(join(dataDir, 'catalog.db'), { readonly: true });
    expect(catalog.prepare('SELECT count(*) FROM space_keys').pluck().get()).toBe(1);
    catalog.close();

    await ms.spaces.delete('vault');
    const after = new Database(join(dataDir, 'catalog.db'), { readonly: true });
    expect(after.prepare('SELECT count(*) FROM space_keys').pluck().get()).toBe(0);
    after.close();
    // A new space of the same name gets a new key: the old files put back are unreadable.
    await ms.spaces.create({ name: 'vault', embedder: 'none', dimension: DIM, encryption: true });
    rmSync(join(dataDir, 'spaces', 'vault'), { recursive: true, force: true });
    cpSync(copy, join(dataDir, 'spaces', 'vault'), { recursive: true });
    const error = await failure(ms.memories.list('vault', { limit: 10 }), 'BACKEND_UNAVAILABLE');
    expect(error.details).toMatchObject({ damaged: true });
    // Nor does any key the catalogue holds now open the copy.
    const keysNow = new Database(join(dataDir, 'catalog.db'), { readonly: true });
    for (const row of keysNow.prepare('SELECT name, wrapped FROM space_keys').all() as { name: string; wrapped: Buffer }[]) {
      const key = unwrapSpaceKey(Buffer.from(MASTER, 'hex'), row.name, row.wrapped)!;
      const db = new Database(join(copy, 'space.db'), { readonly: true });
      useDatabaseKey(db, deriveFileKeys(key).database);
      expect(() => db.prepare('SELECT count(*) FROM memories').get()).toThrow(/not a database/);
      db.close();
    }
    keysNow.close();
    expect(Buffer.concat([...filesUnder(copy).values()]).includes(Buffer.from(contents[0]!.split(' ')[0]!))).toBe(false);
  });

  it('export/import round-trips an encrypted space into a new encrypted space', async () => {
    const dataDir = freshDir();
    const ms = await open(dataDir, { masterKey: MASTER });
    await ms.spaces.create({ name: 'vault', embedder: 'none', dimension: DIM, encryption: true });
    const contents = await addCanaries(ms, 'vault', 20, 'export');
    const lines: string[] = [];
    for await (const line of ms.transfer.exportSpace('vault')) lines.push(JSON.stringify(line));
    async function* replay(): AsyncIterable<string> {
      yield* lines;
    }
    await ms.transfer.importSpace('vault-copy', replay());
    expect((await ms.backend.spaces.get('vault-copy'))!.encryption).toBe(true);
    const a = await allMemories(ms, 'vault');
    const b = await allMemories(ms, 'vault-copy');
    expect([...b.byId.values()].map((m) => [m.id, m.content, m.metadata])).toEqual([...a.byId.values()].map((m) => [m.id, m.content, m.metadata]));
    await ms.registry.closeSpace('vault-copy');
    expectNoPlaintext(join(dataDir, 'spaces', 'vault-copy'), contents.map((c) => c.split(' ')[0]!));
  });

  it('rotate-master rewraps every key: the new key opens the spaces, the old one no longer does; refused while the data directory is open', async () => {
    const dataDir = freshDir();
    const ms = await open(dataDir, { masterKey: MASTER });
    await ms.spaces.create({ name: 'vault', embedder: 'none', dimension: DIM, encryption: true });
    await addCanaries(ms, 'vault', 4, 'rotate');
    const files = filesUnder(join(dataDir, 'spaces'));
    const busy = await failure(rotateMasterKey(loadConfig({ dataDir, masterKey: MASTER }, {}), OTHER_MASTER), 'CONFLICT');
    expect(busy.message).toContain('in use by another process');
    await ms.close();
    const before = filesUnder(join(dataDir, 'spaces'));
    expect(await rotateMasterKey(loadConfig({ dataDir, masterKey: MASTER }, {}), OTHER_MASTER)).toEqual({ rewrapped: 1 });
    // No space file was touched.
    expect(filesUnder(join(dataDir, 'spaces'))).toEqual(before);
    expect(files.size).toBeGreaterThan(0);
    // Rotating again with the old key as the current one changes nothing.
    await failure(rotateMasterKey(loadConfig({ dataDir, masterKey: MASTER }, {}), randomBytes(32).toString('hex')), 'VALIDATION_FAILED');

    const old = await open(dataDir, { masterKey: MASTER });
    await failure(old.memories.list('vault', { limit: 10 }), 'BACKEND_UNAVAILABLE');
    await old.close();
    const rotated = await open(dataDir, { masterKey: OTHER_MASTER });
    expect((await rotated.memories.list('vault', { limit: 10 })).items).toHaveLength(4);
    await rotated.close();
  });

  it('search threads search an encrypted space as the main thread does', async () => {
    const dataDir = freshDir();
    const one = await open(dataDir, { masterKey: MASTER, workers: 1 });
    await one.spaces.create({ name: 'vault', embedder: 'none', dimension: DIM, encryption: true });
    await addCanaries(one, 'vault', 40, 'threads');
    const requests = [
      { embedding: axisVector(DIM, 2), mode: 'vector', limit: 5 },
      { query: 'tomatoes', mode: 'keyword', limit: 5 },
      { query: 'invoices', embedding: axisVector(DIM, 5), limit: 5 },
    ] as const;
    const expected = [];
    for (const r of requests) expected.push(ids((await one.search.run('vault', { ...r })).results));
    await one.close();
    const threaded = await open(dataDir, { masterKey: MASTER, workers: 2 });
    for (const [i, r] of requests.entries()) expect(ids((await threaded.search.run('vault', { ...r })).results)).toEqual(expected[i]);
    await threaded.memories.add('vault', { id: 'fresh', content: 'fresh tomatoes', embedding: axisVector(DIM, 2) });
    expect(ids((await threaded.search.run('vault', { query: 'fresh', mode: 'keyword', limit: 5 })).results)).toEqual(['fresh']);
    await threaded.close();
  });

  it('keeps spaces apart: one encrypted space\'s key does not open another\'s files', async () => {
    const dataDir = freshDir();
    const ms = await open(dataDir, { masterKey: MASTER });
    await ms.spaces.create({ name: 'alice', embedder: 'none', dimension: DIM, encryption: true });
    await ms.spaces.create({ name: 'bob', embedder: 'none', dimension: DIM, encryption: true });
    await addCanaries(ms, 'alice', 3, 'alice');
    await addCanaries(ms, 'bob', 3, 'bob');
    await ms.close();
    const catalog = new Database(join(dataDir, 'catalog.db'), { readonly: true });
    const wrapped = (name: string): Buffer => catalog.prepare('SELECT wrapped FROM space_keys WHERE name = ?').pluck().get(name) as Buffer;
    const master = Buffer.from(MASTER, 'hex');
    const aliceKey = unwrapSpaceKey(master, 'alice', wrapped('alice'))!;
    // Bob's wrapped key does not unwrap as Alice's (the name is bound into it).
    expect(unwrapSpaceKey(master, 'alice', wrapped('bob'))).toBeUndefined();
    catalog.close();
    const db = new Database(join(dataDir, 'spaces', 'bob', 'space.db'), { readonly: true });
    useDatabaseKey(db, deriveFileKeys(aliceKey).database);
    expect(() => db.prepare('SELECT content FROM memories').all()).toThrow(/not a database/);
    db.close();
    // Swapping the files of the two spaces makes the swapped space damaged, never readable.
    const swapped = await open(dataDir, { masterKey: MASTER });
    await swapped.registry.closeSpace('alice');
    rmSync(join(dataDir, 'spaces', 'alice'), { recursive: true });
    cpSync(join(dataDir, 'spaces', 'bob'), join(dataDir, 'spaces', 'alice'), { recursive: true });
    await failure(swapped.memories.list('alice', { limit: 10 }), 'BACKEND_UNAVAILABLE');
    expect((await swapped.memories.list('bob', { limit: 10 })).items).toHaveLength(3);
  });
});
