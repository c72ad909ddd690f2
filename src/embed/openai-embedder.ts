import { z } from 'zod';

import { MemspaceError } from '../core/errors.js';
import type { Embedder } from '../core/ports/embedder.js';
import { positiveInteger, validateTexts } from './embed-input.js';

/** Options of {@link OpenAIEmbedder}. */
export interface OpenAIEmbedderOptions {
  /**
   * Server root, with or without a trailing `/v1`: `https://api.openai.com`,
   * `http://127.0.0.1:11434` (Ollama), `http://gpu-box:8000/v1` (vLLM).
   */
  baseUrl: string;
  /** Model name sent with every request, e.g. `text-embedding-3-small` or `nomic-embed-text`. */
  model: string;
  /**
   * Sent as `Authorization: Bearer <apiKey>`; local servers usually need none.
   * @default no Authorization header
   */
  apiKey?: string;
  /**
   * Length of the vectors the model returns. Required because it is recorded on every space
   * before the first request; a response of another length fails with `DIMENSION_MISMATCH`.
   */
  dimension: number;
  /**
   * Most texts per request; larger calls are sent as several requests, one after the other.
   * @default 64
   */
  batchSize?: number;
  /**
   * Limit for one request, from connecting to reading the whole body.
   * @default 30_000
   */
  timeoutMs?: number;
}

/** The part of the `/v1/embeddings` response memspace relies on; other fields are ignored. */
const responseSchema = z.object({
  data: z.array(
    z.object({
      embedding: z.array(z.number()),
      index: z.number().int().nonnegative(),
    }),
  ),
});

/** Longest excerpt of an error body kept in error details: enough to read the server's reason. */
const MAX_BODY_EXCERPT = 500;

/**
 * Embeds through an OpenAI-compatible `POST /v1/embeddings` endpoint (OpenAI, Ollama, vLLM,
 * LiteLLM...). The id is `openai:<model>`.
 *
 * - Requests carry `{ model, input: string[] }`; the response is ordered by each item's `index`.
 * - Vectors are L2-normalised (zero vectors are returned as is), matching the local embedder,
 *   so scores are comparable whatever the server does.
 * - Empty strings are rejected with `VALIDATION_FAILED` before any request: OpenAI refuses them.
 * - HTTP errors, timeouts, refused connections and malformed responses fail with
 *   `BACKEND_UNAVAILABLE` (details carry the URL and HTTP status, never the key); a vector of the
 *   wrong length fails with `DIMENSION_MISMATCH`.
 * - After {@link close}, in-flight requests are aborted and `embed()` rejects with `BACKEND_UNAVAILABLE`.
 */
export class OpenAIEmbedder implements Embedder {
  /** `openai:<model>`. */
  readonly id: string;
  /** The configured {@link OpenAIEmbedderOptions.dimension}. */
  readonly dimension: number;

  readonly #url: string;
  readonly #model: string;
  readonly #apiKey: string | undefined;
  readonly #batchSize: number;
  readonly #timeoutMs: number;
  readonly #closed = new AbortController();

  /** Validates the options; sends nothing. */
  constructor(options: OpenAIEmbedderOptions) {
    this.#url = embeddingsUrl(options.baseUrl);
    if (typeof options.model !== 'string' || options.model.length === 0) {
      throw new MemspaceError('VALIDATION_FAILED', 'model must be a non-empty string');
    }
    this.#model = options.model;
    this.#apiKey = options.apiKey === '' ? undefined : options.apiKey;
    this.dimension = positiveInteger('dimension', options.dimension);
    this.#batchSize = positiveInteger('batchSize', options.batchSize ?? 64);
    this.#timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? 30_000);
    this.id = `openai:${options.model}`;
  }

  /** Embeds `texts` in order, `batchSize` texts per request. */
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.#assertOpen();
    validateTexts(texts);
    const vectors: Float32Array[] = [];
    // Sequential on purpose: hosted APIs rate-limit and local servers run one model instance.
    for (let start = 0; start < texts.length; start += this.#batchSize) {
      vectors.push(...(await this.#request(texts.slice(start, start + this.#batchSize))));
    }
    return vectors;
  }

  /** Aborts in-flight requests; later calls reject. Idempotent. */
  close(): Promise<void> {
    this.#closed.abort();
    return Promise.resolve();
  }

  async #request(input: readonly string[]): Promise<Float32Array[]> {
    this.#assertOpen();
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.#apiKey !== undefined) headers.authorization = `Bearer ${this.#apiKey}`;
    const signal = AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), this.#closed.signal]);
    const details = { url: this.#url, model: this.#model };

    let status: number;
    let body: string;
    try {
      const response = await fetch(this.#url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: this.#model, input }),
        signal,
      });
      status = response.status;
      // The same signal bounds the body read, so a server that stalls mid-body cannot hang us.
      body = await response.text();
    } catch (error) {
      throw this.#transportError(error, details);
    }

