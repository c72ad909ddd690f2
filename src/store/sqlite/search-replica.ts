/**
 * The inside of a search thread (see search-threads.ts): read-only copies of the spaces it has
 * been asked to search, each a connection of its own plus the same search code the owner runs
 * (vector copy following the change feed, keyword search, HNSW generation the owner names), and
 * the loop that answers the owner's messages one at a time.
 */
import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3-multiple-ciphers';
import { toMemspaceError } from '../../core/errors.js';
import { runSearchPlan, type SearchPlan } from '../../core/search-plan.js';
import type { SearchHit } from '../../core/views.js';
import type { HnswParams } from './ann-jobs.js';
import { useDatabaseKey } from './space-database.js';
import type { SpaceFileKeys } from './space-keys.js';
import { SqliteSpaceReads } from './space-reads.js';
import { prepareSpaceStatements } from './space-rows.js';
import { SpaceSearch } from './space-search.js';
import { sqlite } from './sqlite-errors.js';

/** A space as a search thread opens it. */
export interface ReplicaSpace {
  file: string;
  uid: string;
  dimension: number;
  /** Its HNSW index, in the directory the owner chose (index-dir.ts: beside the database, or in RAM for an encrypted space). */
  ann?: { threshold: number; params: HnswParams; dir: string; inRam: boolean | undefined } | undefined;
  /** The HNSW generation the owner searches now; undefined for none (exact). */
  generation: string | undefined;
  /** The keys of an encrypted space, sent in memory with each search and never written; undefined for a plain space. */
  keys?: SpaceFileKeys | undefined;
}

/** What the owner asks a search thread. */
export type SearchThreadMessage = { kind: 'search'; space: ReplicaSpace; plan: SearchPlan } | { kind: 'drop'; file: string };

/** A message as sent, numbered for its reply. */
export type SearchThreadRequest = SearchThreadMessage & { id: number };

/** What a search thread answers, once per request. */
export type SearchThreadReply =
  | { id: number; ok: true; hits?: SearchHit[] }
  | { id: number; ok: false; error: { code: string; message: string; details?: Record<string, unknown> | undefined } };

/** Spaces one thread keeps open; the least recently searched is closed past it. */
const MAX_REPLICAS = 64;

const reader = { read: <T>(fn: () => T): T => sqlite(fn) };

/** One space, read-only, in this thread. */
class Replica {
  private readonly db: Database.Database;
  private readonly search: SpaceSearch;
  private readonly reads: SqliteSpaceReads;

  constructor(space: ReplicaSpace) {
    const db = sqlite(() => new Database(space.file, { readonly: true, fileMustExist: true }));
    this.db = db;
    try {
      useDatabaseKey(db, space.keys?.database);
    } catch (error) {
      db.close();
      throw error;
    }
    db.pragma('busy_timeout = 5000');
    const stmt = prepareSpaceStatements(db);
    this.search = new SpaceSearch({ db, stmt, tx: reader, file: space.file, uid: space.uid, dimension: space.dimension, ann: space.ann, snapshotKey: space.keys?.snapshot });
    this.reads = new SqliteSpaceReads({ db, stmt, tx: reader, search: this.search });
  }

  /** Runs `plan` in one read transaction: every read of it sees one snapshot. */
  async run(plan: SearchPlan, generation: string | undefined): Promise<SearchHit[]> {
    sqlite(() => this.db.exec('BEGIN'));
    try {
      this.search.followGeneration(generation);
      return await runSearchPlan(this.reads, plan);
    } finally {
      this.db.exec('COMMIT');
    }
  }

  close(): void {
    this.search.close();
    this.db.close();
  }
}

const replicas = new Map<string, Replica>(); // insertion order = recency

function replicaOf(space: ReplicaSpace): Replica {
  let replica = replicas.get(space.file);
  if (replica !== undefined) {
    replicas.delete(space.file);
  } else {
    replica = new Replica(space);
    if (replicas.size >= MAX_REPLICAS) drop(replicas.keys().next().value!);
  }
  replicas.set(space.file, replica);
  return replica;
}

function drop(file: string): void {
  const replica = replicas.get(file);
  replicas.delete(file);
  replica?.close();
}

async function answer(request: SearchThreadRequest): Promise<SearchThreadReply> {
  try {
    if (request.kind === 'drop') {
      drop(request.file);
      return { id: request.id, ok: true };
    }
    return { id: request.id, ok: true, hits: await replicaOf(request.space).run(request.plan, request.space.generation) };
  } catch (error) {
    const e = toMemspaceError(error);
    if (request.kind === 'search') drop(request.space.file); // reopened from scratch next time
    return { id: request.id, ok: false, error: { code: e.code, message: e.message, details: e.details } };
  }
}

// One request at a time: a read transaction is open for the whole of a search.
let turn: Promise<void> = Promise.resolve();
parentPort?.on('message', (request: SearchThreadRequest) => {
  turn = turn.then(async () => parentPort!.postMessage(await answer(request)));
});
