import { allows } from '../core/grants.js';
import { isMemspaceError, MemspaceError } from '../core/errors.js';
import type { SpaceCatalog } from '../core/ports/space-catalog.js';
import { normalize } from '../core/ranking.js';
import {
  keywordEvidence,
  rankSuggestions,
  ROUTE_MAX_SPACES,
  RouteRequestSchema,
  routeScore,
  type RouteAnswer,
  type RouteRequest,
  type RouteSuggestion,
  type RouteTop,
} from '../core/routing.js';
import { SearchRequestSchema } from '../core/schemas.js';
import { spaceKey, validateSpaceName } from '../core/space-name.js';
import type { SpaceRecord } from '../core/types.js';
import { parseWith } from '../core/validate.js';
import { principalOf, type CallContext, type Principal } from './access-guard.js';
import { CentroidCache } from './route-centroids.js';
import type { SpaceEmbeddings } from './space-embeddings.js';
import type { SpaceGate } from './space-gate.js';
import type { SpaceHandle } from './space-registry.js';

/** Spaces weighed at once by one route call. */
const CONCURRENCY = 8;
/** Catalogue rows read per page while finding the caller's spaces. */
const LIST_PAGE = 1000;
/** Failures of one space that leave it out of a suggestion instead of failing the call: it is archived, damaged, gone or busy. */
const SKIPPED = new Set(['SPACE_ARCHIVED', 'SPACE_NOT_FOUND', 'BACKEND_UNAVAILABLE', 'QUOTA_EXCEEDED']);

/** The text's vector for a space, or why there is none. */
interface QueryVector {
  vector?: Float32Array;
  note?: string;
}

/**
 * Routing suggestions (docs/routing.md): ranks the spaces the caller can read (by its grants,
 * as `GET /v1/spaces` lists them; shares do not list a space) by how well a text fits each.
 * The fit of a space blends the cosine of the text's vector, made by the space's own
 * embedder, with the space's centroid ({@link CentroidCache}) and the best keyword score of the
 * text in the space (core/routing.ts `routeScore`); its top memory comes from a hybrid search
 * of one. A space the caller cannot read is never opened, so it shapes neither the answer nor
 * its errors. Empty and archived spaces are left out.
 */
export class RouteService {
  constructor(
    private readonly gate: SpaceGate,
    private readonly catalog: SpaceCatalog,
    private readonly embeddings: SpaceEmbeddings,
    readonly centroids: CentroidCache = new CentroidCache(),
  ) {}

  /** Suggests spaces for `request.text`, best first (`POST /v1/route`). */
  async route(request: unknown, call: CallContext = {}): Promise<RouteAnswer> {
    const req = parseWith(RouteRequestSchema, request, 'route request');
    const records = req.spaces === undefined ? await this.visible(principalOf(call), req.prefix) : await this.named(req.spaces, req.prefix, call);
    const now = this.gate.now();
    const vectors = new Map<string, Promise<QueryVector>>();
    const vectorFor = (record: SpaceRecord): Promise<QueryVector> => {
      const key = `${record.embedder}\u0000${record.dimension}`;
      if (!vectors.has(key)) vectors.set(key, this.queryVector(record, req));
      return vectors.get(key)!;
    };
    const weighed = await mapPooled(records, CONCURRENCY, (record) => this.weigh(record, req, now, vectorFor));
    return { results: rankSuggestions(weighed.filter((s): s is RouteSuggestion => s !== undefined), req.limit) };
  }

  /** The spaces the principal can read, by name, with `prefix`; more than {@link ROUTE_MAX_SPACES} is refused. */
  private async visible(principal: Principal, prefix: string | undefined): Promise<SpaceRecord[]> {
    const out: SpaceRecord[] = [];
    let after: string | undefined;
    for (;;) {
      const rows = await this.catalog.list({ prefix, after, limit: LIST_PAGE });
      for (const record of rows) {
        if (prefix !== undefined && !spaceKey(record.name).startsWith(spaceKey(prefix))) continue;
        if (!allows(this.gate.guard.roleIn(principal, record.name, record.project), 'read') || record.state === 'archived') continue;
        if (out.length === ROUTE_MAX_SPACES) throw tooMany();
        out.push(record);
      }
      if (rows.length < LIST_PAGE) return out;
      after = rows[rows.length - 1]!.name;
    }
  }

