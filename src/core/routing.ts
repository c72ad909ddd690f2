/**
 * Routing suggestions (docs/routing.md): which of the spaces a caller can read a text fits
 * best. The rules live here once: the request, the running centroid of a space's vectors, how
 * vector and keyword evidence blend into one score, and the order of the answer. The engine
 * (engine/route-service.ts) fetches the evidence.
 */
import { z } from 'zod';
import { VectorSchema } from './schemas.js';

/** Suggestions one route call answers with unless it asks for another number. */
export const DEFAULT_ROUTE_LIMIT = 5;
/** Most suggestions one route call may ask for. */
export const MAX_ROUTE_LIMIT = 50;
/**
 * Most spaces one route call weighs: each is opened and searched, so the work of a call is
 * bounded. A caller who sees more narrows the call with `spaces` or `prefix`.
 */
export const ROUTE_MAX_SPACES = 1000;
/** Weight of the centroid's cosine in a route score; the keyword evidence takes the rest. */
export const ROUTE_VECTOR_WEIGHT = 0.6;

/** `POST /v1/route`. */
export const RouteRequestSchema = z.strictObject({
  text: z.string().trim().min(1).max(10_000).describe('the text to place: a memory about to be written, a question'),
  limit: z.number().int().min(1).max(MAX_ROUTE_LIMIT).default(DEFAULT_ROUTE_LIMIT).describe(`suggestions to return, best first; default ${DEFAULT_ROUTE_LIMIT}`),
  spaces: z.array(z.string().min(1).max(256)).min(1).max(ROUTE_MAX_SPACES).optional().describe('weigh only these spaces (each must be readable by the key)'),
  prefix: z.string().min(1).max(256).optional().describe('weigh only the visible spaces whose name starts with this'),
  embedding: VectorSchema.optional().describe('the text\'s vector, used for spaces of its dimension instead of their embedder'),
});
/** A parsed route request. */
export type RouteRequest = z.output<typeof RouteRequestSchema>;

/** The memory of a space that matches the text best (a hybrid search of one). */
export interface RouteTop {
  id: string;
  content: string;
  score: number;
}

/** One suggested space. */
export interface RouteSuggestion {
  space: string;
  /** {@link routeScore} of the two parts: higher fits better. */
  score: number;
  /** Cosine of the text's vector with the space's centroid; null when the space's vectors could not be compared (see `note`). */
  vector: number | null;
  /** The best BM25 score of the text in the space, mapped to [0, 1) by {@link keywordEvidence}. */
  keyword: number;
  top: RouteTop | null;
  /** Why `vector` is null, when it is. */
  note?: string;
}

/** The answer of a route call. */
export interface RouteAnswer {
  results: RouteSuggestion[];
}

/**
 * The running sum and count of a space's memory vectors, from which its centroid (their mean)
 * follows. Adding, replacing and removing a vector adjust it without a rescan; the sum is kept
 * in double precision so that long runs of adjustments do not drift.
 */
export class CentroidSum {
  readonly sum: Float64Array;
  count = 0;

  constructor(readonly dimension: number) {
    this.sum = new Float64Array(dimension);
  }

  /** Adds one vector (a memory written). */
  add(v: ArrayLike<number>): void {
    this.adjust(v, 1);
    this.count += 1;
  }

  /** Removes one vector that was added (a memory deleted). */
  remove(v: ArrayLike<number>): void {
    this.adjust(v, -1);
    this.count = Math.max(0, this.count - 1);
    if (this.count === 0) this.sum.fill(0); // rounding left over from the adds goes with the last vector
  }

  /** Replaces a vector that was added (a memory updated): the count stays. */
  replace(old: ArrayLike<number>, next: ArrayLike<number>): void {
    this.adjust(old, -1);
    this.adjust(next, 1);
  }

  /** The mean of the vectors, or undefined when there are none. */
  mean(): Float64Array | undefined {
    if (this.count === 0) return undefined;
    return this.sum.map((x) => x / this.count);
  }

  /** Cosine of `v` with the centroid; 0 when there is no centroid or it is the zero vector. */
  cosine(v: ArrayLike<number>): number {
    return cosine(this.sum, v); // the mean points where the sum does
  }

  private adjust(v: ArrayLike<number>, sign: 1 | -1): void {
    if (v.length !== this.dimension) throw new RangeError(`vector of ${v.length} dimensions for a centroid of ${this.dimension}`);
    for (let i = 0; i < this.dimension; i++) this.sum[i]! += sign * v[i]!;
  }
}

/** Cosine similarity of two vectors of equal length; 0 when either is the zero vector. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}

/** A BM25 score (unbounded, ≥ 0) mapped to [0, 1), as search maps keyword scores: `s / (1 + s)`. */
export function keywordEvidence(bm25: number | undefined): number {
  if (bm25 === undefined || !(bm25 > 0)) return 0;
  return bm25 / (1 + bm25);
}

/**
 * A space's fit for a text: `weight * max(0, vector) + (1 - weight) * keyword`; without a
 * vector part (the space's vectors could not be compared) the keyword evidence alone. A
 * negative cosine counts as none, so an opposite centroid cannot outweigh keyword evidence.
 */
export function routeScore(vector: number | null, keyword: number, weight = ROUTE_VECTOR_WEIGHT): number {
  if (vector === null) return keyword;
  return weight * Math.max(0, vector) + (1 - weight) * keyword;
}

/** The suggestions best first (ties by space name, so the order is stable), at most `limit`. */
export function rankSuggestions(suggestions: readonly RouteSuggestion[], limit: number): RouteSuggestion[] {
  return [...suggestions].sort((a, b) => b.score - a.score || (a.space < b.space ? -1 : a.space > b.space ? 1 : 0)).slice(0, limit);
}

/**
 * The body of a route answer as a zod schema: the server documents its response with it and
 * the SDK parses answers with it. Objects are loose, so a newer server may add fields.
 */
export const RouteAnswerSchema = z.looseObject({
  results: z.array(
    z.looseObject({
      space: z.string(),
      score: z.number(),
      vector: z.number().nullable().describe('cosine with the space\'s centroid; null when not comparable (see note)'),
      keyword: z.number(),
      top: z.looseObject({ id: z.string(), content: z.string(), score: z.number() }).nullable(),
      note: z.string().optional(),
    }),
  ),
}) as unknown as z.ZodType<RouteAnswer>;
