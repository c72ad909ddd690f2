import { z } from 'zod';

import { MemspaceError } from '../core/errors.js';
import type { ChatMessage, ChatModel, ChatOptions } from '../core/ports/chat-model.js';
import { positiveInteger } from './embed-input.js';
import { openaiEndpoint, postJson, requireModel } from './openai-http.js';

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
    this.#url = openaiEndpoint(options.baseUrl, 'chat/completions', 'LLM baseUrl');
    this.model = requireModel(options.model);
    this.#apiKey = options.apiKey;
    this.#timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? 60_000);
  }

  async complete(messages: readonly ChatMessage[], options: ChatOptions = {}): Promise<string> {
    const response = await postJson({
      url: this.#url,
      apiKey: this.#apiKey,
      body: {
        model: this.model,
        messages,
        temperature: 0,
        ...(options.json === true && { response_format: { type: 'json_object' } }),
      },
      schema: responseSchema,
      timeoutMs: this.#timeoutMs,
      closed: this.#closed.signal,
      closedError,
      label: 'LLM server',
      details: { url: this.#url, model: this.model },
    });
    return response.choices[0]!.message.content ?? '';
  }

  close(): Promise<void> {
    this.#closed.abort();
    return Promise.resolve();
  }
}

function closedError(): MemspaceError {
  return new MemspaceError('BACKEND_UNAVAILABLE', 'the LLM client is closed');
}