  /** The spaces a request names: each must be readable (else `SPACE_NOT_FOUND`, as a missing one, audited there); archived ones are left out. */
  private async named(names: readonly string[], prefix: string | undefined, call: CallContext): Promise<SpaceRecord[]> {
    const unique = [...new Map(names.map((n) => [spaceKey(validateSpaceName(n)), n])).values()];
    const out: SpaceRecord[] = [];
    for (const name of unique) {
      await this.gate.authorize(name, 'read', call);
      if (prefix !== undefined && !spaceKey(name).startsWith(spaceKey(prefix))) continue;
      const record = await this.gate.registry.record(name);
      if (record.state !== 'archived') out.push(record);
    }
    return out;
  }

  /** One space's suggestion; undefined for an empty space or one that cannot be weighed now (see {@link SKIPPED}). */
  private async weigh(record: SpaceRecord, req: RouteRequest, now: number, vectorFor: (r: SpaceRecord) => Promise<QueryVector>): Promise<RouteSuggestion | undefined> {
    try {
      return await this.gate.open(record.name, (handle) => this.weighOpen(handle, req, now, vectorFor));
    } catch (error) {
      if (isMemspaceError(error) && SKIPPED.has(error.code)) return undefined;
      throw error;
    }
  }

  private async weighOpen({ record, store }: SpaceHandle, req: RouteRequest, now: number, vectorFor: (r: SpaceRecord) => Promise<QueryVector>): Promise<RouteSuggestion | undefined> {
    const centroid = await this.centroids.centroid(record, store);
    if (centroid.count === 0) return undefined;
    const { vector, note } = await vectorFor(record);
    const vectorPart = vector === undefined ? null : round(centroid.cosine(vector));
    const [best] = await store.keywordSearch(req.text, undefined, 1, now);
    const keyword = round(keywordEvidence(best?.score));
    const search = parseWith(SearchRequestSchema, { query: req.text, mode: vector === undefined ? 'keyword' : 'hybrid', limit: 1, neighbors: false, dates: false }, 'route search');
    const [hit] = await store.search({ request: search, vector, filter: undefined, now, halfLifeDays: record.consolidation.halfLifeDays });
    const top: RouteTop | null = hit === undefined ? null : { id: hit.memory.id, content: hit.memory.content, score: round(hit.score) };
    return { space: record.name, score: round(routeScore(vectorPart, keyword)), vector: vectorPart, keyword, top, ...(note !== undefined && { note }) };
  }

  /** The text's unit vector for spaces of `record`'s embedder and dimension: the given embedding when it fits, else the embedder's. */
  private async queryVector(record: SpaceRecord, req: RouteRequest): Promise<QueryVector> {
    if (req.embedding !== undefined && req.embedding.length === record.dimension) return { vector: normalize(Float32Array.from(req.embedding)) };
    if (record.embedder === 'none') return { note: `no embedder: the vector part needs an embedding of ${record.dimension} numbers` };
    try {
      const [vector] = await this.embeddings.vectorsFor(record, [{ text: req.text, given: undefined }]);
      return { vector: vector! };
    } catch (error) {
      if (isMemspaceError(error)) return { note: `embedder ${record.embedder} could not embed the text (${error.code})` };
      throw error;
    }
  }
}

function tooMany(): MemspaceError {
  const message = `more than ${ROUTE_MAX_SPACES} spaces to weigh: name them with spaces: [...] or narrow them with a prefix`;
  return new MemspaceError('VALIDATION_FAILED', message, { limit: ROUTE_MAX_SPACES, issues: [{ path: 'spaces', message }] });
}

/** Scores shown to 6 decimals: more says nothing and makes answers noisy. */
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** `fn` over `items` with at most `width` running at once; results in the items' order. */
async function mapPooled<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}
