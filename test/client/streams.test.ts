import { describe, expect, it } from 'vitest';
import { readLines, readSse, type SseMessage } from '../../src/client/streams.js';

/** A byte stream delivering `chunks` one by one. */
function bytes(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('readLines', () => {
  it('splits on LF, CRLF and CR, across chunk boundaries, and keeps a last line without an end', async () => {
    expect(await collect(readLines(bytes('a\nb', 'c\r', '\nd\re\r\n', '\n', 'last')))).toEqual(['a', 'bc', 'd', 'e', '', 'last']);
    expect(await collect(readLines(bytes('x\r')))).toEqual(['x']);
  });

  it('decodes characters split between chunks', async () => {
    const euro = new TextEncoder().encode('€\n'); // three bytes, then LF
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(euro.slice(0, 1));
        controller.enqueue(euro.slice(1));
        controller.close();
      },
    });
    expect(await collect(readLines(stream))).toEqual(['€']);
  });

  it('cancels the stream when the reader stops early', async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('line\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const line of readLines(stream)) {
      expect(line).toBe('line');
      break;
    }
    expect(cancelled).toBe(true);
  });
});

describe('readSse', () => {
  it('reads id, event and data fields, joins data lines and ignores comments and unknown fields', async () => {
    const text = ': hello\n\nid: 1\nevent: memory.created\ndata: {"seq":1}\n\n:ping\n\nretry: 10\ndata:a\ndata: b\n\nid: 2\nevent: x\n\nevent: tail\ndata: cut';
    const messages: SseMessage[] = await collect(readSse(readLines(bytes(text))));
    expect(messages).toEqual([
      { event: 'memory.created', data: '{"seq":1}', id: '1' },
      { event: 'message', data: 'a\nb', id: '1' },
    ]);
  });

  it('dispatches no event for a block with an id but no data, and tells its id (where a stream from latest starts)', async () => {
    const bare: string[] = [];
    const text = ': memspace change stream\n\nid: 41\n\nevent: x\n\nid: 42\nevent: memory.created\ndata: {}\n\n';
    const messages = await collect(readSse(readLines(bytes(text)), (id) => bare.push(id)));
    expect(bare).toEqual(['41']);
    expect(messages).toEqual([{ event: 'memory.created', data: '{}', id: '42' }]);
  });
});
