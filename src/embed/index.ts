/** Embedder implementations. The port they implement lives in `core/ports/embedder.ts`. */
export { CachedEmbedder } from './cached-embedder.js';
export type { CachedEmbedderOptions, CacheStats } from './cached-embedder.js';
export { LOCAL_EMBEDDER_DIMENSION, LOCAL_EMBEDDER_ID, LocalEmbedder } from './local-embedder.js';
export type { LocalEmbedderOptions } from './local-embedder.js';
export { OpenAIEmbedder } from './openai-embedder.js';
export type { OpenAIEmbedderOptions } from './openai-embedder.js';
export { OpenAIChatModel } from './openai-chat-model.js';
export type { OpenAIChatModelOptions } from './openai-chat-model.js';
export { HttpReranker } from './http-reranker.js';
export type { HttpRerankerOptions } from './http-reranker.js';
