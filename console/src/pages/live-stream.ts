/**
 * A space's change stream (`GET /v1/spaces/{space}/events`, Server-Sent Events) read with
 * `fetch`: an EventSource cannot send the Authorization header, and the key never goes in a URL.
 * This module parses the stream itself and reconnects after a drop with `Last-Event-ID`, so no
 * event is lost or shown twice.
 */
import { ApiError, apiErrorOf, spacePath, withQuery } from '../api.js';
import { currentKey } from '../session.js';
import { SseParser } from './live-sse.js';

/** One change as the stream tells it (`data` of an event). */
export interface ChangeEvent {
  seq: number;
  op: string;
  /** The memory, relation or context the change is about. */
  id: string;
  at: string;
}

/** What one connection tells its caller. */
export interface StreamHandlers {
  /** The server accepted the stream (its status and headers arrived). */
  onOpen(): void;
  onEvent(event: ChangeEvent): void;
  /** Where the stream stands: the id to resume from after a drop. */
  onPosition(lastEventId: string): void;
}

/**
 * Reads one connection until the server ends it (resolves) or it drops (rejects with the network
 * error). A refusal, before the stream or as its `error` event, rejects with an {@link ApiError}.
 * Without `lastEventId` the stream starts at `after=latest`: only changes from now on.
 */
export async function readChangeStream(space: string, lastEventId: string | undefined, signal: AbortSignal, handlers: StreamHandlers): Promise<void> {
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  const key = currentKey();
  if (key !== null) headers['authorization'] = `Bearer ${key}`;
  if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
  const path = lastEventId === undefined ? withQuery(spacePath(space, '/events'), { after: 'latest' }) : spacePath(space, '/events');
  const response = await fetch(path, { headers, signal, cache: 'no-store', credentials: 'omit' });
  if (!response.ok || response.body === null) throw apiErrorOf(response.status, await response.text(), response.statusText);
  handlers.onOpen();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  let told = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      for (const message of parser.feed(value)) {
        // Once the stream has started, a refusal (space deleted, key revoked) comes as an `error` event.
        if (message.event === 'error') throw apiErrorOf(0, message.data, 'the stream ended with an error');
        handlers.onEvent(JSON.parse(message.data) as ChangeEvent);
      }
      if (parser.lastEventId !== told) {
        told = parser.lastEventId;
        handlers.onPosition(told);
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** The connection as the page tells it. */
export type LiveState =
  | { kind: 'connecting' }
  | { kind: 'open'; reconnects: number; position: string | undefined }
  | { kind: 'retrying'; inMs: number; attempt: number }
  | { kind: 'failed'; error: unknown };

/** Waits after a drop: 0.5 s, 1 s, 2 s, … up to 10 s, so a server coming back is not hammered. */
export function backoffMs(attempt: number): number {
  return Math.min(10_000, 500 * 2 ** Math.max(0, attempt - 1));
}

/** A refusal retrying will not change (4xx, or such an `error` event); a drop, 5xx or 429 is retried. */
function isFinal(error: unknown): boolean {
  if (!(error instanceof ApiError)) return false;
  if (error.status === 0) return error.code !== 'INTERNAL' && error.code !== 'BACKEND_UNAVAILABLE';
  return error.status >= 400 && error.status < 500 && error.status !== 429;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Follows a space's changes until `signal` aborts or a refusal ends it: from now on at first,
 * then after every drop from the last event id seen (`Last-Event-ID`), with backoff. An event at
 * or before the last seq delivered is dropped, so a resumed stream never shows one twice.
 */
export async function followChanges(space: string, signal: AbortSignal, onEvent: (event: ChangeEvent) => void, onState: (state: LiveState) => void): Promise<void> {
  let lastEventId: string | undefined;
  let lastSeq = 0;
  let attempt = 0;
  let reconnects = 0;
  onState({ kind: 'connecting' });
  while (!signal.aborted) {
    try {
      await readChangeStream(space, lastEventId, signal, {
        onOpen: () => {
          attempt = 0;
          onState({ kind: 'open', reconnects, position: lastEventId });
        },
        onEvent: (event) => {
          if (event.seq <= lastSeq) return;
          lastSeq = event.seq;
          onEvent(event);
        },
        onPosition: (id) => {
          lastEventId = id;
        },
      });
    } catch (error) {
      if (signal.aborted) return;
      if (isFinal(error)) {
        onState({ kind: 'failed', error });
        return;
      }
    }
    if (signal.aborted) return;
    // The stream ended (a drop, a restart, a shutdown): resume where it was.
    attempt += 1;
    reconnects += 1;
    onState({ kind: 'retrying', inMs: backoffMs(attempt), attempt });
    await sleep(backoffMs(attempt), signal);
    if (!signal.aborted) onState({ kind: 'connecting' });
  }
}
