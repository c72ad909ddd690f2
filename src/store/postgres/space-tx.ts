/**
 * Transactions scoped to one space: the only way the space store reaches the database. Each
 * runs as {@link APP_ROLE} with `memspace.space` set for the transaction only, so row-level
 * security confines it to one space even if a query forgot its condition. Writers also lock
 * the space's `space_state` row, which serialises them per space and carries the sequences.
 */
import { MemspaceError } from '../../core/errors.js';
import type { AuditRecord, ChangeOp, HistoryAction, JsonObject, WriteContext } from '../../core/types.js';
import type { AccessCounter } from '../common/access-counter.js';
import type { AuditHead, HistoryEntry, HistoryStamp, MutationSink } from '../common/mutation-recorder.js';
import { translatePgError } from './postgres-errors.js';
import { fromRowsInSpace } from './space-rows.js';
import { APP_ROLE } from './space-schema.js';
import { LOCK_STATE_SQL, type SpaceCounters, STATE_SQL } from './space-state.js';
import type pg from 'pg';

/**
 * The LISTEN/NOTIFY channel on which writes announce that a space's change feed grew (payload:
 * the space id). Only servers listen; a notification carries no row data, and a lost one
 * loses nothing since readers re-read the durable `changes` table.
 */
export const CHANGES_CHANNEL = 'memspace_changes';

/** What a query runs on: a connection inside a scoped transaction, of which only `query` is used. */
export type Db = Pick<pg.PoolClient, 'query'>;

/** How {@link inSpace} opens its transaction. */
export interface InSpaceOptions {
  /** Run as {@link APP_ROLE}; false runs as the connecting role (catalogue work that RLS must still scope). @default true */
  role?: boolean;
  /**
   * A read-only transaction at REPEATABLE READ, whose statements all see the snapshot of its
   * first: a read session. READ COMMITTED (the default) gives each statement its own.
   * @default false
   */
  snapshot?: boolean;
  /**
   * A statement to run first, whose only parameter is `$1`, the space id; its rows go to `fn`.
   * On PostgreSQL it rides in the round trip that opens the transaction.
   */
  lead?: string;
}

/** The database the space transactions run on. */
export interface SpaceDatabase {
  readonly pool: pg.Pool;
  /**
   * A Citus coordinator: each space's rows live on one worker, whose shards' RLS policies read
   * `memspace.space` there, so the transaction's settings must travel to it (see {@link inSpace}).
   */
  readonly citus: boolean;
}

/**
 * `hnsw.ef_search` of an approximate search: the candidate list of each round of the graph walk.
 * Every space transaction starts with it and with iterative scanning in relaxed order, so a
 * space holding a small share of its dimension's rows still fills its `limit` (they change
 * nothing for exact scans); a search asking for more rows raises it (prepareVectorSearch).
 */
export const EF_SEARCH = 100;
const HNSW_SETTINGS = `SET LOCAL hnsw.iterative_scan = relaxed_order; SET LOCAL hnsw.ef_search = ${EF_SEARCH}`;

/**
 * Runs `fn` in a transaction as {@link APP_ROLE} scoped to `spaceId`, committing when it
 * resolves and rolling back when it throws; driver errors are translated. Role and settings are
 * transaction-local (`SET LOCAL`), so nothing leaks to the next user of the connection.
 *
 * On PostgreSQL the transaction opens in one round trip, with the lead statement if any (the
 * space id goes in as an escaped literal since a multi-statement string cannot take parameters).
 * On Citus the settings must reach the worker: with `citus.propagate_set_commands = 'local'`
 * the coordinator forwards each `SET LOCAL` (not a `set_config` call) to the workers the
 * transaction uses, as the whole query string it came in. So the settings go in a second
 * string that holds nothing else, and the lead statement in a third.
 */
