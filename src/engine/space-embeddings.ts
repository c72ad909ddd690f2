import { MemspaceError } from '../core/errors.js';
import type { EmbedderProvider } from '../core/ports/embedder.js';
import { normalize } from '../core/ranking.js';
import type { SpaceRecord } from '../core/types.js';

/** A text to turn into a vector, or the vector its caller gave for it. */
export interface VectorSource {
  text: string;
  given: number[] | undefined;
}

/**
 * The vectors of a space: given ones checked against its dimension, the rest made by the
 * embedder the space recorded at creation; every vector unit length, as the stores expect.
 */
export class SpaceEmbeddings {
  constructor(private readonly embedders: EmbedderProvider) {}

  /** The dimension an embedder id fixes, when known without calling it. */
  dimensionOf(embedder: string): number | undefined {
    return this.embedders.dimensionOf(embedder);
  }

  /** Unit vectors for `items`, in order: given vectors where present, the space's embedder for the rest. */
  async vectorsFor(record: SpaceRecord, items: readonly VectorSource[]): Promise<Float32Array[]> {
    const out: (Float32Array | undefined)[] = items.map((item) => {
      if (item.given === undefined) return undefined;
      checkDimension(record, item.given.length);
      return normalize(Float32Array.from(item.given)); // the schemas checked every value is finite
    });
    const missing = items.flatMap((item, i) => (out[i] === undefined ? [i] : []));
    if (missing.length > 0) {
      const vectors = await this.embedderOf(record).embed(missing.map((i) => items[i]!.text));
      missing.forEach((index, j) => {
        const v = vectors[j]!;
        checkDimension(record, v.length);
        out[index] = normalize(v);
      });
    }
    return out as Float32Array[];
  }

  private embedderOf(record: SpaceRecord) {
    const embedder = this.embedders.get(record.embedder, record.dimension);
    if (embedder !== undefined) return embedder;
    if (record.embedder === 'none') {
      throw new MemspaceError('VALIDATION_FAILED', `space "${record.name}" has no embedder: give an embedding of ${record.dimension} numbers`, { embedder: record.embedder });
    }
    throw new MemspaceError('BACKEND_UNAVAILABLE', `embedder ${record.embedder} of space "${record.name}" is not configured on this server`, { embedder: record.embedder });
  }
}

function checkDimension(record: SpaceRecord, length: number): void {
  if (length !== record.dimension) {
    throw new MemspaceError('DIMENSION_MISMATCH', `space "${record.name}" holds ${record.dimension}-dimensional vectors, got ${length}`, {
      expected: record.dimension,
      actual: length,
    });
  }
}
