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
  /** Index file and key list (row seqs as float64) of this generation, in the space directory. */
  file: string;
  keysFile: string;
  bytes: number;
  crc32: number;
}

/** Work for the index worker: build a generation (from the database, on top of `base` if given) or check one against its metadata. */
export type HnswJob =
  | { kind: 'build'; dbFile: string; dir: string; uid: string; dimension: number; params: HnswParams; base?: HnswMeta }
  | { kind: 'verify'; dir: string; meta: HnswMeta };

type JobReply = { ok: true; meta?: HnswMeta } | { ok: false; error: string };

const WORKER_URL = new URL('./ann-worker.js', import.meta.url);

/**
 * Runs index jobs in worker threads, builds one at a time: a build already uses every core, so
 * a second one in parallel would only slow both and the server with them. Checks run at once.
 */
export class HnswJobRunner {
  private queue: Promise<unknown> = Promise.resolve();

  /** Runs `job`; rejects with the worker's error. Aborting drops a queued job or stops a running one. */
  run(job: HnswJob, signal: AbortSignal): Promise<HnswMeta | undefined> {
    if (job.kind === 'verify') return runInWorker(job, signal);
    const result = this.queue.then(() => runInWorker(job, signal));
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function runInWorker(job: HnswJob, signal: AbortSignal): Promise<HnswMeta | undefined> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL, { workerData: job });
    const abort = (): void => {
      void worker.terminate();
      reject(new Error('aborted'));
    };
    signal.addEventListener('abort', abort, { once: true });
    const done = (): void => {
      signal.removeEventListener('abort', abort);
      void worker.terminate();
    };
    worker.once('message', (reply: JobReply) => {
      done();
      if (reply.ok) resolve(reply.meta);
      else reject(new Error(reply.error));
    });
    worker.once('error', (error) => {
      done();
      reject(error);
    });
    worker.once('exit', (code) => {
      signal.removeEventListener('abort', abort);
      reject(new Error(`index worker exited with code ${code}`)); // no-op once settled
    });
  });
}
