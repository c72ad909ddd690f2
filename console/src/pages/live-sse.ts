/** Server-Sent Events as text: a parser with no browser API, so it can be tested anywhere. */

/** One dispatched SSE message: `event` is `message` when the server named none. */
export interface SseMessage {
  id: string;
  event: string;
  data: string;
}

/**
 * An incremental Server-Sent Events parser (the WHATWG event-stream rules): text arrives in
 * chunks that may split a line anywhere, even between the CR and LF of one line end.
 */
export class SseParser {
  /** The last `id` field seen; an id without data moves it too (how `after=latest` says where it starts). */
  lastEventId = '';
  private pending = '';
  private data: string[] = [];
  private event = '';

  /** Takes the next chunk of text; the messages it completes. */
  feed(chunk: string): SseMessage[] {
    const text = this.pending + chunk;
    const out: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c !== '\n' && c !== '\r') continue;
      // A CR at the chunk's end may be the first half of CRLF: wait for the next chunk to tell.
      if (c === '\r' && i + 1 === text.length) break;
      const line = text.slice(start, i);
      if (c === '\r' && text[i + 1] === '\n') i++;
      start = i + 1;
      const message = this.line(line);
      if (message !== undefined) out.push(message);
    }
    this.pending = text.slice(start);
    return out;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const data = this.data;
    const event = this.event;
    this.data = [];
    this.event = '';
    if (data.length === 0) return undefined;
    return { id: this.lastEventId, event: event === '' ? 'message' : event, data: data.join('\n') };
  }
}
