import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';

/** What a snapshot holds: the vector index of one space as of change-feed sequence `appliedSeq`. */
export interface VectorSnapshot {
  /** Identity of the database the vectors came from. */
  uid: string;
  dimension: number;
  appliedSeq: number;
  ids: string[];
  seqs: Float64Array;
  expires: Float64Array;
  /** `ids.length * dimension` floats, row after row. */
  vectors: Float32Array;
  /** The int8 codes and scales of the vectors, as bytes, when the index keeps them. */
  quantized?: { codes: Uint8Array; scales: Uint8Array };
  /** Checksum of `vectors` and `quantized`, from the index that holds them (see {@link SnapshotTarget.rowsChecksum}). */
  vectorsChecksum: number;
}

/** Where a snapshot's vectors are read to: straight into the index's own memory. */
export interface SnapshotTarget {
  /** A writable view of room for `count` vectors. */
  rowsFor(count: number): Float32Array;
  /** Writable views of room for `count` rows of int8 codes and scales; undefined when the index keeps none. */
  quantizedFor(count: number): { codes: Uint8Array; scales: Uint8Array } | undefined;
  /** Checksum of the first `count` vectors, as {@link VectorSnapshot.vectorsChecksum}. */
  rowsChecksum(count: number): number;
}

const MAGIC = 0x3156534d; // "MSV1" little-endian
const HEADER = 48;
/**
 * An encrypted snapshot (an encrypted space's, `key` given): "MSE1", a random 12-byte IV, the
 * AES-256-GCM tag, then the plain layout above encrypted. The GCM tag also replaces the
 * checksum's job of catching torn or altered files before anything is parsed.
 */
const ENCRYPTED_MAGIC = Buffer.from('MSE1', 'latin1');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ENCRYPTED_AAD = Buffer.from('memspace vectors.bin v1', 'utf8');

/**
 * Writes the snapshot next to the database, atomically (temporary file, then rename). It is
 * derived data: not fsynced, because a torn or stale file is detected and rebuilt.
 */
export function saveVectorSnapshot(file: string, snap: VectorSnapshot, key?: string): void {
  const count = snap.ids.length;
  const idsBytes = Buffer.from(JSON.stringify(snap.ids), 'utf8');
  const seqs = new Uint8Array(snap.seqs.buffer, snap.seqs.byteOffset, count * 8);
  const expires = new Uint8Array(snap.expires.buffer, snap.expires.byteOffset, count * 8);
  const vectors = new Uint8Array(snap.vectors.buffer, snap.vectors.byteOffset, snap.vectors.byteLength);
  const quantized = snap.quantized === undefined ? [] : [snap.quantized.codes, snap.quantized.scales];
  const header = Buffer.alloc(HEADER);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(snap.dimension, 4);
  header.writeUInt32LE(count, 8);
  header.writeUInt32LE(idsBytes.length, 12);
  header.writeUInt32LE(quantized.length === 0 ? 0 : 1, 44);
  header.writeUInt32LE(combine(checksum([seqs, expires, idsBytes]), snap.vectorsChecksum), 16);
  Buffer.from(uidHex(snap.uid), 'hex').copy(header, 20);
  header.writeDoubleLE(snap.appliedSeq, 36);
  // One temporary name per thread: search threads save their copies too (search-replica.ts).
  const tmp = `${file}.${threadId}.tmp`;
  const parts = [header, seqs, expires, vectors, ...quantized, idsBytes];
  writeFileSync(tmp, key === undefined ? Buffer.concat(parts) : encrypt(key, parts));
  renameSync(tmp, file);
}

/**
 * Reads a snapshot written for database `uid` with vectors of `dimension` floats, the vectors
 * straight into `target`. Undefined when the file is missing, truncated, altered, or belongs to
 * another database; `target`'s rows may then hold garbage and must not be used.
 */
