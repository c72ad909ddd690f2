import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

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
}

const MAGIC = 0x3156534d; // "MSV1" little-endian
const HEADER = 48;

/**
 * Writes the snapshot next to the database, atomically (temporary file, then rename). It is
 * derived data: not fsynced, because a torn or stale file is detected and rebuilt.
 */
export function saveVectorSnapshot(file: string, snap: VectorSnapshot): void {
  const count = snap.ids.length;
  const idsBytes = Buffer.from(JSON.stringify(snap.ids), 'utf8');
  const bodyBytes = count * 16 + snap.vectors.byteLength;
  const out = Buffer.alloc(HEADER + bodyBytes + idsBytes.length);
  const body = new Uint8Array(out.buffer, out.byteOffset + HEADER, bodyBytes);
  body.set(new Uint8Array(snap.seqs.buffer, snap.seqs.byteOffset, count * 8), 0);
  body.set(new Uint8Array(snap.expires.buffer, snap.expires.byteOffset, count * 8), count * 8);
  body.set(new Uint8Array(snap.vectors.buffer, snap.vectors.byteOffset, snap.vectors.byteLength), count * 16);
  idsBytes.copy(out, HEADER + bodyBytes);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(snap.dimension, 4);
  out.writeUInt32LE(count, 8);
  out.writeUInt32LE(idsBytes.length, 12);
  out.writeUInt32LE(checksum(out.subarray(HEADER)), 16);
  Buffer.from(snap.uid.padEnd(32, '0').slice(0, 32), 'hex').copy(out, 20);
  out.writeDoubleLE(snap.appliedSeq, 36);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, out);
  renameSync(tmp, file);
}

/**
 * Reads a snapshot written for database `uid` with vectors of `dimension` floats; undefined
 * when the file is missing, truncated, altered, or belongs to another database.
 */
export function loadVectorSnapshot(file: string, uid: string, dimension: number): VectorSnapshot | undefined {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch {
    return undefined;
  }
  if (raw.length < HEADER || raw.readUInt32LE(0) !== MAGIC || raw.readUInt32LE(4) !== dimension) return undefined;
  const count = raw.readUInt32LE(8);
  const idsLength = raw.readUInt32LE(12);
  const bodyBytes = count * 16 + count * dimension * 4;
  if (raw.length !== HEADER + bodyBytes + idsLength) return undefined;
  if (raw.subarray(20, 36).toString('hex') !== uid.padEnd(32, '0').slice(0, 32)) return undefined;
  if (checksum(raw.subarray(HEADER)) !== raw.readUInt32LE(16)) return undefined;
  // Copy into aligned memory: a Buffer's offset need not suit a Float64Array.
  const body = new Uint8Array(bodyBytes);
  body.set(raw.subarray(HEADER, HEADER + bodyBytes));
  let ids: unknown;
  try {
    ids = JSON.parse(raw.subarray(HEADER + bodyBytes).toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(ids) || ids.length !== count || !ids.every((id) => typeof id === 'string')) return undefined;
  return {
    uid,
    dimension,
    appliedSeq: raw.readDoubleLE(36),
    ids: ids as string[],
    seqs: new Float64Array(body.buffer, 0, count),
    expires: new Float64Array(body.buffer, count * 8, count),
    vectors: new Float32Array(body.buffer, count * 16, count * dimension),
  };
}

/** Removes a snapshot, e.g. when it no longer matches its database. */
export function removeVectorSnapshot(file: string): void {
  rmSync(file, { force: true });
}

/** FNV-1a over 32-bit words (and the trailing bytes): cheap enough for tens of megabytes. */
function checksum(bytes: Uint8Array): number {
  const words = Math.floor(bytes.length / 4);
  const aligned = bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, words) : new Uint32Array(bytes.slice(0, words * 4).buffer);
  let h = 0x811c9dc5;
  for (let i = 0; i < words; i++) h = Math.imul(h ^ aligned[i]!, 0x01000193);
  for (let i = words * 4; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}
