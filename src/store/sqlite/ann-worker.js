// Worker thread that builds and checks the HNSW index file of one space, so the server's event
// loop never runs an HNSW insert or hashes a large file. Plain JavaScript, like the embedder's
// worker, so the same file runs from src/ (tests, tsx) and dist/.
//
// Protocol: the parent posts one job and the worker replies once, then the parent terminates it.
//   { kind: 'build', dbFile, dbKey?, dbCipher?, dir, uid, dimension, params, base? }
//       Reads the space database (read-only, one snapshot; an encrypted one with its key, which
//       comes in the message and is never written), builds an index of every memory (or, with
//       `base`, loads that index and applies what changed since), saves a new generation in
//       `dir` (beside the database, or in RAM for an encrypted space: index-dir.ts) and points
//       `vectors.hnsw.json` at it. Replies { ok: true, meta } or { ok: false, error }.
//   { kind: 'verify', dir, meta }
//       Checks that the index file named by `meta` has its recorded size and CRC-32.
//       Replies { ok: true } or { ok: false, error }.
import { closeSync, fstatSync, openSync, readFileSync, readSync, renameSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import Database from 'better-sqlite3-multiple-ciphers';
import { Index } from 'usearch';

/** Vectors added per native call: large enough for the library's threads to share the work. */
const CHUNK = 4096;
const META_FILE = 'vectors.hnsw.json';

/** Read size of a check: a 1M-vector index is over 1 GB, which need not sit in memory at once. */
const VERIFY_CHUNK = 16 * 1024 * 1024;

function verify({ dir, meta }) {
  const fd = openSync(join(dir, meta.file), 'r');
  try {
    const size = fstatSync(fd).size;
    if (size !== meta.bytes) throw new Error(`index file has ${size} bytes, expected ${meta.bytes}`);
    const chunk = Buffer.allocUnsafe(Math.min(VERIFY_CHUNK, size));
    let crc = 0;
    for (let read; (read = readSync(fd, chunk, 0, chunk.length, null)) > 0; ) crc = crc32(chunk.subarray(0, read), crc);
    if (crc !== meta.crc32) throw new Error('index file checksum mismatch');
  } finally {
    closeSync(fd);
  }
  return {};
}

function build({ dbFile, dbKey, dbCipher, dir, uid, dimension, params, base }) {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    useKey(db, dbKey, dbCipher);
    db.pragma('busy_timeout = 5000');
    const index = newIndex(dimension, params);
    // One read transaction: the rows read and the sequence recorded are one consistent snapshot.
    const snapshot = db.transaction(() => {
      const appliedSeq = base === undefined || compactedAfter(db, base.appliedSeq) ? addAll(db, index, dimension) : applyChanges(db, index, dimension, dir, base);
      return { appliedSeq, keys: Float64Array.from(db.prepare('SELECT seq FROM memories').pluck().all()) };
    })();
    return { meta: save(index, dir, { uid, dimension, params, ...snapshot }) };
  } finally {
    db.close();
  }
}

/**
 * What space-database.ts's useDatabaseKey does, for a worker that cannot load TypeScript: the
 * cipher and raw key of an encrypted database, and temporary tables kept in memory, since
 * SQLite's temporary files are not encrypted. Nothing for a plain database.
 */
function useKey(db, key, cipher) {
  if (key === undefined) return;
  if (!/^[0-9a-f]{64}$/.test(key) || !/^[a-z0-9]+$/.test(cipher ?? '')) throw new Error('invalid database key or cipher');
  db.pragma(`cipher = '${cipher}'`);
  db.pragma(`key = "x'${key}'"`);
  db.pragma('temp_store = MEMORY');
}

function newIndex(dimension, params) {
  return new Index({
    metric: 'ip',
    dimensions: dimension,
    quantization: params.quantization,
    connectivity: params.connectivity,
    expansion_add: params.expansionAdd,
    expansion_search: params.expansionSearch,
    multi: false,
  });
}

function lastChangeSeq(db) {
  return db.prepare(`SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0)`).pluck().get();
}

/**
 * True when compaction deleted change-feed events after `seq` (see SpaceStore.compactChanges):
 * the changes since a generation built then can no longer be listed, so the next one is built
 * from every row.
 */
function compactedAfter(db, seq) {
  const oldest = db.prepare('SELECT min(seq) FROM changes').pluck().get();
  return oldest !== null && oldest - 1 > seq;
}

