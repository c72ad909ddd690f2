import { BaseStore, type Item, type Operation, type OperationResults, type SearchItem } from '@langchain/langgraph-checkpoint';
import type { z } from 'zod';
import type { MemspaceClient } from '../../client/client.js';
import { isMemspaceError, MemspaceError } from '../../core/errors.js';
import { MAX_LIMIT, type SpaceCreateSchema } from '../../core/schemas.js';
import { spaceKey } from '../../core/space-name.js';
import type { Principal } from '../../engine/access-guard.js';
import { textsAt } from './index-text.js';
import { clientBackend, engineBackend, type EngineServices, type MemoryBackend, type SpaceFacts } from './memory-backend.js';
import { compareNamespaces, itemId, matches, matchFilter, prefixFilter, SpaceMapper, type NamespaceMapping } from './namespace.js';
import { parseOperation, type ParsedOperation } from './operations.js';
import { INDEXED_PATH, ITEM_KIND, itemContent, itemMetadata, itemOf, wasUnindexed } from './stored-item.js';
import { valueFilter } from './value-filter.js';

/** Vectors computed outside memspace: a LangChain `Embeddings` (e.g. `OpenAIEmbeddings`) fits. */
export interface StoreEmbeddings {
  embedDocuments(texts: string[]): Promise<number[][]>;
  embedQuery(text: string): Promise<number[]>;
}

/** How items are indexed for semantic search. */
export interface MemspaceStoreIndex {
  /**
   * Paths of the value whose texts are embedded, in LangGraph's syntax (`"$"` the whole value,
   * `"text"`, `"doc.title"`, `"chapters[*].body"`); a put's own `index` list overrides it and
   * `index: false` stores an item without a vector. The texts of all paths are joined into one
   * text, embedded once. @default ["$"]
   */
  fields?: string[];
  /**
   * Embeds items and queries here instead of with the space's embedder (the vectors must have
   * the space's dimension; a space created with embedder `none` needs this to be searched by
   * meaning). @default undefined (the space's own embedder)
   */
  embeddings?: StoreEmbeddings;
  /**
   * `hybrid` fuses vector similarity with keyword (BM25) relevance; `vector` ranks by cosine
   * similarity alone. `score` in the results is memspace's score of that mode. @default "hybrid"
   */
  mode?: 'hybrid' | 'vector';
}

/** Options of a new space the store creates (everything but its name). */
export type SpaceDefaults = Omit<z.input<typeof SpaceCreateSchema>, 'name'>;

/** Options shared by both ways of reaching memspace. */
export interface MemspaceStoreCommonOptions {
  /** Which space holds a namespace. @default { space: "default" } */
  mapping?: NamespaceMapping;
  /**
   * Create a missing space on the first put into it (with these options, or memspace's
   * defaults for `true`); reads of a missing space the caller could create are then empty.
   * Without it a missing space is `SPACE_NOT_FOUND`. @default false
   */
  createSpaces?: boolean | SpaceDefaults;
  /** Semantic indexing. @default { fields: ["$"], mode: "hybrid" } with the space's embedder */
  index?: MemspaceStoreIndex;
}

/** Options of a {@link MemspaceStore} over memspace opened in this process. */
export interface MemspaceStoreEngineOptions extends MemspaceStoreCommonOptions {
  /** An open memspace (`openMemspace()`). */
  memspace: EngineServices;
  /** Whose grants apply: a space outside them is `SPACE_NOT_FOUND`. @default every space */
  principal?: Principal;
  /** Actor recorded in the history and audit trail of every change. @default "langgraph" */
  actor?: string;
}

/** Options of a {@link MemspaceStore} over a memspace server. */
export interface MemspaceStoreClientOptions extends MemspaceStoreCommonOptions {
  /** A `MemspaceClient` from `memspace/client`; its key's grants apply. */
  client: MemspaceClient;
}

/** Options of a {@link MemspaceStore}: `memspace` (in-process) or `client` (HTTP). */
export type MemspaceStoreOptions = MemspaceStoreEngineOptions | MemspaceStoreClientOptions;