export async function inSpace<T>(
  database: SpaceDatabase,
  spaceId: string,
  fn: (db: pg.PoolClient, lead: Record<string, unknown>[]) => Promise<T>,
  options: InSpaceOptions = {},
): Promise<T> {
  return inTransaction(database.pool, async (client) => {
    const begin = options.snapshot === true ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN';
    const role = options.role === false ? '' : `; SET LOCAL ROLE ${APP_ROLE}`;
    const space = client.escapeLiteral(spaceId);
    const settings = `SET LOCAL memspace.space = ${space}; ${HNSW_SETTINGS}`;
    let lead: Record<string, unknown>[] = [];
    if (database.citus) {
      await client.query(`${begin}${role}; SET LOCAL citus.propagate_set_commands = 'local'`);
      await client.query(settings);
      if (options.lead !== undefined) lead = (await client.query(options.lead, [spaceId])).rows;
    } else if (options.lead === undefined) {
      await client.query(`${begin}${role}; ${settings}`);
    } else {
      // A string of several statements answers with one result each; the lead's is the last.
      const results = (await client.query(`${begin}${role}; ${settings}; ${options.lead.replaceAll('$1', space)}`)) as unknown as pg.QueryResult[];
      lead = results[results.length - 1]!.rows;
    }
    return fn(client, lead);
  });
}

/**
 * Runs `work` on a connection of `pool`: `work` begins the transaction (its own way), which is
 * committed when `work` resolves and rolled back when it throws; driver errors are translated.
 * A connection whose rollback failed is unusable and dropped from the pool.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw translatePgError(error);
  }
  let broken: unknown;
  try {
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError;
    }
    throw translatePgError(error);
  } finally {
    client.release(broken === undefined ? undefined : (broken as Error));
  }
}

/** A history row waiting to be written with the transaction, as `jsonb_to_recordset` reads it. */
interface PendingHistory {
  seq: number;
  memory_id: string;
  action: HistoryAction;
  old_content: string | null;
  new_content: string | null;
  old_metadata: JsonObject | null;
  new_metadata: JsonObject | null;
  actor: string | null;
  at: number;
}

/**
 * A write to one space in progress: holds the locked state row and collects history rows,
 * change events and audit entries (the {@link MutationSink} of the recorder), written together
 * by {@link SpaceWrite.finish}: a few statements per transaction however many rows it touched.
 */
export class SpaceWrite implements MutationSink {
  private readonly histories: PendingHistory[] = [];
  private readonly changes: { seq: number; op: ChangeOp; id: string }[] = [];
  private readonly audits: AuditRecord[] = [];

  /** The space's figures as the transaction found them (committed), before any change of this write. */
  readonly committed: { memories: number; payloadBytes: number };

  private constructor(
    readonly db: Db,
    readonly spaceId: string,
    readonly state: SpaceCounters,
    readonly ctx: WriteContext,
  ) {
    this.committed = { memories: state.memories, payloadBytes: state.payloadBytes };
  }

  /**
   * Starts collecting, with the state row as {@link LOCK_STATE_SQL} read it at the opening of the
   * transaction (`locked`; creating and locking it here if missing).
   */
  static async begin(db: Db, spaceId: string, ctx: WriteContext, locked: SpaceCounters | undefined): Promise<SpaceWrite> {
    let state = locked;
    if (state === undefined) {
      // A space created before its state row existed (or by hand): start it now.
      await db.query('INSERT INTO space_state (space_id) VALUES ($1) ON CONFLICT DO NOTHING', [spaceId]);
      state = (await db.query<SpaceCounters>(LOCK_STATE_SQL, [spaceId])).rows[0]!;
    }
    return new SpaceWrite(db, spaceId, state, ctx);
  }

  /** Queues a change-feed event with the next seq of the space. */
  change(op: ChangeOp, id: string): void {
    this.state.changeSeq += 1;
    this.changes.push({ seq: this.state.changeSeq, op, id });
  }

