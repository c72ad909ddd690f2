import { MemspaceError } from './errors.js';

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits. Ids sort by creation time,
 * which keeps B-tree inserts at the right edge. Monotonic within one process even when the
 * clock stands still or steps back, so ids made in a burst keep their order.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  const bytes = randomBytes16();
  let ms = Math.max(nowMs, lastMs);
  if (ms === lastMs) {
    lastCounter = (lastCounter + 1) & 0xfff;
    if (lastCounter === 0) ms += 1;
  } else {
    lastCounter = bytes[6]! & 0x07; // a small random start leaves room to count up
  }
  lastMs = ms;
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
  bytes[2] = (ms >>> 24) & 0xff;
  bytes[3] = (ms >>> 16) & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | ((lastCounter >>> 8) & 0x0f);
  bytes[7] = lastCounter & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  let out = '';
  for (let i = 0; i < 16; i++) {
    out += HEX[bytes[i]!]!;
    if (i === 3 || i === 5 || i === 7 || i === 9) out += '-';
  }
  return out;
}
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/**
 * Random bytes are drawn 4 KiB at a time: one `getRandomValues` call per id cost about as much
 * as writing the memory's row in a batched insert (bench/RESULTS.md, ingest).
 */
const POOL = new Uint8Array(4096);
let poolAt = POOL.length;

/** Sixteen fresh random bytes (a copy: the caller overwrites some of them). */
function randomBytes16(): Uint8Array {
  if (poolAt + 16 > POOL.length) {
    crypto.getRandomValues(POOL);
    poolAt = 0;
  }
  poolAt += 16;
  return POOL.slice(poolAt - 16, poolAt);
}
let lastMs = 0;
let lastCounter = 0;

/** Ids a caller may choose: printable, no separators that could confuse paths or logs. */
const CALLER_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Validates an id given by a caller (memory, relation); throws `VALIDATION_FAILED`. */
export function validateId(id: string, what = 'id'): string {
  // "." and ".." are path segments to every URL parser: an id made of them could not be addressed.
  if (!CALLER_ID.test(id) || /^\.+$/.test(id)) {
    throw new MemspaceError('VALIDATION_FAILED', `${what} must be 1-128 characters of A-Z, a-z, 0-9, "_", ".", ":" or "-"`, {
      issues: [{ path: what, message: 'invalid id' }],
    });
  }
  return id;
}