type SearchOp = Extract<ParsedOperation, { type: 'search' }>;
type ListOp = Extract<ParsedOperation, { type: 'list' }>;
type PutOp = Extract<ParsedOperation, { type: 'put' }>;

/** How often a put retries when a concurrent put or delete of the same item gets in between. */
const PUT_ATTEMPTS = 5;
/** Memories read per page of a listing. */
const PAGE = 1000;

/**
 * A LangGraph.js `BaseStore` keeping items as memspace memories. Each item is one memory
 * with a deterministic id (from its namespace and key), so a put replaces, and concurrent puts
 * of one key leave one memory. Semantic search uses the space's embedder and memspace's hybrid
 * or vector search; filters and namespace prefixes are applied inside the space.
 *
 * @example
 * const ms = await openMemspace();
 * const store = new MemspaceStore({ memspace: ms, mapping: { spaceFromFirstLabel: true }, createSpaces: true });
 * const graph = builder.compile({ store });
 */
export class MemspaceStore extends BaseStore {
  private readonly backend: MemoryBackend;
  private readonly mapper: SpaceMapper;
  private readonly fields: string[];
  private readonly embeddings: StoreEmbeddings | undefined;
  private readonly mode: 'hybrid' | 'vector';
  private readonly spaceDefaults: SpaceDefaults | undefined;
  /** Embedder and dimension per space (by case-insensitive name); they never change for a space. */
  private readonly facts = new Map<string, SpaceFacts>();

  constructor(options: MemspaceStoreOptions) {
    super();
    this.backend =
      'client' in options ? clientBackend(options.client) : engineBackend(options.memspace, { principal: options.principal, actor: options.actor });
    this.mapper = new SpaceMapper(options.mapping ?? { space: 'default' });
    this.fields = options.index?.fields ?? ['$'];
    this.embeddings = options.index?.embeddings;
    this.mode = options.index?.mode ?? 'hybrid';
    this.spaceDefaults = options.createSpaces === true ? {} : options.createSpaces || undefined;
  }

  /**
   * Runs operations as LangGraph's stores do: every read (get, search, listNamespaces) sees
   * the state before the batch's writes; the writes then run, the last one for a given
   * namespace and key winning. Fails with the first error.
   */
  async batch<Op extends Operation[]>(operations: Op): Promise<OperationResults<Op>> {
    const parsed = operations.map(parseOperation);
    const results: unknown[] = parsed.map(() => undefined);
    const writes = new Map<string, PutOp>();
    const reads: Promise<void>[] = [];
    parsed.forEach((op, i) => {
      if (op.type === 'put') {
        const id = JSON.stringify([op.namespace, op.key]);
        writes.delete(id);
        writes.set(id, op);
      } else {
        reads.push(this.read(op).then((result) => void (results[i] = result)));
      }
    });
    await Promise.all(reads);
    await Promise.all([...writes.values()].map((op) => this.write(op)));
    return results as OperationResults<Op>;
  }

  private read(op: Exclude<ParsedOperation, PutOp>): Promise<unknown> {
    switch (op.type) {
      case 'get':
        return this.getItem(op.namespace, op.key);
      case 'search':
        return this.runSearch(op);
      case 'list':
        return this.runListNamespaces(op);
    }
  }

  // ---- get and put ---------------------------------------------------------------------

  private async getItem(namespace: string[], key: string): Promise<Item | null> {
    const space = this.mapper.spaceOf(namespace);
    if (space === undefined) return null;
    const memory = await this.orEmpty(space, undefined, () => this.backend.get(space, itemId(namespace, key)));
    const item = memory === undefined ? undefined : itemOf(memory);
    return item !== undefined && item.key === key && sameLabels(item.namespace, namespace) ? item : null;
  }

