/** One message of a chat-completion request. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Options of one chat completion. */
export interface ChatOptions {
  /** Ask the model for a JSON object (`response_format: {type: "json_object"}`). @default false */
  json?: boolean;
}

/**
 * A chat model: messages in, the assistant's text out. Implementations live in `src/embed/`
 * beside the embedders (they speak the same OpenAI-compatible protocol); failures of the model
 * server are `BACKEND_UNAVAILABLE`.
 */
export interface ChatModel {
  /** The model's name as sent to the server, e.g. `gpt-4o-mini`. */
  readonly model: string;
  /** One completion of `messages`; resolves to the assistant message's text. */
  complete(messages: readonly ChatMessage[], options?: ChatOptions): Promise<string>;
  /** Aborts requests in flight; later calls reject. Idempotent. */
  close(): Promise<void>;
}
