import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One chat-completion request as the stand-in saw it. */
export interface SeenChat {
  /** The `authorization` header, as sent. */
  authorization: string | undefined;
  model: string;
  /** The request's `response_format`, as sent. */
  responseFormat: unknown;
  system: string;
  user: string;
}

/**
 * What the stand-in answers a request: the assistant's text, an HTTP status (an error body
 * goes with it), or `'stall'` (headers and half a body, then nothing: the client's timeout).
 */
export type ChatAnswer = string | number | 'stall';

/** A real HTTP server on 127.0.0.1 speaking OpenAI's `POST /v1/chat/completions`. */
export interface FakeLlm {
  /** Base URL, without `/v1`. */
  url: string;
  /** Every request, in order. */
  requests: SeenChat[];
  close(): Promise<void>;
}

/** Starts the stand-in; `answer` decides each answer from the request (deterministically, in tests). */
export async function startFakeLlm(answer: (request: SeenChat) => ChatAnswer): Promise<FakeLlm> {
  const requests: SeenChat[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"no such route"}}');
        return;
      }
      const body = JSON.parse(raw) as { model: string; response_format?: unknown; messages: { role: string; content: string }[] };
      const request: SeenChat = {
        authorization: req.headers.authorization,
        responseFormat: body.response_format,
        model: body.model,
        system: body.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n'),
        user: body.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n'),
      };
      requests.push(request);
      const content = answer(request);
      if (content === 'stall') {
        res.writeHead(200, { 'content-type': 'application/json' }).write('{"choices": ');
        return;
      }
      if (typeof content === 'number') {
        res.writeHead(content, { 'content-type': 'application/json' }).end('{"error":{"message":"model overloaded"}}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', model: body.model, choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }] }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
