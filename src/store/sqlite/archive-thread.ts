/**
 * The file work of archiving and restoring spaces, run in a worker thread so the event loop
 * keeps serving: `VACUUM INTO` and the integrity check of a large space, compressing and
 * hashing its copy and fsyncing it each take from a moment to many seconds, and on the main
 * thread every other request of every tenant would wait for them. The catalogue, whose state is
 * the commit point, stays on the main thread; the thread only prepares files, so a thread that
 * dies leaves what a crash would (temporaries that the next call removes).
 */
import { Worker } from 'node:worker_threads';
import { type ErrorCode, MemspaceError } from '../../core/errors.js';
import type { SpaceFileKeys } from './space-keys.js';

/** What the archive thread is asked to do, for the space `name` in the data directory `dataDir`. */
export type ArchiveJob =
  /**
   * Snapshot the database (or none, `hasDb` false) and write, fsync and rename its archive into
   * `archive/`; `keys` are an encrypted space's, sent in memory and never written.
   */
  | { kind: 'pack'; dataDir: string; name: string; hasDb: boolean; now: number; keys?: SpaceFileKeys | undefined }
  /** Extract and check the archive into a temporary directory, then rename it into `spaces/<name>`. */
  | { kind: 'unpack'; dataDir: string; name: string };

/** A job as sent, numbered for its reply. */
export type ArchiveJobRequest = ArchiveJob & { id: number };

/** What the thread answers, once per job: the archive's size after a pack, or the error as a `MemspaceError`'s fields. */
export type ArchiveJobReply = { id: number } & (
  | { ok: true; bytes: number }
  | { ok: false; error: { code: ErrorCode; message: string; details: Record<string, unknown> | undefined } }
);

const WORKER_URL = new URL('./archive-worker.js', import.meta.url);

type Pending = { job: ArchiveJob; resolve: (result: { bytes: number }) => void; reject: (error: unknown) => void };

/**
 * One worker thread for the archive jobs of a backend, started at the first job (a thread takes
 * a moment to load, which a process that never archives should not pay) and kept while the
 * backend is open, without keeping the process alive while idle. A thread that dies fails its
 * jobs with `BACKEND_UNAVAILABLE` and the next job starts another.
 */
export class ArchiveThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  /** Every job until it settles, for {@link close} to wait for. */
  private readonly jobs = new Set<Promise<unknown>>();
  private nextId = 1;
  private closed = false;

  /**
   * Runs `job` and resolves once the thread has finished with the files (its connections and
   * streams closed). The thread's `MemspaceError` comes back with its code and details.
   */
  run(job: ArchiveJob): Promise<{ bytes: number }> {
    if (this.closed) return Promise.reject(new MemspaceError('BACKEND_UNAVAILABLE', 'the backend is closed', { name: job.name }));
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    const result = new Promise<{ bytes: number }>((resolve, reject) => {
      if (this.pending.size === 0) worker.ref(); // a job in progress keeps the process alive until it ends
      this.pending.set(id, { job, resolve, reject });
      worker.postMessage({ ...job, id } satisfies ArchiveJobRequest);
    });
    const settled = result.then(noop, noop);
    this.jobs.add(settled);
    void settled.then(() => this.jobs.delete(settled));
    return result;
  }

  /** Waits for the jobs in progress, then stops the thread. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.jobs]);
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private start(): Worker {
    const worker = new Worker(WORKER_URL);
    worker.unref();
    worker.on('message', (reply: ArchiveJobReply) => this.settle(reply));
    worker.on('error', (error) => this.fail(worker, error));
    worker.on('exit', (code) => this.fail(worker, new Error(`archive thread exited with code ${code}`)));
    return worker;
  }

  private settle(reply: ArchiveJobReply): void {
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (reply.ok) pending.resolve({ bytes: reply.bytes });
    else pending.reject(new MemspaceError(reply.error.code, reply.error.message, reply.error.details));
  }

  private fail(worker: Worker, error: unknown): void {
    if (this.worker !== worker) return; // an old thread's last words
    this.worker = undefined;
    for (const { job, reject } of this.pending.values()) {
      const what = job.kind === 'pack' ? 'archiving' : 'restoring';
      reject(new MemspaceError('BACKEND_UNAVAILABLE', `the thread ${what} space "${job.name}" stopped`, { name: job.name }, { cause: error }));
    }
    this.pending.clear();
  }
}

const noop = (): void => undefined;
