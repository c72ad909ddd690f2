import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One rerank request as the stand-in saw it. */
export interface SeenRerank {
  /** The request's path, e.g. `/v1/rerank`. */
  path: string;
  /** The `authorization` header, as sent. */
  authorization: string | undefined;
  model: unknown;
  query: unknown;
  documents: string[];
  topN: unknown;
}

/**
 * What the stand-in answers a request: one score per document (sent back as `results` ordered
 * best first, as real servers do, so a client that read positions instead of indices would
 * misorder), an HTTP status (an error body goes with it), `'stall'` (headers and half a body,
 * then nothing: the client's timeout), or `{ raw }`, a body sent as it is with status 200.
 */
export type RerankAnswer = number[] | number | 'stall' | { raw: string };

/** A real HTTP server on 127.0.0.1 speaking the Cohere/Jina/vLLM `POST /v1/rerank`. */
export interface FakeReranker {
  /** Base URL, with `/v1` (as Jina's `https://api.jina.ai/v1`): the client appends `/rerank`. */
  url: string;
  /** Every request, in order. */
  requests: SeenRerank[];
  close(): Promise<void>;
}

/** Scores each document by the first entry of `table` it contains (case-insensitive), else `fallback`: a reranker tests can read. */
export function scoreByWords(table: Record<string, number>, fallback = 0): (request: SeenRerank) => number[] {
  const entries = Object.entries(table).map(([word, score]) => [word.toLowerCase(), score] as const);
  return (request) => request.documents.map((d) => entries.find(([word]) => d.toLowerCase().includes(word))?.[1] ?? fallback);
}

/** Starts the stand-in; `answer` decides each answer from the request (deterministically, in tests). */
export async function startFakeReranker(answer: (request: SeenRerank) => RerankAnswer): Promise<FakeReranker> {
  const requests: SeenRerank[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/rerank') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
        return;
      }
      const body = JSON.parse(raw) as { model?: unknown; query?: unknown; documents?: unknown; top_n?: unknown };
      const documents = Array.isArray(body.documents) ? body.documents.map(String) : [];
      const request: SeenRerank = { path: req.url, authorization: req.headers.authorization, model: body.model, query: body.query, documents, topN: body.top_n };
      requests.push(request);
      const scores = answer(request);
      if (scores === 'stall') {
        res.writeHead(200, { 'content-type': 'application/json' }).write('{"results": ');
        return;
      }
      if (typeof scores === 'number') {
        res.writeHead(scores, { 'content-type': 'application/json' }).end('{"detail":"model overloaded"}');
        return;
      }
      if (!Array.isArray(scores)) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(scores.raw);
        return;
      }
      const results = scores.map((score, index) => ({ index, relevance_score: score, document: { text: documents[index] } })).sort((a, b) => b.relevance_score - a.relevance_score);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ model: body.model, usage: { total_tokens: 1 }, results }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
