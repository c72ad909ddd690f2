/**
 * The audit trail's rules, kept once for every backend: how an entry is sealed into the hash
 * chain and how a chain is verified. A store only persists what {@link sealAuditEntry} returns
 * inside the transaction of the change it records, and feeds its rows to
 * {@link AuditChainVerifier}.
 */
import { createHash } from 'node:crypto';
import { MAX_AUDIT_IDS } from './schemas.js';
import type { AuditEvent, AuditRecord, AuditVerification, JsonObject, MemoryRecord, WriteContext } from './types.js';

/** `prevHash` of the first entry of every chain: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields of an entry that its hash covers. */
export type AuditContent = Omit<AuditRecord, 'prevHash' | 'hash'>;

/**
 * Canonical JSON: no whitespace, object keys sorted by UTF-16 code units, `undefined` members
 * left out, numbers and strings as `JSON.stringify` writes them (the rules of RFC 8785 for the
 * values an audit entry holds), so another implementation can recompute a hash byte for byte.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`not a JSON value: ${typeof value}`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** `sha256_hex(prevHash + canonicalJson(entry))` over the UTF-8 bytes. */
export function auditHash(prevHash: string, entry: AuditContent): string {
  const content = canonicalJson({
    seq: entry.seq,
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    ids: entry.ids,
    requestId: entry.requestId,
    details: entry.details,
  });
  return createHash('sha256').update(prevHash + content, 'utf8').digest('hex');
}

/**
 * The next entry of a chain whose newest entry is `head` (undefined for an empty chain).
 * Ids beyond {@link MAX_AUDIT_IDS} are cut, and then `details.count` holds how many there were.
 */
export function sealAuditEntry(head: { seq: number; hash: string } | undefined, event: AuditEvent, ctx: WriteContext): AuditRecord {
  let details = event.details;
  let ids = [...event.ids];
  if (ids.length > MAX_AUDIT_IDS) {
    details = { count: ids.length, ...details };
    ids = ids.slice(0, MAX_AUDIT_IDS);
  }
  const content: AuditContent = {
    seq: (head?.seq ?? 0) + 1,
    at: ctx.now,
    actor: ctx.actor,
    action: event.action,
    ids,
    requestId: ctx.requestId,
    details,
  };
  const prevHash = head?.hash ?? GENESIS_HASH;
  return { ...content, prevHash, hash: auditHash(prevHash, content) };
}

/** An audit row as a store reads it back: `ids` and `details` as decoded, `undefined` if undecodable. */
export type StoredAuditRow = Omit<AuditRecord, 'ids' | 'details'> & { ids: unknown; details: unknown };

/**
 * An audit entry as both stores keep it: snake_case columns, `ids` and `details` as the exact
 * JSON text that was hashed (so a chain verifies whatever the database does to JSON values).
 */
export interface AuditTextRow {
  seq: number;
  at: number;
  actor: string | null;
  action: string;
  ids: string;
  request_id: string | null;
  details: string | null;
  prev_hash: string;
  hash: string;
}

/** The audit entry a stored row holds. */
export function auditFromTextRow(r: AuditTextRow): AuditRecord {
  return { ...storedAuditRow(r), ids: JSON.parse(r.ids) as string[], details: r.details === null ? null : (JSON.parse(r.details) as AuditRecord['details']) };
}

/** A stored row for {@link AuditChainVerifier}: JSON that no longer decodes (a damaged row) becomes undefined, for the verifier to report. */
export function storedAuditRow(r: AuditTextRow): StoredAuditRow {
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    ids: tryParseJson(r.ids),
    requestId: r.request_id,
    details: r.details === null ? null : tryParseJson(r.details),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Recomputes a chain from its rows, fed in seq order. The first fault wins: a missing entry
 * (a gap in seq), an entry whose `prevHash` is not its predecessor's hash, or an entry whose
 * content no longer matches its own hash.
 */
export class AuditChainVerifier {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  private count = 0;
  private fault: { firstBadSeq: number; reason: string } | undefined;

  /** Checks the next row. */
  push(row: StoredAuditRow): void {
    this.count += 1;
    if (this.fault !== undefined) return;
    if (row.seq !== this.expectedSeq) {
      this.fault =
        row.seq > this.expectedSeq
          ? { firstBadSeq: this.expectedSeq, reason: `entry ${this.expectedSeq} is missing (the next entry present is ${row.seq})` }
          : { firstBadSeq: row.seq, reason: `entry ${row.seq} is out of order` };
      return;
    }
    if (row.prevHash !== this.prevHash) {
      this.fault = {
        firstBadSeq: row.seq,
        reason: row.seq === 1 ? 'entry 1 does not start the chain (its prev_hash is not 64 zeros)' : `entry ${row.seq} does not link to entry ${row.seq - 1} (prev_hash differs from its hash)`,
      };
      return;
    }
    if (!isIds(row.ids) || !isDetails(row.details) || auditHash(row.prevHash, { ...row, ids: row.ids, details: row.details }) !== row.hash) {
      this.fault = { firstBadSeq: row.seq, reason: `entry ${row.seq} was altered (its content does not match its hash)` };
      return;
    }
    this.prevHash = row.hash;
    this.expectedSeq = row.seq + 1;
  }

  /** The verdict over every row pushed so far. */
  result(): AuditVerification {
    return this.fault === undefined ? { ok: true, entries: this.count } : { ok: false, entries: this.count, ...this.fault };
  }
}

/** Names of the fields of a memory that differ between two versions, for `memory.update` details. */
export function changedMemoryFields(old: MemoryRecord, next: MemoryRecord): string[] {
  const changed: string[] = [];
  if (old.content !== next.content) changed.push('content');
  if (canonicalJson(old.metadata) !== canonicalJson(next.metadata)) changed.push('metadata');
  if (canonicalJson(old.tags) !== canonicalJson(next.tags)) changed.push('tags');
  if (old.kind !== next.kind) changed.push('kind');
  if (old.importance !== next.importance) changed.push('importance');
  if (old.expiresAt !== next.expiresAt) changed.push('expiresAt');
  if (!sameVector(old.embedding, next.embedding)) changed.push('embedding');
  return changed;
}

function sameVector(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isIds(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function isDetails(value: unknown): value is JsonObject | null {
  return value === null || (typeof value === 'object' && !Array.isArray(value));
}
