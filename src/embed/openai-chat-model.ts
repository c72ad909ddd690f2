import { z } from 'zod';

import { MemspaceError } from '../core/errors.js';
import type { ChatMessage, ChatModel, ChatOptions } from '../core/ports/chat-model.js';
import { positiveInteger } from './embed-input.js';

/** Options of {@link OpenAIChatModel}. */
export interface OpenAIChatModelOptions {
  /** Server root, with or without a trailing `/v1`: `https://api.openai.com`, `http://127.0.0.1:11434` (Ollama). */
  baseUrl: string;
  /** Model name sent with every request, e.g. `gpt-4o-mini` or `llama3.1`. */
  model: string;
  /** Sent as `Authorization: Bearer <apiKey>`. @default no Authorization header */
  apiKey?: string | undefined;
  /** Limit for one request, from connecting to reading the whole body. @default 60_000 */
  timeoutMs?: number;
}

/** The part of a `/v1/chat/completions` response memspace relies on. */
const responseSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
});

/** Longest excerpt of an error body kept in error details. */
const MAX_BODY_EXCERPT = 500;

/**
 * A chat model behind an OpenAI-compatible `POST /v1/chat/completions` endpoint (OpenAI,
 * Ollama, vLLM, LiteLLM...). Requests carry `{model, messages, temperature: 0}` and, when JSON
 * is asked for, `response_format: {type: "json_object"}`. HTTP errors, timeouts, refused
 * connections and malformed responses are `BACKEND_UNAVAILABLE`; details name the URL, model and
 * status, never the key.
 */
export class OpenAIChatModel implements ChatModel {
  readonly model: string;
  readonly #url: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #closed = new AbortController();

  /** Validates the options; sends nothing. */
  constructor(options: OpenAIChatModelOptions) {
    this.#url = completionsUrl(options.baseUrl);
    if (typeof options.model !== 'string' || options.model.length === 0) {
      throw new MemspaceError('VALIDATION_FAILED', 'model must be a non-empty string');
    }
    this.model = options.model;
    this.#apiKey = options.apiKey === '' ? undefined : options.apiKey;
    this.#timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? 60_000);
  }

  async complete(messages: readonly ChatMessage[], options: ChatOptions = {}): Promise<string> {
    if (this.#closed.signal.aborted) throw closedError();
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.#apiKey !== undefined) headers.authorization = `Bearer ${this.#apiKey}`;
    const details = { url: this.#url, model: this.model };
    const body = {
      model: this.model,
      messages,
      temperature: 0,
      ...(options.json === true && { response_format: { type: 'json_object' } }),
    };
    let status: number;
    let text: string;
    try {
      const response = await fetch(this.#url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), this.#closed.signal]),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw this.#transportError(error, details);
    }
    if (status < 200 || status >= 300) {
      throw new MemspaceError('BACKEND_UNAVAILABLE', `LLM server answered HTTP ${status}`, { ...details, status, body: text.slice(0, MAX_BODY_EXCERPT) });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new MemspaceError('BACKEND_UNAVAILABLE', 'LLM server returned malformed JSON', { ...details, status, body: text.slice(0, MAX_BODY_EXCERPT) }, { cause: error });
    }
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success) {
      throw new MemspaceError('BACKEND_UNAVAILABLE', 'LLM server returned an unexpected response', { ...details, status, issues: z.prettifyError(parsed.error) }, { cause: parsed.error });
    }
    return parsed.data.choices[0]!.message.content ?? '';
  }

  close(): Promise<void> {
    this.#closed.abort();
    return Promise.resolve();
  }

  #transportError(error: unknown, details: Record<string, unknown>): MemspaceError {
    if (this.#closed.signal.aborted) return closedError();
    if (error instanceof Error && error.name === 'TimeoutError') {
      return new MemspaceError('BACKEND_UNAVAILABLE', `LLM server did not answer within ${this.#timeoutMs} ms`, { ...details, timeoutMs: this.#timeoutMs }, { cause: error });
    }
    // undici says "fetch failed" and keeps the useful part (ECONNREFUSED, ENOTFOUND...) in the cause.
    const cause: unknown = error instanceof Error ? error.cause : undefined;
    const reason =
      typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string' ? cause.code
      : cause instanceof Error ? cause.message
      : undefined;
    return new MemspaceError('BACKEND_UNAVAILABLE', `LLM server unreachable${reason === undefined ? '' : ` (${reason})`}`, { ...details, ...(reason !== undefined && { reason }) }, { cause: error });
  }
}

/** `<base>/v1/chat/completions`, whether or not `baseUrl` already ends in `/v1`. */
function completionsUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (error) {
    throw new MemspaceError('VALIDATION_FAILED', `LLM baseUrl is not a valid URL: ${baseUrl}`, undefined, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MemspaceError('VALIDATION_FAILED', `LLM baseUrl must be http or https: ${baseUrl}`);
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '')}/v1/chat/completions`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

function closedError(): MemspaceError {
  return new MemspaceError('BACKEND_UNAVAILABLE', 'the LLM client is closed');
}