  /** Queues a history row with the next seq of the space. */
  history(e: HistoryEntry, stamp?: HistoryStamp): void {
    this.state.historySeq += 1;
    this.histories.push({
      seq: this.state.historySeq,
      memory_id: e.memoryId,
      action: e.action,
      old_content: e.oldContent,
      new_content: e.newContent,
      old_metadata: e.oldMetadata,
      new_metadata: e.newMetadata,
      actor: stamp === undefined ? this.ctx.actor : stamp.actor,
      at: stamp === undefined ? this.ctx.now : stamp.at,
    });
  }

  /** The head the state row holds, with this write's entries. */
  auditHead(): AuditHead | undefined {
    return this.state.auditHash === null ? undefined : { seq: this.state.auditSeq, hash: this.state.auditHash };
  }

  /** Queues a sealed entry and moves the state row's head to it. */
  appendAudit(entry: AuditRecord): void {
    this.audits.push(entry);
    this.state.auditSeq = entry.seq;
    this.state.auditHash = entry.hash;
  }

  /**
   * Writes what was queued and the new state row in one statement (data-modifying CTEs), so a
   * write costs the same few round trips however many history rows, events and entries it made.
   * A write that adds change events also notifies {@link CHANGES_CHANNEL} with the space id;
   * Postgres delivers it to every listening server at commit, and never if the write rolls back.
   */
  async finish(): Promise<void> {
    const s = this.state;
    const audits = this.audits.map((e) => ({
      seq: e.seq,
      at: e.at,
      actor: e.actor,
      action: e.action,
      // Stored as the JSON text that was hashed: verification never depends on jsonb's normal form.
      ids: JSON.stringify(e.ids),
      request_id: e.requestId,
      details: e.details === null ? null : JSON.stringify(e.details),
      prev_hash: e.prevHash,
      hash: e.hash,
    }));
    // As in the embedded store, the last write is the newest change-feed event.
    const lastWriteAt = this.changes.length > 0 ? this.ctx.now : s.lastWriteAt;
    await this.db.query(
      `WITH h AS (
         INSERT INTO history (space_id, seq, memory_id, action, old_content, new_content, old_metadata, new_metadata, actor, at)
         SELECT s.space_id, r.seq, r.memory_id, r.action, r.old_content, r.new_content, r.old_metadata, r.new_metadata, r.actor, r.at
         ${fromRowsInSpace(`jsonb_to_recordset($2::jsonb) AS r(seq bigint, memory_id text, action text, old_content text, new_content text,
           old_metadata jsonb, new_metadata jsonb, actor text, at bigint)`)}
       ), c AS (
         INSERT INTO changes (space_id, seq, at, op, id)
         SELECT s.space_id, r.seq, $4, r.op, r.id ${fromRowsInSpace('jsonb_to_recordset($3::jsonb) AS r(seq bigint, op text, id text)')}
       ), a AS (
         INSERT INTO audit (space_id, seq, at, actor, action, ids, request_id, details, prev_hash, hash)
         SELECT s.space_id, r.seq, r.at, r.actor, r.action, r.ids, r.request_id, r.details, r.prev_hash, r.hash
         ${fromRowsInSpace(`jsonb_to_recordset($5::jsonb) AS r(seq bigint, at bigint, actor text, action text, ids text, request_id text,
           details text, prev_hash text, hash text)`)}
       ), n AS ( -- as text: Citus runs this on the coordinator, where servers listen, and cannot pass on a void
         SELECT pg_notify('${CHANGES_CHANNEL}', $1)::text WHERE $18::boolean
       )
       UPDATE space_state SET memories = $6, relations = $7, contexts = $8, payload_bytes = $9, change_seq = $10, memory_seq = $11,
         history_seq = $12, relation_seq = $13, context_seq = $14, audit_seq = $15, audit_hash = $16, last_write_at = $17
       FROM (SELECT count(*) FROM n) AS notified -- a SELECT in WITH runs only when referenced
       WHERE space_id = $1`,
      [
        this.spaceId,
        JSON.stringify(this.histories),
        JSON.stringify(this.changes),
        this.ctx.now,
        JSON.stringify(audits),
        s.memories,
        s.relations,
        s.contexts,
        s.payloadBytes,
        s.changeSeq,
        s.memorySeq,
        s.historySeq,
        s.relationSeq,
        s.contextSeq,
        s.auditSeq,
        s.auditHash,
        lastWriteAt,
        this.changed,
      ],
    );
  }

