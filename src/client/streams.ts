/**
 * The client's byte streams: line and Server-Sent Events readers for streamed responses (export,
 * events), and the JSON Lines writer of streamed uploads (import).
 */
import { checkJson } from '../core/validate.js';
import type { ImportLine } from './types.js';

/** Largest chunk an import sends at once. */
const IMPORT_CHUNK_BYTES = 64 * 1024;

/**
 * The lines of a byte stream, ended by LF, CRLF or CR (the Server-Sent Events rules, which
 * JSON Lines satisfy too); a last line without an end is yielded as well. `onChunk` hears of
 * every chunk received, for idle timeouts. Stopping early cancels the stream.
 */
export async function* readLines(body: ReadableStream<Uint8Array>, onChunk?: () => void): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let scanned = 0; // characters of `buffer` already known to hold no line end
  let finished = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      onChunk?.();
      buffer += decoder.decode(value, { stream: true });
      let start = 0;
      for (let i = scanned; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        // A CR at the end of what has arrived may be the first half of a CRLF: wait for more.
        if (c === 13 && i === buffer.length - 1) break;
        yield buffer.slice(start, i);
        if (c === 13 && buffer.charCodeAt(i + 1) === 10) i++;
        start = i + 1;
      }
      buffer = buffer.slice(start);
      scanned = buffer.endsWith('\r') ? buffer.length - 1 : buffer.length;
    }
    buffer += decoder.decode();
    finished = true;
    const last = buffer.endsWith('\r') ? buffer.slice(0, -1) : buffer;
    if (last !== '' || buffer.endsWith('\r')) yield last;
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** One Server-Sent Event. */
export interface SseMessage {
  /** `event:` field, `message` when absent. */
  event: string;
  /** `data:` lines joined with LF. */
  data: string;
  /** Last `id:` field seen on the stream, if any. */
  id: string | undefined;
}

/**
 * The events of a Server-Sent Events stream, given its lines: `id:`, `event:` and `data:`
 * fields, `:` comments ignored, an event dispatched at each blank line that ends one with data.
 * A block with an `id:` but no data dispatches nothing and only moves the stream's last event
 * id, as in a browser's EventSource: `onBareId` hears of it.
 */
export async function* readSse(lines: AsyncIterable<string>, onBareId?: (id: string) => void): AsyncGenerator<SseMessage> {
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  let idInBlock = false;
  for await (const line of lines) {
    if (line === '') {
      if (data.length > 0) yield { event: event === '' ? 'message' : event, data: data.join('\n'), id };
      else if (idInBlock) onBareId?.(id ?? '');
      event = '';
      data = [];
      idInBlock = false;
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) {
      id = value;
      idInBlock = true;
    }
    // `retry:` and unknown fields are ignored: the client keeps its own backoff.
  }
}

/** The lines as a byte stream of JSON Lines, pulled as the upload proceeds; a source's failure is kept in `failure`. */
export function ndjsonStream(lines: Iterable<ImportLine> | AsyncIterable<ImportLine>, failure: { error: unknown }): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let iterator: Iterator<ImportLine> | AsyncIterator<ImportLine> | undefined;
  let read = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      iterator ??= typeof lines === 'string' ? [lines][Symbol.iterator]() : Symbol.asyncIterator in lines ? lines[Symbol.asyncIterator]() : lines[Symbol.iterator]();
      let chunk = '';
      try {
        while (chunk.length < IMPORT_CHUNK_BYTES) {
          const next = await iterator.next();
          if (next.done === true) {
            if (chunk !== '') controller.enqueue(encoder.encode(chunk));
            controller.close();
            return;
          }
          read += 1;
          if (typeof next.value !== 'string') checkJson(next.value, `import line ${read}`);
          const line = typeof next.value === 'string' ? next.value : JSON.stringify(next.value);
          chunk += line.endsWith('\n') ? line : `${line}\n`;
        }
      } catch (error) {
        failure.error = error;
        controller.error(error);
        return;
      }
      controller.enqueue(encoder.encode(chunk));
    },
    async cancel() {
      await iterator?.return?.();
    },
  });
}