    if (status < 200 || status >= 300) {
      throw new MemspaceError('BACKEND_UNAVAILABLE', `embedding server answered HTTP ${status}`, {
        ...details,
        status,
        body: body.slice(0, MAX_BODY_EXCERPT),
      });
    }

    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (error) {
      throw new MemspaceError(
        'BACKEND_UNAVAILABLE',
        'embedding server returned malformed JSON',
        { ...details, status, body: body.slice(0, MAX_BODY_EXCERPT) },
        { cause: error },
      );
    }
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success) {
      throw new MemspaceError(
        'BACKEND_UNAVAILABLE',
        'embedding server returned an unexpected response',
        { ...details, status, issues: z.prettifyError(parsed.error) },
        { cause: parsed.error },
      );
    }
    return this.#order(parsed.data.data, input.length, details);
  }

  /** Puts the response items in input order, checking that every input got exactly one vector. */
  #order(
    items: readonly { embedding: number[]; index: number }[],
    expected: number,
    details: Record<string, unknown>,
  ): Float32Array[] {
    if (items.length !== expected) {
      throw new MemspaceError('BACKEND_UNAVAILABLE', `embedding server returned ${items.length} vectors for ${expected} texts`, details);
    }
    const vectors = new Array<Float32Array | undefined>(expected);
    for (const { embedding, index } of items) {
      if (index >= expected || vectors[index] !== undefined) {
        throw new MemspaceError('BACKEND_UNAVAILABLE', `embedding server returned an invalid or repeated index ${index}`, details);
      }
      if (embedding.length !== this.dimension) {
        throw new MemspaceError(
          'DIMENSION_MISMATCH',
          `embedding model ${this.#model} returned ${embedding.length} dimensions, expected ${this.dimension}`,
          { ...details, expected: this.dimension, actual: embedding.length },
        );
      }
      vectors[index] = normalise(embedding);
    }
    // Every index below `expected` is filled: there are `expected` distinct in-range indices.
    return vectors as Float32Array[];
  }

  #transportError(error: unknown, details: Record<string, unknown>): MemspaceError {
    if (this.#closed.signal.aborted) return closedError();
    if (error instanceof Error && error.name === 'TimeoutError') {
      return new MemspaceError(
        'BACKEND_UNAVAILABLE',
        `embedding server did not answer within ${this.#timeoutMs} ms`,
        { ...details, timeoutMs: this.#timeoutMs },
        { cause: error },
      );
    }
    // undici reports "fetch failed" and keeps the useful part (ECONNREFUSED, ENOTFOUND...) in the cause.
    const reason = error instanceof Error ? causeCode(error) : undefined;
    return new MemspaceError(
      'BACKEND_UNAVAILABLE',
      `embedding server unreachable${reason === undefined ? '' : ` (${reason})`}`,
      { ...details, ...(reason === undefined ? {} : { reason }) },
      { cause: error },
    );
  }

  #assertOpen(): void {
    if (this.#closed.signal.aborted) throw closedError();
  }
}

/** `<base>/v1/embeddings`, whether or not `baseUrl` already ends in `/v1`. */
function embeddingsUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (error) {
    throw new MemspaceError('VALIDATION_FAILED', `baseUrl is not a valid URL: ${baseUrl}`, undefined, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MemspaceError('VALIDATION_FAILED', `baseUrl must be http or https: ${baseUrl}`);
  }
  const path = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  url.pathname = `${path}/v1/embeddings`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

function causeCode(error: Error): string | undefined {
  const cause: unknown = error.cause;
  if (typeof cause === 'object' && cause !== null) {
    if ('code' in cause && typeof cause.code === 'string') return cause.code;
    if ('message' in cause && typeof cause.message === 'string') return cause.message;
  }
  return undefined;
}

function normalise(values: readonly number[]): Float32Array {
  let sum = 0;
  for (const value of values) sum += value * value;
  const norm = Math.sqrt(sum);
  const vector = new Float32Array(values.length);
  const scale = norm > 0 && Number.isFinite(norm) ? 1 / norm : 1;
  for (const [i, value] of values.entries()) vector[i] = value * scale;
  return vector;
}

function closedError(): MemspaceError {
  return new MemspaceError('BACKEND_UNAVAILABLE', 'the OpenAI-compatible embedder is closed');
}
