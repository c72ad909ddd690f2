/**
 * Following a space's change stream (`GET /v1/spaces/{space}/events`): one connection after
 * another, each resuming with `Last-Event-ID` after the last event seen, so that a dropped
 * connection or a server restart loses and repeats nothing. A position the server's feed no
 * longer holds ends the stream with `CURSOR_EXPIRED` instead: retrying could not help.
 */
import { MemspaceError } from '../core/errors.js';
import { ChangeEventResponse } from './responses.js';
import { readLines, readSse, type SseMessage } from './streams.js';
import { errorFromBody, type Call } from './transport.js';
import type { ChangeEvent, EventsOptions } from './types.js';

/** What following needs of the client: the request of one connection, and a way to send it. */
export interface ChangeStreamSource {
  /** The request that opens one connection, carrying `headers` and `query` and ended by `signal`. */
  request(resume: { headers: Record<string, string>; query: Record<string, string> }, signal: AbortSignal): Call;
  /** Sends a request and returns the successful response with its body unread. */
  open(request: Call): Promise<Response>;
}

/** How one connection ended: the caller stopped following, or it dropped (with its error, if any) and is resumed. */
type ConnectionEnd = { readonly kind: 'stopped' } | { readonly kind: 'dropped'; readonly error: unknown };

/** What sending a connection's request came to: a response to read, or already its end. */
type Opening = { readonly kind: 'opened'; readonly response: Response } | ConnectionEnd;

const STOPPED: ConnectionEnd = { kind: 'stopped' };

function droppedBy(error: unknown): ConnectionEnd {
  return { kind: 'dropped', error };
}

/**
 * The events of a space's change stream, in order, reconnecting by itself (waiting
 * `minBackoffMs`, doubling to `maxBackoffMs`, between attempts). It ends when `options.signal`
 * aborts or the consumer stops; it throws when the server refuses the stream (`CURSOR_EXPIRED`
 * among others, when compaction has deleted events after the position it resumes from).
 */
export async function* followChangeEvents(source: ChangeStreamSource, options: EventsOptions = {}): AsyncGenerator<ChangeEvent, void, undefined> {
  const follower = new ChangeFollower(source, options);
  while (!follower.aborted()) {
    const end = yield* follower.connection();
    if (end.kind === 'stopped') return;
    // The stream ended or broke (a restart, a proxy, a dropped socket): resume after a pause.
    await follower.waitBeforeRetry(end.error);
  }
}

/** The state kept across the connections of one stream: the last sequence seen and the current backoff. */
class ChangeFollower {
  private readonly signal: AbortSignal | undefined;
  private readonly idleTimeout: number;
  /** The last sequence seen (or where `latest` began); undefined before any for a stream from the start of the feed or from `latest`. */
  private last: number | undefined;
  private readonly latest: boolean;
  private readonly backoff: RetryBackoff;

  constructor(
    private readonly source: ChangeStreamSource,
    options: EventsOptions,
  ) {
    this.signal = options.signal;
    this.idleTimeout = options.idleTimeoutMs ?? 45_000;
    this.latest = options.after === 'latest';
    this.last = options.after === 'latest' ? undefined : options.after;
    this.backoff = new RetryBackoff(options);
  }

  /** Whether the caller stopped following; a method, not a property read, so TypeScript does not narrow it across awaits. */
  aborted(): boolean {
    return this.signal?.aborted === true;
  }

  /** One connection, its events yielded as they arrive; returns how it ended. */
  async *connection(): AsyncGenerator<ChangeEvent, ConnectionEnd, undefined> {
    // Its own controller, so an idle timeout can drop the connection without ending the stream.
    const connection = new AbortController();
    const stop = (): void => connection.abort(this.signal?.reason);
    this.signal?.addEventListener('abort', stop, { once: true });
    try {
      const opened = await this.open(connection.signal);
      if (opened.kind !== 'opened') return opened;
      await expectEventStream(opened.response);
      this.backoff.reset();
      return yield* this.read(opened.response, connection);
    } finally {
      this.signal?.removeEventListener('abort', stop);
      connection.abort(); // ends the connection when the consumer stopped or an error escapes
    }
  }

  /** Waits before the next connection. */
  waitBeforeRetry(error: unknown): Promise<void> {
    return this.backoff.wait(error);
  }

  /**
   * Sends the request of a connection, resuming after the last event seen (or where `latest`
   * began); asks for `latest` until the server has said where that is. A failure worth retrying is a drop.
   */
  private async open(signal: AbortSignal): Promise<Opening> {
    const headers: Record<string, string> = { accept: 'text/event-stream', ...(this.last !== undefined && { 'last-event-id': String(this.last) }) };
    const request = this.source.request({ headers, query: this.last === undefined && this.latest ? { after: 'latest' } : {} }, signal);
    try {
      return { kind: 'opened', response: await this.source.open(request) };
    } catch (error) {
      if (this.aborted()) return STOPPED;
      if (!retryable(error)) throw error;
      return droppedBy(error);
    }
  }

