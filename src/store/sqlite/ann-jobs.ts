import { Worker } from 'node:worker_threads';

/** HNSW parameters of an index file; a file built with other parameters is rebuilt. */
export interface HnswParams {
  /** How vectors are stored in the graph: f16 halves the file at equal recall (rescoring is exact anyway). */
  quantization: 'f16' | 'f32';
  /** Edges per node (HNSW `M`). */
  connectivity: number;
  /** Candidate list size while inserting (HNSW `efConstruction`). */
  expansionAdd: number;
  /** Candidate list size while searching (HNSW `ef`). */
  expansionSearch: number;
}

/** The pointer file `vectors.hnsw.json`: which index generation is current and what it holds. */
export interface HnswMeta {
  format: 1;
  /** The database the index was built from (its `meta.uid`). */
  uid: string;
  dimension: number;
  params: HnswParams;
  /** Last change-feed sequence reflected in the index. */
  appliedSeq: number;
  count: number;
  /** Index file and key list (row seqs as float64) of this generation, in the index directory (index-dir.ts). */
  file: string;
  keysFile: string;
  bytes: number;
  crc32: number;
}

/**
 * Work for the index worker: build a generation (from the database, on top of `base` if given)
 * or check one against its metadata. `dir` is where the index files go (index-dir.ts). The
 * database of an encrypted space is opened with `dbKey` (64 hex digits) and `dbCipher`
 * (space-database.ts's `useDatabaseKey`); the key travels in the message, in memory, and is
 * never written.
 */
export type HnswJob =
  | { kind: 'build'; dbFile: string; dbKey?: string; dbCipher?: string; dir: string; uid: string; dimension: number; params: HnswParams; base?: HnswMeta }
  | { kind: 'verify'; dir: string; meta: HnswMeta };

type JobReply = { ok: true; meta?: HnswMeta } | { ok: false; error: string };

const WORKER_URL = new URL('./ann-worker.js', import.meta.url);

/**
 * Runs index jobs in worker threads, builds one at a time: a build already uses every core, so
 * a second one in parallel would only slow both and the server with them. Checks run at once.
 */
export class HnswJobRunner {
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * Runs `job`; rejects with the worker's error. Settles only once the worker thread has exited,
   * so when it has, nothing writes into the job's directory any more (the owner may remove it).
   * Aborting rejects a queued job at once (it never starts) and stops a running one.
   */
  run(job: HnswJob, signal: AbortSignal): Promise<HnswMeta | undefined> {
    if (job.kind === 'verify') return runInWorker(job, signal);
    let started = false;
    const result = this.queue.then(() => {
      started = true;
      return runInWorker(job, signal);
    });
    this.queue = result.catch(() => undefined);
    return new Promise((resolve, reject) => {
      // A closing space must not wait for the builds of other spaces queued before its own.
      const abort = (): void => {
        if (!started) reject(new Error('aborted'));
      };
      signal.addEventListener('abort', abort, { once: true });
      result.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
    });
  }
}

function runInWorker(job: HnswJob, signal: AbortSignal): Promise<HnswMeta | undefined> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL, { workerData: job });
    let reply: JobReply | undefined;
    let failure: unknown;
    const abort = (): void => void worker.terminate();
    signal.addEventListener('abort', abort, { once: true });
    worker.once('message', (message: JobReply) => {
      reply = message;
      void worker.terminate();
    });
    worker.once('error', (error) => {
      failure = error;
    });
    // Settled here only: a terminated worker may still be inside a native call (an insert, a save).
    worker.once('exit', (code) => {
      signal.removeEventListener('abort', abort);
      if (signal.aborted) reject(new Error('aborted'));
      else if (reply?.ok === true) resolve(reply.meta);
      else if (reply !== undefined) reject(new Error(reply.error));
      else reject(failure ?? new Error(`index worker exited with code ${code}`));
    });
  });
}
