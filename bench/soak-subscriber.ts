/**
 * Change-stream subscribers of the soak run: each follows one space over raw HTTP (not the
 * SDK, which drops repeated events by itself and would hide a server that sends one twice),
 * drops its connection at random moments and resumes with `Last-Event-ID`, and keeps every
 * event it received, so that the end of the run can compare them with the space's whole feed.
 */
import { readLines, readSse } from '../src/client/streams.js';
import type { FeedEvent } from './soak-ledger.js';
import { sleep } from './soak-http.js';

/** Shortest and longest life of a connection before the subscriber drops it. */
const DROP_AFTER_MS = [2_000, 15_000] as const;
/** Longest pause before reconnecting. */
const PAUSE_MS = 1_000;

/** What happened to a subscriber's connections. */
export interface SubscriberFigures {
  space: string;
  events: number;
  /** Connections opened (answered with a stream). */
  connections: number;
  /** Connections the subscriber dropped on purpose. */
  drops: number;
  /** Connections the server ended or that broke (the kill, an archived space). */
  ends: number;
  /** Connection attempts without a stream, by answer (`NETWORK`, `409 SPACE_ARCHIVED`, an `event: error` code). */
  refusals: Record<string, number>;
}

/**
 * Events in order, each as its sequence number and a 32-bit hash of what it says (its op and
 * memory id): a long run's subscribers receive millions, and this is what comparing them takes.
 */
export class EventLog {
  readonly seqs: number[] = [];
  readonly keys: number[] = [];

  push(e: FeedEvent): void {
    this.seqs.push(e.seq);
    this.keys.push(keyOf(e));
  }

  get length(): number {
    return this.seqs.length;
  }

  /** The sequence of the last event, 0 when there is none. */
  last(): number {
    return this.seqs[this.seqs.length - 1] ?? 0;
  }
}

/** FNV-1a of an event's op and memory id. */
function keyOf(e: FeedEvent): number {
  let hash = 0x811c9dc5;
  const text = `${e.op} ${e.id}`;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** One subscriber of one space. */
export class Subscriber {
  /** Every event received, in order of arrival, over all connections. */
  readonly received = new EventLog();
  private readonly figures: SubscriberFigures;

  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
    readonly space: string,
    private readonly random: () => number,
    /** Where a broken promise of the stream is reported. */
    private readonly fail: (message: string) => void,
  ) {
    this.figures = { space, events: 0, connections: 0, drops: 0, ends: 0, refusals: {} };
  }

  /** Follows the space until `stop` aborts, one connection after another. */
  async run(stop: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      await this.connection(stop);
      if (!stop.aborted) await sleep(this.random() * PAUSE_MS);
    }
  }

  /** Whether an event at or after `seq` arrives within `timeoutMs`. */
  async reach(seq: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.last() < seq) {
      if (Date.now() > deadline) return false;
      await sleep(100);
    }
    return true;
  }

  /** The figures of this subscriber so far. */
  summary(): SubscriberFigures {
    return { ...this.figures, events: this.received.length };
  }

  /** One connection, from its request until it is dropped, ended or broken. */
  private async connection(stop: AbortSignal): Promise<void> {
    const connection = new AbortController();
    const onStop = (): void => connection.abort();
    stop.addEventListener('abort', onStop, { once: true });
    let dropped = false;
    let opened = false;
    const [shortest, longest] = DROP_AFTER_MS;
    const timer = setTimeout(() => {
      dropped = true;
      connection.abort();
    }, shortest + this.random() * (longest - shortest));
    try {
      const response = await fetch(`${this.baseUrl}/v1/spaces/${this.space}/events`, {
        headers: { authorization: `Bearer ${this.key}`, accept: 'text/event-stream', 'last-event-id': String(this.received.last()) },
        signal: connection.signal,
      });
      if (!response.ok) {
        const body = (await response.json().catch(() => undefined)) as { error?: { code?: string } } | undefined;
        this.refused(`${response.status} ${body?.error?.code ?? ''}`.trim());
        return;
      }
      opened = true;
      this.figures.connections += 1;
      for await (const message of readSse(readLines(response.body!))) {
        if (message.event === 'error') {
          const body = JSON.parse(message.data) as { error?: { code?: string }; code?: string };
          this.refused(`event: error ${body.error?.code ?? body.code ?? ''}`.trim());
          break;
        }
        const event = JSON.parse(message.data) as FeedEvent;
        // The id is what a resumption sends back: it must be the event's sequence.
        if (message.id !== String(event.seq)) this.fail(`${this.space}: event ${event.seq} came with id ${message.id}`);
        this.received.push(event);
      }
      this.figures.ends += 1;
    } catch {
      if (dropped) this.figures.drops += 1;
      else if (stop.aborted) return;
      else if (opened) this.figures.ends += 1;
      else this.refused('NETWORK');
    } finally {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    }
  }

  private refused(reason: string): void {
    this.figures.refusals[reason] = (this.figures.refusals[reason] ?? 0) + 1;
  }
}