export function loadVectorSnapshot(
  file: string,
  uid: string,
  dimension: number,
  target: SnapshotTarget,
  key?: string,
): Omit<VectorSnapshot, 'vectors' | 'vectorsChecksum' | 'quantized'> | undefined {
  let source: SnapshotSource | undefined;
  try {
    source = key === undefined ? fileSource(file) : decryptedSource(file, key);
  } catch {
    return undefined;
  }
  if (source === undefined) return undefined;
  try {
    const header = Buffer.alloc(HEADER);
    if (source.read(header, 0) !== HEADER) return undefined;
    if (header.readUInt32LE(0) !== MAGIC || header.readUInt32LE(4) !== dimension) return undefined;
    if (header.subarray(20, 36).toString('hex') !== uidHex(uid)) return undefined;
    const count = header.readUInt32LE(8);
    const idsLength = header.readUInt32LE(12);
    const meta = new Float64Array(count * 2);
    const vectors = target.rowsFor(count).subarray(0, count * dimension);
    const idsBytes = Buffer.alloc(idsLength);
    const quantized = target.quantizedFor(count);
    // The codes are in the file exactly when this index keeps them: same dimension, same kernel.
    if ((quantized === undefined ? 0 : 1) !== header.readUInt32LE(44)) return undefined;
    const parts = [
      new Uint8Array(meta.buffer),
      new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength),
      ...(quantized === undefined ? [] : [quantized.codes, quantized.scales]),
      idsBytes,
    ];
    let at = HEADER;
    for (const part of parts) {
      if (source.read(part, at) !== part.byteLength) return undefined;
      at += part.byteLength;
    }
    if (source.read(Buffer.alloc(1), at) !== 0) return undefined; // longer than it says
    const sum = combine(checksum([new Uint8Array(meta.buffer, 0, count * 8), new Uint8Array(meta.buffer, count * 8, count * 8), idsBytes]), target.rowsChecksum(count));
    if (sum !== header.readUInt32LE(16)) return undefined;
    const ids: unknown = JSON.parse(idsBytes.toString('utf8'));
    if (!Array.isArray(ids) || ids.length !== count || !ids.every((id) => typeof id === 'string')) return undefined;
    return { uid, dimension, appliedSeq: header.readDoubleLE(36), ids: ids as string[], seqs: meta.subarray(0, count), expires: meta.subarray(count) };
  } catch {
    return undefined;
  } finally {
    source.close();
  }
}

/** Where a snapshot is read from: the file itself, or its decryption in memory. */
interface SnapshotSource {
  /** Fills `into` from byte `position` on, as far as the snapshot goes; returns the bytes read. */
  read(into: Uint8Array, position: number): number;
  close(): void;
}

function fileSource(file: string): SnapshotSource {
  const fd = openSync(file, 'r');
  return { read: (into, position) => readSync(fd, into, 0, into.byteLength, position), close: () => closeSync(fd) };
}

/** The whole file decrypted in memory; undefined when it is not an encrypted snapshot or does not authenticate under `key`. */
function decryptedSource(file: string, key: string): SnapshotSource | undefined {
  const sealed = readFileSync(file);
  const start = ENCRYPTED_MAGIC.length + IV_BYTES + TAG_BYTES;
  if (sealed.length < start || !sealed.subarray(0, ENCRYPTED_MAGIC.length).equals(ENCRYPTED_MAGIC)) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(key, 'hex'), sealed.subarray(ENCRYPTED_MAGIC.length, ENCRYPTED_MAGIC.length + IV_BYTES));
  decipher.setAAD(ENCRYPTED_AAD);
  decipher.setAuthTag(sealed.subarray(ENCRYPTED_MAGIC.length + IV_BYTES, start));
  const plain = Buffer.concat([decipher.update(sealed.subarray(start)), decipher.final()]);
  return {
    read: (into, position) => {
      const n = Math.max(0, Math.min(into.byteLength, plain.length - position));
      into.set(plain.subarray(position, position + n));
      return n;
    },
    close: () => plain.fill(0),
  };
}

function encrypt(key: string, parts: readonly Uint8Array[]): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key, 'hex'), iv);
  cipher.setAAD(ENCRYPTED_AAD);
  const body = parts.map((part) => cipher.update(part));
  body.push(cipher.final());
  return Buffer.concat([ENCRYPTED_MAGIC, iv, cipher.getAuthTag(), ...body]);
}

/** Removes a snapshot, e.g. when it no longer matches its database. */
export function removeVectorSnapshot(file: string): void {
  rmSync(file, { force: true });
}

function uidHex(uid: string): string {
  return uid.padEnd(32, '0').slice(0, 32);
}

function combine(meta: number, vectors: number): number {
  return (Math.imul(meta ^ 0x5bd1e995, 0x01000193) ^ vectors) >>> 0;
}

/**
 * A Fletcher-style sum over the small parts (ids, sequences, expiries); the vectors, tens of
 * megabytes, are summed by their index in WebAssembly. Any truncation, garbage or flipped byte
 * changes one of the two. Parts are summed in order; all but the last are whole words long.
 */
function checksum(parts: readonly Uint8Array[]): number {
  let a = 1;
  let b = 0;
  for (const bytes of parts) {
    const words = bytes.byteLength >>> 2;
    const view = bytes.byteOffset % 4 === 0 ? new Int32Array(bytes.buffer, bytes.byteOffset, words) : new Int32Array(bytes.slice(0, words * 4).buffer);
    for (let i = 0; i < words; i++) {
      a = (a + view[i]!) | 0;
      b = (b + a) | 0;
    }
    for (let i = words * 4; i < bytes.byteLength; i++) {
      a = (a + bytes[i]!) | 0;
      b = (b + a) | 0;
    }
  }
  return (Math.imul(b, 0x9e3779b1) ^ a) >>> 0;
}
