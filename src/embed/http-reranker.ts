import { z } from 'zod';

import { MemspaceError } from '../core/errors.js';
import type { Reranker } from '../core/ports/reranker.js';
import { positiveInteger } from './embed-input.js';
import { postJson, requireModel } from './openai-http.js';

/** Options of {@link HttpReranker}. */
export interface HttpRerankerOptions {
  /**
   * The root `/rerank` is appended to, as the server names it: `https://api.jina.ai/v1`,
   * `https://api.cohere.com/v2`, `http://gpu-box:8000/v1` (vLLM). A URL already ending in
   * `/rerank` is taken as the endpoint itself.
   */
  baseUrl: string;
  /** Model name sent with every request, e.g. `rerank-v3.5`. */
  model: string;
  /** Sent as `Authorization: Bearer <apiKey>`. @default no Authorization header */
  apiKey?: string | undefined;
  /** Limit for one request, from connecting to reading the whole body. @default 10_000 */
  timeoutMs?: number;
}

/** The part of a rerank response memspace relies on; `z.number()` refuses Infinity (JSON's `1e999`). */
const responseSchema = z.object({
  results: z.array(z.object({ index: z.number().int().nonnegative(), relevance_score: z.number() })),
});

/**
 * A reranker behind the `POST {base}/rerank` endpoint that Cohere, Jina and vLLM share:
 * `{model, query, documents: string[], top_n}` in, `{results: [{index, relevance_score}]}` out.
 * Every document is asked for (`top_n` is their count) and must come back exactly once: an
 * answer with an index out of range, a repeated or missing index, or a score that is not a finite
 * number is `BACKEND_UNAVAILABLE`, never a silently wrong order. HTTP errors, timeouts and refused
 * connections are `BACKEND_UNAVAILABLE` too; details name the URL, model and status, never the key.
 */
export class HttpReranker implements Reranker {
  readonly model: string;
  readonly #url: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #closed = new AbortController();

  /** Validates the options; sends nothing. */
  constructor(options: HttpRerankerOptions) {
    this.#url = rerankEndpoint(options.baseUrl);
    this.model = requireModel(options.model);
    this.#apiKey = options.apiKey;
    this.#timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? 10_000);
  }

  async rerank(query: string, documents: readonly string[]): Promise<number[]> {
    // Nothing to order: a server may refuse an empty list, and there is no answer to wait for.
    if (documents.length === 0) return [];
    const details = { url: this.#url, model: this.model };
    const response = await postJson({
      url: this.#url,
      apiKey: this.#apiKey,
      body: { model: this.model, query, documents, top_n: documents.length },
      schema: responseSchema,
      timeoutMs: this.#timeoutMs,
      closed: this.#closed.signal,
      closedError,
      label: 'rerank server',
      details,
    });
    return scoresByDocument(response.results, documents.length, details);
  }

  close(): Promise<void> {
    this.#closed.abort();
    return Promise.resolve();
  }
}

/**
 * `<base>/rerank`, or `baseUrl` itself when it already ends in `/rerank`.
 * @throws MemspaceError `VALIDATION_FAILED` unless `baseUrl` is an http(s) URL.
 */
export function rerankEndpoint(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (error) {
    throw new MemspaceError('VALIDATION_FAILED', `rerank baseUrl is not a valid URL: ${baseUrl}`, undefined, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MemspaceError('VALIDATION_FAILED', `rerank baseUrl must be http or https: ${baseUrl}`);
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '').replace(/\/rerank$/, '')}/rerank`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/** The score of each of `count` documents, in document order, from the server's results (which it orders by score). */
function scoresByDocument(results: readonly { index: number; relevance_score: number }[], count: number, details: Record<string, unknown>): number[] {
  const unreadable = (why: string): MemspaceError => new MemspaceError('BACKEND_UNAVAILABLE', `rerank server returned an unusable answer: ${why}`, { ...details, documents: count, results: results.length });
  const scores = new Array<number | undefined>(count);
  for (const { index, relevance_score: score } of results) {
    if (index >= count) throw unreadable(`index ${index} is out of range for ${count} documents`);
    if (scores[index] !== undefined) throw unreadable(`index ${index} is repeated`);
    scores[index] = score;
  }
  // A document left unscored could only be placed by guessing: refuse rather than misorder.
  if (results.length !== count) throw unreadable(`${results.length} scores for ${count} documents`);
  return scores as number[];
}

function closedError(): MemspaceError {
  return new MemspaceError('BACKEND_UNAVAILABLE', 'the rerank client is closed');
}