/** A full build from every row of the database. */
function addAll(db, index, dimension) {
  const appliedSeq = lastChangeSeq(db);
  const batch = new Batch(index, dimension);
  for (const row of db.prepare('SELECT seq, embedding FROM memories').iterate()) batch.push(row.seq, row.embedding);
  batch.flush();
  return appliedSeq;
}

/**
 * An incremental build: the previous generation, minus the rows deleted or changed since it was
 * made, plus their current versions. Keys are row seqs; SQLite may give a deleted row's seq to a
 * new row, which is why a changed row is always removed before it is added again.
 */
function applyChanges(db, index, dimension, dir, base) {
  index.load(join(dir, base.file));
  const appliedSeq = lastChangeSeq(db);
  const baseKeys = new Float64Array(readFileSync(join(dir, base.keysFile)).buffer.slice(0));
  const current = new Set(db.prepare('SELECT seq FROM memories').pluck().all());
  const removals = [];
  for (const key of baseKeys) if (!current.has(key)) removals.push(BigInt(key));
  const changed = new Map();
  const rows = db.prepare(`SELECT m.seq AS seq, m.embedding AS embedding FROM changes c JOIN memories m ON m.id = c.id
    WHERE c.seq > ? AND c.op IN ('memory.created', 'memory.updated')`);
  for (const row of rows.iterate(base.appliedSeq)) changed.set(row.seq, row.embedding);
  for (const seq of changed.keys()) if (index.contains(BigInt(seq))) removals.push(BigInt(seq));
  if (removals.length > 0) index.remove(BigUint64Array.from(new Set(removals)));
  const batch = new Batch(index, dimension);
  for (const [seq, embedding] of changed) batch.push(seq, embedding);
  batch.flush();
  return appliedSeq;
}

/** Collects rows into one matrix and adds them with every core. */
class Batch {
  constructor(index, dimension) {
    this.index = index;
    this.dimension = dimension;
    this.keys = new BigUint64Array(CHUNK);
    this.vectors = new Float32Array(CHUNK * dimension);
    this.count = 0;
  }

  push(seq, embedding) {
    this.keys[this.count] = BigInt(seq);
    new Uint8Array(this.vectors.buffer, this.count * this.dimension * 4, this.dimension * 4).set(embedding);
    if (++this.count === CHUNK) this.flush();
  }

  flush() {
    if (this.count === 0) return;
    // Copies, not views: the native side ignores a typed array's offset.
    const keys = this.keys.slice(0, this.count);
    const vectors = this.vectors.slice(0, this.count * this.dimension);
    this.index.add(keys, vectors, availableParallelism());
    this.count = 0;
  }
}

/**
 * Writes the index and its key list under a fresh generation name, then replaces the pointer
 * file in one rename, so a reader sees either the old generation or the new one, never a mix.
 */
function save(index, dir, { uid, dimension, params, appliedSeq, keys }) {
  const generation = `${Date.now().toString(36)}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const file = `vectors-${generation}.usearch`;
  const keysFile = `vectors-${generation}.keys`;
  try {
    index.save(join(dir, file));
    writeFileSync(join(dir, keysFile), new Uint8Array(keys.buffer));
  } catch (error) {
    const free = freeSpace(dir); // before the removal below frees what was written
    // A part-written file takes room (in RAM, for an encrypted space) until a later generation is adopted.
    for (const name of [file, keysFile]) rmSync(join(dir, name), { force: true });
    throw new Error(`cannot write the index to ${dir}${free}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const bytes = readFileSync(join(dir, file));
  const meta = {
    format: 1,
    uid,
    dimension,
    params,
    appliedSeq,
    count: index.size(),
    file,
    keysFile,
    bytes: bytes.length,
    crc32: crc32(bytes),
  };
  const tmp = join(dir, `${META_FILE}.${generation}.tmp`);
  writeFileSync(tmp, JSON.stringify(meta));
  renameSync(tmp, join(dir, META_FILE));
  return meta;
}

/** The free space of `dir`'s file system, to tell a full one (a small /dev/shm, say) from other failures. */
function freeSpace(dir) {
  try {
    const fs = statfsSync(dir);
    return ` (${fs.bavail * fs.bsize} bytes free there)`;
  } catch {
    return '';
  }
}

// Last, once every declaration above is initialised.
try {
  const job = workerData;
  const result = job.kind === 'verify' ? verify(job) : build(job);
  parentPort.postMessage({ ok: true, ...result });
} catch (error) {
  parentPort.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
}