  private async write(op: PutOp): Promise<void> {
    const space = this.mapper.spaceOf(op.namespace);
    if (space === undefined) return; // deleting from the empty namespace, which holds nothing
    const id = itemId(op.namespace, op.key);
    if (op.value === null) {
      await this.orEmpty(space, undefined, () => this.backend.remove(space, id));
      return;
    }
    const facts = await this.spaceFacts(space, true);
    const texts = (op.index === false ? [] : (op.index ?? this.fields)).flatMap((path) => textsAt(op.value, path));
    const indexed = texts.length > 0 && (this.embeddings !== undefined || facts.embedder !== 'none');
    const content = itemContent(op.namespace, op.key, indexed ? texts : undefined);
    // An item that is not indexed gets a fixed vector instead of an embedding; searches by meaning leave it out.
    const embedding = !indexed ? unitVector(facts.dimension) : this.embeddings ? (await this.embeddings.embedDocuments([content]))[0] : undefined;
    const fields = { content, metadata: itemMetadata(op.namespace, op.key, op.value, indexed), kind: ITEM_KIND, ...(embedding !== undefined && { embedding }) };
    for (let attempt = 0; attempt < PUT_ATTEMPTS; attempt++) {
      const current = await this.backend.get(space, id);
      if (current === undefined) {
        try {
          await this.backend.add(space, { id, ...fields });
          return;
        } catch (error) {
          if (!isMemspaceError(error, 'CONFLICT')) throw error; // a concurrent put created it: update it
          continue;
        }
      }
      if (current.kind !== ITEM_KIND) {
        throw new MemspaceError('CONFLICT', `memory ${id} of space "${space}" is not a LangGraph item`, { id, space });
      }
      try {
        if (embedding === undefined && wasUnindexed(current) && current.content === content) {
          // The space embeds only changed content; passing through other content gives the item its own vector.
          await this.backend.update(space, id, { content: `${content} `, embedding: unitVector(facts.dimension) });
        }
        await this.backend.update(space, id, fields);
        return;
      } catch (error) {
        if (!isMemspaceError(error, 'NOT_FOUND')) throw error; // a concurrent delete removed it: add it again
      }
    }
    throw new MemspaceError('CONFLICT', `item ${JSON.stringify(op.key)} in ${JSON.stringify(op.namespace)} kept changing during the put; retry`, {
      namespace: op.namespace,
      key: op.key,
    });
  }

  // ---- search --------------------------------------------------------------------------

  private async runSearch(op: SearchOp): Promise<SearchItem[]> {
    const want = op.offset + op.limit;
    if (op.limit === 0) return [];
    const queryVector = op.query !== undefined && this.embeddings ? await this.embeddings.embedQuery(op.query) : undefined;
    const found: SearchItem[] = [];
    for (const space of await this.spacesFor(op.namespacePrefix[0])) {
      const items = await this.orEmpty(space, [], () => this.searchSpace(space, op, want, queryVector));
      found.push(...items.filter((item) => this.belongs(space, item.namespace)));
    }
    // Over several spaces, scored hits are merged by score; the order is stable otherwise.
    if (found.some((item) => item.score !== undefined)) found.sort((a, b) => (b.score ?? -Infinity) - (a.score ?? -Infinity) || 0);
    return found.slice(op.offset, want);
  }

  private async searchSpace(space: string, op: SearchOp, want: number, queryVector: number[] | undefined): Promise<SearchItem[]> {
    const conditions = [{ kind: { eq: ITEM_KIND } }, ...prefixFilter(op.namespacePrefix), ...valueFilter(op.filter)];
    if (op.query !== undefined && (queryVector !== undefined || (await this.spaceFacts(space)).embedder !== 'none')) {
      const hits = await this.backend.search(space, {
        query: op.query,
        ...(queryVector !== undefined && { embedding: queryVector }),
        mode: this.mode,
        // memspace ranks at most MAX_LIMIT hits, so a query pages through the best MAX_LIMIT.
        limit: Math.min(want, MAX_LIMIT),
        filter: { and: [...conditions, { [INDEXED_PATH]: { eq: true } }] },
      });
      return hits.flatMap((hit) => {
        const item = itemOf(hit.memory);
        return item === undefined ? [] : [{ ...item, score: hit.score }];
      });
    }
    // No query, or a space that cannot embed one: the items in insertion order, as LangGraph's InMemoryStore gives them.
    const items: SearchItem[] = [];
    await this.eachItem(space, conditions, Math.min(want, PAGE), (item) => {
      items.push(item);
      return items.length < want;
    });
    return items;
  }

