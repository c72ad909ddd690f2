/**
 * A LangChain `Embeddings` that "embeds" a text by looking up the precomputed vector registered
 * for it, so that text-only APIs (mem0, the LangGraph store) can be fed the same vectors as every
 * other peer without a model. What it costs the peer is one Map lookup and the conversion to
 * number[] that any LangChain embedder returns; a real model would cost far more, so these
 * figures are a lower bound for those systems.
 */
import { Embeddings } from '@langchain/core/embeddings';

import { toNumberArray } from './peer.js';

/** Text-to-vector lookup posing as an embedding model. */
export class LookupEmbeddings extends Embeddings {
  private readonly vectors = new Map<string, Float32Array>();
  private queries = 0;

  constructor() {
    super({});
  }

  /** Makes `text` embed to `vector`. */
  register(text: string, vector: Float32Array): void {
    this.vectors.set(text, vector);
  }

  /** Forgets a text registered only for one call (a query), so the map does not grow with searches. */
  forget(text: string): void {
    this.vectors.delete(text);
  }

  /**
   * Registers a fresh query text for `vector` and returns it. The text is a single lowercase
   * token that no stored content contains and that is not a named entity, so that mem0's hybrid
   * search adds neither a BM25 nor an entity boost and ranks by vector similarity alone.
   */
  queryText(vector: Float32Array): string {
    const text = `qv${(this.queries++).toString(36)}`;
    this.register(text, vector);
    return text;
  }

  override async embedQuery(text: string): Promise<number[]> {
    return toNumberArray(this.lookup(text));
  }

  override async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map((text) => toNumberArray(this.lookup(text)));
  }

  private lookup(text: string): Float32Array {
    const vector = this.vectors.get(text);
    // Failing loudly keeps a peer from silently embedding something else (a probe, a prompt).
    if (!vector) throw new Error(`LookupEmbeddings: no vector registered for ${JSON.stringify(text.slice(0, 80))}`);
    return vector;
  }
}
