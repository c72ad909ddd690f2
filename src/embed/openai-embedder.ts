import { z } from 'zod';

import { MemspaceError } from '../core/errors.js';
import type { Embedder } from '../core/ports/embedder.js';
import { positiveInteger, validateTexts } from './embed-input.js';
import { openaiEndpoint, postJson, requireModel } from './openai-http.js';

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
    this.#url = openaiEndpoint(options.baseUrl, 'embeddings', 'baseUrl');
    this.#model = requireModel(options.model);
    this.#apiKey = options.apiKey;
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
    const details = { url: this.#url, model: this.#model };
    const response = await postJson({
      url: this.#url,
      apiKey: this.#apiKey,
      body: { model: this.#model, input },
      schema: responseSchema,
      timeoutMs: this.#timeoutMs,
      closed: this.#closed.signal,
      closedError,
      label: 'embedding server',
      details,
    });
    return this.#order(response.data, input.length, details);
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

  #assertOpen(): void {
    if (this.#closed.signal.aborted) throw closedError();
  }
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