/**
 * The differences between the events a subscriber received and the space's feed from its
 * start, in one walk over both (each in sequence order): events received again (or out of
 * order), events never received, and events that say something else than the feed's.
 */
export function compareWithFeed(received: EventLog, feed: EventLog): string[] {
  const again: number[] = [];
  const missing: number[] = [];
  const unknown: number[] = [];
  const different: number[] = [];
  let at = 0; // the next event of the feed
  let previous = 0;
  for (let i = 0; i < received.length; i++) {
    const seq = received.seqs[i]!;
    if (seq <= previous) {
      again.push(seq);
      continue;
    }
    previous = seq;
    while (at < feed.length && feed.seqs[at]! < seq) missing.push(feed.seqs[at++]!);
    if (feed.seqs[at] !== seq) {
      unknown.push(seq);
      continue;
    }
    if (feed.keys[at] !== received.keys[i]) different.push(seq);
    at += 1;
  }
  while (at < feed.length) missing.push(feed.seqs[at++]!);
  const first = (seqs: number[]): string => seqs.slice(0, 5).join(', ');
  return [
    again.length > 0 && `${again.length} events received again or out of order (first: ${first(again)})`,
    missing.length > 0 && `${missing.length} events never received (first: ${first(missing)})`,
    unknown.length > 0 && `${unknown.length} events received that the feed does not hold (first: ${first(unknown)})`,
    different.length > 0 && `${different.length} events received with another op or memory than the feed's (first: ${first(different)})`,
  ].filter((problem): problem is string => problem !== false);
}

/**
 * Reads the whole change feed of `space`, handing each event to `onEvent`: one stream from its
 * start, read until nothing has come for `quietMs` (the load has stopped, so the feed no longer
 * grows). Returns how many events it held; throws on a sequence that does not grow.
 */
export async function readFeed(baseUrl: string, key: string, space: string, onEvent: (e: FeedEvent) => void, quietMs = 2_000): Promise<number> {
  const connection = new AbortController();
  let quiet = setTimeout(() => connection.abort(), quietMs);
  let count = 0;
  let last = 0;
  try {
    const response = await fetch(`${baseUrl}/v1/spaces/${space}/events`, {
      headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream', 'last-event-id': '0' },
      signal: connection.signal,
    });
    if (!response.ok) throw new Error(`the feed of ${space} answered ${response.status}: ${await response.text()}`);
    for await (const message of readSse(readLines(response.body!))) {
      clearTimeout(quiet);
      quiet = setTimeout(() => connection.abort(), quietMs);
      if (message.event === 'error') throw new Error(`the feed of ${space} ended with an error: ${message.data}`);
      const event = JSON.parse(message.data) as FeedEvent;
      if (event.seq <= last) throw new Error(`the feed of ${space} sent ${event.seq} after ${last}`);
      last = event.seq;
      count += 1;
      onEvent(event);
    }
  } catch (error) {
    if (!connection.signal.aborted) throw error;
  } finally {
    clearTimeout(quiet);
  }
  return count;
}
