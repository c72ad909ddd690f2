/**
 * Search threads of the embedded backend (`workers` > 1): searches, the CPU-heavy half of a
 * request, run in worker threads over read-only connections of their own, while the main thread
 * keeps everything that must be one: writes and group commit, the change feed, quotas, rate
 * limits, index builds, eviction. A thread sees every write committed before it was asked
 * (SQLite's WAL lets readers in other threads see each commit at once), so a search is as fresh
 * as on the main thread. Why threads rather than processes: docs/architecture.md.
 */
import { Worker } from 'node:worker_threads';
import { type ErrorCode, MemspaceError } from '../../core/errors.js';
import type { SearchPlan } from '../../core/search-plan.js';
import type { SearchHit } from '../../core/views.js';
import type { ReplicaSpace, SearchThreadMessage, SearchThreadReply, SearchThreadRequest } from './search-replica.js';

const WORKER_URL = new URL('./search-worker.js', import.meta.url);

type Pending = { resolve: (reply: SearchThreadReply & { ok: true }) => void; reject: (error: unknown) => void };

/** One worker thread and the requests it has not answered yet. */
class SearchThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Set once the thread died; the pool replaces it. */
  dead = false;

  constructor() {
    this.worker = new Worker(WORKER_URL);
    this.worker.unref(); // an idle thread never keeps the process alive; a pending request refs it
    this.worker.on('message', (reply: SearchThreadReply) => this.settle(reply));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`search thread exited with code ${code}`)));
  }

  get load(): number {
    return this.pending.size;
  }

  request(message: SearchThreadMessage): Promise<SearchThreadReply & { ok: true }> {
    if (this.dead) return Promise.reject(unavailable('search thread stopped'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id } satisfies SearchThreadRequest);
    });
  }

  async terminate(): Promise<void> {
    this.dead = true;
    await this.worker.terminate();
  }

  private settle(reply: SearchThreadReply): void {
    const waiting = this.pending.get(reply.id);
    if (waiting === undefined) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) waiting.resolve(reply);
    else waiting.reject(new MemspaceError(reply.error.code as ErrorCode, reply.error.message, reply.error.details));
  }

  private fail(error: unknown): void {
    this.dead = true;
    for (const waiting of this.pending.values()) waiting.reject(unavailable('search thread failed', error));
    this.pending.clear();
  }
}

function unavailable(message: string, cause?: unknown): MemspaceError {
  return new MemspaceError('BACKEND_UNAVAILABLE', message, undefined, { cause });
}

/**
 * A pool of `size` search threads; each search goes to the least busy. They start at once (a
 * thread takes a few hundred ms to load, which the first searches should not wait for) and do
 * not keep the process alive while idle.
 */
export class SearchThreads {
  private readonly threads: (SearchThread | undefined)[];
  private closed = false;

  constructor(readonly size: number) {
    this.threads = Array.from({ length: size }, () => new SearchThread());
  }

  /** Runs `plan` over `space` in a thread. */
  async search(space: ReplicaSpace, plan: SearchPlan): Promise<SearchHit[]> {
    const reply = await this.pick().request({ kind: 'search', space, plan });
    return reply.hits ?? [];
  }

  /**
   * Closes every thread's copy of the space in `file` and waits until they have: before the
   * owner closes the space (eviction, archive, delete), so no thread reads files about to go.
   */
  async drop(file: string): Promise<void> {
    const live = this.threads.filter((t): t is SearchThread => t !== undefined && !t.dead);
    await Promise.all(live.map((t) => t.request({ kind: 'drop', file }).catch(() => undefined)));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((t) => t?.terminate()));
  }

  private pick(): SearchThread {
    if (this.closed) throw unavailable('search threads are closed');
    let best = -1;
    for (let i = 0; i < this.threads.length; i++) {
      const t = this.threads[i];
      if (t === undefined || t.dead) {
        this.threads[i] = new SearchThread();
        return this.threads[i]!;
      }
      if (best < 0 || t.load < this.threads[best]!.load) best = i;
    }
    return this.threads[best]!;
  }
}