  /** The new events of an open connection, until it ends, breaks or stays silent too long. */
  private async *read(response: Response, connection: AbortController): AsyncGenerator<ChangeEvent, ConnectionEnd, undefined> {
    const silence = new SilenceTimer(this.idleTimeout, () => connection.abort(new MemspaceError('BACKEND_UNAVAILABLE', `the event stream was silent for ${this.idleTimeout} ms`)));
    silence.restart();
    try {
      for await (const message of readSse(readLines(response.body ?? ended(), () => silence.restart()), (id) => this.startsAfter(id))) {
        if (message.event === 'error') {
          const error = streamFailure(message);
          if (!retryable(error)) throw error;
          return droppedBy(error);
        }
        const event = this.unseen(message);
        if (event === undefined) continue;
        // Time spent by a slow consumer is not the server's silence.
        silence.stop();
        yield event;
        silence.restart();
      }
      return droppedBy(undefined);
    } catch (error) {
      if (this.aborted()) return STOPPED;
      if (error instanceof MemspaceError && !retryable(error)) throw error;
      return droppedBy(error); // the connection broke: resume
    } finally {
      silence.stop();
    }
  }

  /** Notes where a stream from `latest` starts, which the server tells as an id without an event. */
  private startsAfter(id: string): void {
    const seq = Number(id);
    if (this.last === undefined && id !== '' && Number.isSafeInteger(seq) && seq >= 0) this.last = seq;
  }

  /** The change event a message carries, or undefined when it was delivered already; records its sequence. */
  private unseen(message: SseMessage): ChangeEvent | undefined {
    const parsed = ChangeEventResponse.safeParse(parseJson(message.data));
    if (!parsed.success) throw new MemspaceError('INTERNAL', 'the event stream sent an event of an unexpected shape', { data: message.data.slice(0, 200) });
    // Sequence numbers only grow: anything at or before the last one seen was delivered already.
    if (this.last !== undefined && parsed.data.seq <= this.last) return undefined;
    this.last = parsed.data.seq;
    return parsed.data;
  }
}

/**
 * The pause between two connections of a stream, for the HTTP and the gRPC client alike:
 * `minBackoffMs` (100), doubling up to `maxBackoffMs` (5 s), or longer when the server asked for
 * it (`retryAfterMs`); back to the minimum once a connection opens. `signal` cuts it short.
 */
export class RetryBackoff {
  private readonly min: number;
  private readonly max: number;
  private readonly signal: AbortSignal | undefined;
  private ms: number;

  constructor(options: { minBackoffMs?: number | undefined; maxBackoffMs?: number | undefined; signal?: AbortSignal | undefined }) {
    this.min = options.minBackoffMs ?? 100;
    this.max = options.maxBackoffMs ?? 5000;
    this.signal = options.signal;
    this.ms = this.min;
  }

  /** A connection opened: the next pause is the shortest again. */
  reset(): void {
    this.ms = this.min;
  }

  /** Waits before the next connection after `error` (undefined: the stream simply ended), then doubles the pause. */
  async wait(error: unknown): Promise<void> {
    const hint = error instanceof MemspaceError ? Number(error.details?.['retryAfterMs'] ?? 0) : 0;
    await pause(Math.max(this.ms, Number.isFinite(hint) ? hint : 0), this.signal);
    this.ms = Math.min(this.ms * 2, this.max);
  }
}

/** Drops a connection when nothing arrives for `ms` (never when `ms` is 0 or less). */
class SilenceTimer {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ms: number,
    private readonly onSilence: () => void,
  ) {}

  /** Starts counting the silence again. */
  restart(): void {
    if (this.ms <= 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(this.onSilence, this.ms);
  }

  /** Stops counting. */
  stop(): void {
    clearTimeout(this.timer);
  }
}

/** Refuses a response that is not an event stream (a proxy's page, say), freeing its connection. */
async function expectEventStream(response: Response): Promise<void> {
  const contentType = response.headers.get('content-type');
  if ((contentType ?? '').startsWith('text/event-stream')) return;
  await response.body?.cancel().catch(() => {});
  throw new MemspaceError('INTERNAL', 'the server did not answer with an event stream', { status: response.status, contentType });
}

/** The error an `event: error` stands for: the stream failed after it started, and the server tells why before closing. */
function streamFailure(message: SseMessage): MemspaceError {
  return errorFromBody(parseJson(message.data)) ?? new MemspaceError('INTERNAL', 'the event stream ended with an error', { data: message.data.slice(0, 200) });
}

/** Errors after which a stream is worth opening again: the server unreachable, overloaded or limiting. */
export function retryable(error: unknown): boolean {
  return !(error instanceof MemspaceError) || error.code === 'BACKEND_UNAVAILABLE' || error.code === 'QUOTA_EXCEEDED';
}

/** A byte stream that has ended, for a response without a body. */
function ended(): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
}

/** The JSON value of `text`, or undefined when it is not JSON (the caller then reports the data it got). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Waits `ms`, or less if `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