  // ---- listNamespaces ------------------------------------------------------------------

  private async runListNamespaces(op: ListOp): Promise<string[][]> {
    const first = op.matchConditions.find((c) => c.matchType === 'prefix' && c.path.length > 0 && c.path[0] !== '*')?.path[0];
    const seen = new Map<string, string[]>();
    for (const space of await this.spacesFor(first)) {
      await this.orEmpty(space, undefined, () =>
        this.eachItem(space, [{ kind: { eq: ITEM_KIND } }, ...matchFilter(op.matchConditions)], PAGE, (item) => {
          if (this.belongs(space, item.namespace) && matches(item.namespace, op.matchConditions)) {
            const namespace = op.maxDepth === undefined ? item.namespace : item.namespace.slice(0, op.maxDepth);
            seen.set(JSON.stringify(namespace), namespace);
          }
          return true;
        }),
      );
    }
    return [...seen.values()].sort(compareNamespaces).slice(op.offset, op.offset + op.limit);
  }

  // ---- spaces --------------------------------------------------------------------------

  /**
   * The spaces a read may reach: the one its first label names, the fixed space, or, when
   * each first label names a space and none is given, every space the caller can see (under
   * the mapping's prefix).
   */
  private async spacesFor(firstLabel: string | undefined): Promise<string[]> {
    if (this.mapper.fixed !== undefined) return [this.mapper.fixed];
    if (firstLabel !== undefined) return [this.mapper.spaceOf([firstLabel])!];
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.backend.listSpaces(this.mapper.prefix, cursor);
      names.push(...page.names);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return names;
  }

  /** True when an item found in `space` is where its namespace maps (a listing across spaces shows nothing stored elsewhere). */
  private belongs(space: string, namespace: readonly string[]): boolean {
    return this.mapper.fixed !== undefined || spaceKey(this.mapper.prefix + namespace[0]) === spaceKey(space);
  }

  /** Embedder and dimension of a space, creating it first when `create` and the store creates spaces. */
  private async spaceFacts(space: string, create = false): Promise<SpaceFacts> {
    const known = this.facts.get(spaceKey(space));
    if (known !== undefined) return known;
    let facts: SpaceFacts;
    try {
      facts = await this.backend.spaceFacts(space);
    } catch (error) {
      // A space the caller may not create stays not found: creating it would be refused as forbidden, which tells more.
      if (!(create && this.spaceDefaults !== undefined && isMemspaceError(error, 'SPACE_NOT_FOUND') && this.backend.canCreate(space))) throw error;
      try {
        await this.backend.createSpace({ ...this.spaceDefaults, name: space });
      } catch (createError) {
        if (!isMemspaceError(createError, 'CONFLICT')) throw createError; // created concurrently
      }
      facts = await this.backend.spaceFacts(space);
    }
    this.facts.set(spaceKey(space), facts);
    return facts;
  }

  /**
   * Runs a read of one space; when the store creates spaces and the caller could create this
   * one, a missing space reads as empty (it is created by the first put).
   */
  private async orEmpty<T>(space: string, empty: T, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (isMemspaceError(error, 'SPACE_NOT_FOUND') && this.spaceDefaults !== undefined && this.backend.canCreate(space)) return empty;
      throw error;
    }
  }

  /** Calls `visit` with each item of a space matching the filter conditions, oldest first, while it returns true. */
  private async eachItem(space: string, conditions: Record<string, unknown>[], pageSize: number, visit: (item: Item) => boolean): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.backend.list(space, { filter: { and: conditions }, limit: pageSize, cursor });
      for (const memory of page.items) {
        const item = itemOf(memory);
        if (item !== undefined && !visit(item)) return;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }
}

/** A vector of `dimension` numbers pointing along the first axis. */
function unitVector(dimension: number): number[] {
  return Array.from({ length: dimension }, (_, i) => (i === 0 ? 1 : 0));
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((label, i) => label === b[i]);
}
