/**
 * A reranker: scores how well each document answers a query, reading both together (a
 * cross-encoder), which first-stage search cannot afford over a whole space. Implementations live
 * in `src/embed/` beside the embedders and the chat model; failures of the reranking server are
 * `BACKEND_UNAVAILABLE`.
 */
export interface Reranker {
  /** The model's name as sent to the server, e.g. `rerank-v3.5` or `jina-reranker-v2-base-multilingual`. */
  readonly model: string;
  /**
   * One score per document, in the documents' order; higher is more relevant. The scale is the
   * model's (Cohere and Jina answer 0 to 1), so scores compare within one model only.
   */
  rerank(query: string, documents: readonly string[]): Promise<number[]>;
  /** Aborts requests in flight; later calls reject. Idempotent. */
  close(): Promise<void>;
}