  /** True when the write queued change-feed events. */
  get changed(): boolean {
    return this.changes.length > 0;
  }
}

/** What {@link SpaceTx} runs on and tells. */
export interface SpaceTxOptions {
  database: SpaceDatabase;
  /** The space's `space_id`. */
  spaceId: string;
  access: AccessCounter;
  /** Called after each committed write that added change-feed events. */
  onChanged?: (() => void) | undefined;
}

/**
 * The transactions of one space store: writes lock the state row and apply the access counts
 * waiting in memory before their own work; reads are snapshot sessions. Both refuse to run
 * once the store is closed.
 */
export class SpaceTx {
  private closed = false;

  constructor(private readonly o: SpaceTxOptions) {}

  /** A write transaction: state row locked, pending access counts applied, queued rows written at the end. */
  async write<T>(ctx: WriteContext, fn: (w: SpaceWrite) => Promise<T>): Promise<T> {
    this.assertOpen();
    let changed = false;
    const lockState = { lead: LOCK_STATE_SQL };
    const result = await inSpace(this.o.database, this.o.spaceId, async (db, lead) => {
      const w = await SpaceWrite.begin(db, this.o.spaceId, ctx, lead[0] as SpaceCounters | undefined);
      await this.applyAccess(db);
      const result = await fn(w);
      await w.finish();
      changed = w.changed;
      return result;
    }, lockState);
    // Committed: wake this server's readers at once (other servers hear the notification).
    if (changed) this.o.onChanged?.();
    return result;
  }

  /**
   * A read session: one read-only transaction, all of its statements on one snapshot, which
   * starts by reading the space's state row (undefined: a space without one yet) for `fn`. Its
   * queries fail with translated errors, so a failure of `fn`'s own (any other error) is told
   * apart and passes on as it is, as it would on any backend.
   */
  async read<T>(fn: (db: Db, state: SpaceCounters | undefined) => Promise<T>): Promise<T> {
    this.assertOpen();
    let own: { error: unknown } | undefined;
    try {
      return await inSpace(
        this.o.database,
        this.o.spaceId,
        async (client, lead) => {
          try {
            return await fn(translating(client), lead[0] as SpaceCounters | undefined);
          } catch (error) {
            own = { error };
            throw error;
          }
        },
        { snapshot: true, lead: STATE_SQL },
      );
    } catch (error) {
      if (own !== undefined && !(own.error instanceof MemspaceError)) throw own.error;
      throw error;
    }
  }

  /** Refuses every later transaction. Idempotent. */
  close(): void {
    this.closed = true;
  }

  /** True once {@link close} ran. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Throws `BACKEND_UNAVAILABLE` once the space is closed: for work that would be wasted on a closed store. */
  assertOpen(): void {
    if (this.closed) throw new MemspaceError('BACKEND_UNAVAILABLE', 'space is closed');
  }

  private async applyAccess(db: Db): Promise<void> {
    if (!this.o.access.hasPending) return;
    await db.query(
      `UPDATE memories m SET access_count = m.access_count + a.count, last_accessed_at = greatest(coalesce(m.last_accessed_at, 0), a.at)
       FROM jsonb_to_recordset($2::jsonb) AS a(id text, count bigint, at bigint) WHERE m.space_id = $1 AND m.id = a.id`,
      [this.o.spaceId, JSON.stringify(this.o.access.drain())],
    );
  }
}

/** `client`, with the driver errors of its queries translated ({@link translatePgError}). */
function translating(client: Db): Db {
  const query = async (...args: unknown[]): Promise<unknown> => {
    try {
      return await (client.query as (...a: unknown[]) => Promise<unknown>).apply(client, args);
    } catch (error) {
      throw translatePgError(error);
    }
  };
  return { query: query as Db['query'] };
}
