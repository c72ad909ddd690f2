import { connect } from 'node:net';

/** One HTTP/1.1 request, written to the socket exactly as given. */
export interface RawRequest {
  method: string;
  /** The request target, sent byte for byte (UTF-8): no client normalises its dots or escapes. */
  target: string;
  /** Header lines in order; repeats stay repeats. A Buffer value goes out as its bytes. */
  headers: [name: string, value: string | Buffer][];
  body?: Buffer;
}

/** What the server answered. */
export interface RawResponse {
  status: number;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body, de-chunked; empty for a stream cut after its headers. */
  body: Buffer;
  /** The whole answer as it came over the wire, headers included (what a canary must never be in). */
  raw: Buffer;
  /** True when the answer was a change stream left open by the server and cut after its headers. */
  cut: boolean;
}

/**
 * Sends one request over a fresh connection to 127.0.0.1 and reads the answer, without Node's
 * HTTP client, which refuses (or repairs) much of what a fuzzer must be able to send: raw bytes
 * in the target and in header values, repeated headers, dot segments. The answer ends where its
 * framing says (Content-Length, the last chunk, or the end of the connection); a GET answered
 * with an event stream, which never ends by itself, is cut after its headers. Rejects when the
 * server closes without answering or does not answer in `timeoutMs`.
 */
export function sendRaw(port: number, request: RawRequest, timeoutMs = 30_000): Promise<RawResponse> {
  const head = [`${request.method} ${request.target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close'];
  const parts: Buffer[] = [Buffer.from(`${head.join('\r\n')}\r\n`, 'utf8')];
  for (const [name, value] of request.headers) parts.push(Buffer.from(`${name}: `, 'latin1'), typeof value === 'string' ? Buffer.from(value, 'utf8') : value, Buffer.from('\r\n'));
  if (request.body !== undefined) parts.push(Buffer.from(`Content-Length: ${request.body.length}\r\n`));
  parts.push(Buffer.from('\r\n'));
  if (request.body !== undefined) parts.push(request.body);

  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (outcome: { response: RawResponse } | { error: Error }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if ('response' in outcome) resolve(outcome.response);
      else reject(outcome.error);
    };
    const look = (ended: boolean): void => {
      try {
        const response = answerIn(Buffer.concat(chunks), request.method, ended);
        if (response !== undefined) finish({ response });
        else if (ended) finish({ error: new Error(`the server closed the connection without a complete answer (${Buffer.concat(chunks).length} bytes)`) });
      } catch (error) {
        finish({ error: error as Error });
      }
    };
    const timer = setTimeout(() => finish({ error: new Error(`no complete answer within ${timeoutMs} ms`) }), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      look(false);
    });
    // The server may answer early (a body too large) and close while the body is still going
    // out: a write error is no failure once an answer came, so only the end of the socket counts.
    socket.on('error', () => undefined);
    socket.on('close', () => look(true));
    socket.write(Buffer.concat(parts));
  });
}

/** The answer in `raw` once it is complete (or, `ended`, as much as came), else undefined. */
function answerIn(raw: Buffer, method: string, ended: boolean): RawResponse | undefined {
  const head = parseHead(raw);
  if (head === undefined) return undefined;
  const { status, headers, bodyStart } = head;
  const rest = raw.subarray(bodyStart);
  // A change stream stays open: its status and headers are the answer.
  if (method === 'GET' && headers['content-type']?.startsWith('text/event-stream') === true) return { status, headers, body: Buffer.alloc(0), raw, cut: true };
  if (headers['transfer-encoding']?.includes('chunked') === true) {
    const { body, complete } = dechunk(rest);
    return complete || ended ? { status, headers, body, raw, cut: false } : undefined;
  }
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  if (length !== undefined && rest.length >= length) return { status, headers, body: rest.subarray(0, length), raw, cut: false };
  if (length === undefined && (status === 204 || status === 304 || method === 'HEAD')) return { status, headers, body: Buffer.alloc(0), raw, cut: false };
  return ended ? { status, headers, body: rest, raw, cut: false } : undefined;
}

function parseHead(raw: Buffer): { status: number; headers: Record<string, string>; bodyStart: number } | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
  if (status === null) throw new Error(`not an HTTP answer: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(status[1]), headers, bodyStart: end + 4 };
}

/** The payload of a chunked body, as much of it as arrived, and whether its last chunk did. */
function dechunk(raw: Buffer): { body: Buffer; complete: boolean } {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) return { body: Buffer.concat(out), complete: false };
    const size = parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
    if (size === 0) return { body: Buffer.concat(out), complete: true };
    if (!Number.isFinite(size) || raw.length < lineEnd + 2 + size + 2) return { body: Buffer.concat(out), complete: false };
    out.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
