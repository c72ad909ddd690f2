/** Turns texts into vectors. Implementations live in `src/embed/`. */
export interface Embedder {
  /** Stable identifier recorded on every space that uses it, e.g. `local:use-lite`. */
  readonly id: string;
  /** Length of every vector this embedder returns. */
  readonly dimension: number;
  /** Embeds `texts` in order; the result has one vector per text. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  /** Releases workers, sockets and memory. Idempotent. */
  close(): Promise<void>;
}

/** Finds the embedder a space recorded at creation. */
export interface EmbedderProvider {
  /** The embedder with this id producing `dimension`-long vectors, or undefined when this process cannot serve it. */
  get(id: string, dimension: number): Embedder | undefined;
  /** The fixed dimension of an embedder id, when known without calling it. */
  dimensionOf(id: string): number | undefined;
}
