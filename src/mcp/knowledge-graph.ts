import { isMemspaceError, MemspaceError } from '../core/errors.js';
import { MAX_BATCH, MAX_LIMIT } from '../core/schemas.js';
import type { Relation } from '../core/views.js';
import type { CallContext } from '../engine/access-guard.js';
import {
  ENTITY_KIND,
  entityContent,
  entityFromMemory,
  entityId,
  entityMemory,
  entityMetadata,
  relationId,
  relationInput,
  relationKey,
  relationTypeFrom,
  type Entity,
  type GraphRelation,
  type KnowledgeGraph,
} from './graph-memories.js';
import { runInTurn } from './run-in-turn.js';
import type { McpEngine } from './tool-spec.js';

export type { Entity, GraphRelation, KnowledgeGraph } from './graph-memories.js';

/** Most semantic hits `searchNodes` adds to the substring matches. */
const SEMANTIC_LIMIT = 10;
/**
 * Lowest hybrid score (0.5·cosine + 0.5·keyword) a semantic hit needs: a cosine of 0.4 without a
 * shared word. With the local model, unrelated short texts reach cosines of 0.15-0.32 and
 * paraphrases 0.4-0.6; without a floor every search would return its ten nearest entities,
 * related or not.
 */
const SEMANTIC_THRESHOLD = 0.2;
/** Longest query the engine searches; a longer one is matched by substring only. */
const MAX_SEARCH_QUERY = 10_000;
/** Ids per look-up (a filter's `in` takes at most 1000). */
const LOOKUP_CHUNK = 500;

/**
 * The reference server's graph operations on one space, with its semantics: creating skips
 * names and relations that exist, adding observations to a missing entity fails, deleting what
 * is missing is no error, searches match substrings case-insensitively (and here also by
 * meaning) and return the matched entities with the relations between them.
 */
export class SpaceGraph {
  constructor(
    private readonly engine: McpEngine,
    private readonly space: string,
    private readonly call: CallContext = {},
    /** False for a space without embedder: searches match words only. */
    private readonly semantic = true,
  ) {}

  /** Creates the entities whose names are new (the first of a name in the batch wins); returns those created. */
  async createEntities(entities: readonly Entity[]): Promise<Entity[]> {
    const fresh = uniqueBy(entities, (e) => e.name);
    const taken = await this.existingIds(fresh.map((e) => entityId(e.name)));
    const candidates = fresh.filter((e) => !taken.has(entityId(e.name)));
    const created: Entity[] = [];
    for (let i = 0; i < candidates.length; i += MAX_BATCH) {
      const batch = candidates.slice(i, i + MAX_BATCH);
      try {
        await this.engine.memories.addMany(this.space, batch.map(entityMemory), this.call);
        created.push(...batch);
      } catch (error) {
        if (!isMemspaceError(error, 'CONFLICT')) throw error;
        // A concurrent call created one of these names since the look-up: the batch landed not
        // at all, so add one by one and skip exactly the names taken meanwhile.
        for (const e of batch) {
          if (await this.ignoring('CONFLICT', () => this.engine.memories.add(this.space, entityMemory(e), this.call))) created.push(e);
        }
      }
    }
    return created;
  }

  /**
   * Creates the relations that do not exist yet; returns those created. Both ends must be
   * entities of the space (`NOT_FOUND` naming the first missing one, before anything is written).
   */
  async createRelations(relations: readonly GraphRelation[]): Promise<GraphRelation[]> {
    const found = await this.findEntities(relations.flatMap((r) => [r.from, r.to]));
    for (const r of relations) {
      for (const name of [r.from, r.to]) if (!found.has(name)) throw entityNotFound(name);
    }
    const fresh = uniqueBy(relations, (r) => relationId(r));
    const existing = new Set<string>();
    for (const from of new Set(fresh.map((r) => r.from))) {
      for (const { relation, to } of await this.outgoing(from, found)) existing.add(relationKey({ from, to, relationType: relationTypeFrom(relation) }));
    }
    const created: GraphRelation[] = [];
    for (const r of fresh) {
      if (existing.has(relationKey(r))) continue;
      // CONFLICT: a concurrent call stored the same relation since the look-up.
      if (await this.ignoring('CONFLICT', () => this.engine.memories.relate(this.space, relationInput(r), this.call))) created.push(r);
    }
    return created;
  }

  /**
   * Adds to each entity the observations it lacks; returns them per entity. A missing entity is
   * `NOT_FOUND`, checked for all before any is changed.
   */
  async addObservations(observations: readonly { entityName: string; contents: string[] }[]): Promise<{ entityName: string; addedObservations: string[] }[]> {
    const found = await this.findEntities(observations.map((o) => o.entityName));
    for (const o of observations) if (!found.has(o.entityName)) throw entityNotFound(o.entityName);
    const results: { entityName: string; addedObservations: string[] }[] = [];
    for (const o of observations) {
      const added = await this.changeEntity(o.entityName, (e) => {
        const fresh = uniqueBy(o.contents.filter((c) => !e.observations.includes(c)), (c) => c);
        return { next: fresh.length === 0 ? undefined : { ...e, observations: [...e.observations, ...fresh] }, result: fresh };
      });
      // Deleted by a concurrent call between the check and the change.
      if (added === undefined) throw entityNotFound(o.entityName);
      results.push({ entityName: o.entityName, addedObservations: added });
    }
    return results;
  }

  /** Deletes entities and every relation touching them; names that do not exist are reported, not an error. */
  async deleteEntities(names: readonly string[]): Promise<{ deleted: string[]; notFound: string[] }> {
    const found = await this.findEntities(names);
    for (const name of found.keys()) {
      await this.ignoring('NOT_FOUND', () => this.engine.memories.delete(this.space, entityId(name), this.call));
    }
    return { deleted: names.filter((n) => found.has(n)), notFound: names.filter((n) => !found.has(n)) };
  }

  /** Removes observations from entities; missing entities and observations are skipped and counted. */
  async deleteObservations(deletions: readonly { entityName: string; observations: string[] }[]): Promise<{ deletedCount: number; missingEntities: string[] }> {
    let deletedCount = 0;
    const missingEntities: string[] = [];
    for (const d of deletions) {
      const removed = await this.changeEntity(d.entityName, (e) => {
        const kept = e.observations.filter((o) => !d.observations.includes(o));
        const count = e.observations.length - kept.length;
        return { next: count === 0 ? undefined : { ...e, observations: kept }, result: count };
      });
      if (removed === undefined) missingEntities.push(d.entityName);
      else deletedCount += removed;
    }
    return { deletedCount, missingEntities };
  }

  /** Deletes relations matching (from, to, relationType) exactly; returns how many were deleted. */
  async deleteRelations(relations: readonly GraphRelation[]): Promise<{ deletedCount: number }> {
    const found = await this.findEntities(relations.flatMap((r) => [r.from, r.to]));
    const wanted = new Set(relations.map(relationKey));
    let deletedCount = 0;
    for (const from of new Set(relations.map((r) => r.from))) {
      if (!found.has(from)) continue;
      for (const { relation, to } of await this.outgoing(from, found)) {
        if (!wanted.has(relationKey({ from, to, relationType: relationTypeFrom(relation) }))) continue;
        const deleted = await this.ignoring('NOT_FOUND', async () => {
          await this.engine.memories.unrelate(this.space, relation.id, this.call);
          return true;
        });
        if (deleted === true) deletedCount += 1;
      }
    }
    return { deletedCount };
  }

  /** Every entity, oldest first, and every relation between entities. */
  async readGraph(): Promise<KnowledgeGraph> {
    const entities = await this.allEntities();
    return { entities, relations: await this.relationsAmong(entities) };
  }

  /**
   * Entities whose name, type or an observation contains `query` (ignoring case), as the
   * reference server matches, plus those a hybrid search of the space finds by meaning; with the
   * relations between them. Entities come in graph order (oldest first).
   */
  async searchNodes(query: string): Promise<KnowledgeGraph> {
    const all = await this.allEntities();
    const needle = query.toLowerCase();
    const matched = new Set(
      all
        .filter((e) => e.name.toLowerCase().includes(needle) || e.entityType.toLowerCase().includes(needle) || e.observations.some((o) => o.toLowerCase().includes(needle)))
        .map((e) => e.name),
    );
    for (const name of await this.searchByMeaning(query)) matched.add(name);
    const entities = all.filter((e) => matched.has(e.name));
    return { entities, relations: await this.relationsAmong(entities) };
  }

  /** The named entities that exist, in graph order, with the relations between them. */
  async openNodes(names: readonly string[]): Promise<KnowledgeGraph> {
    const entities = [...(await this.findEntities(names)).values()];
    return { entities, relations: await this.relationsAmong(entities) };
  }

  /**
   * Merges a whole graph in (the import of a reference memory file): new entities are created,
   * existing ones gain the observations they lack (their type is kept), and relations are
   * created unless they exist. Every relation's ends must be entities of the graph or of the
   * space (`NOT_FOUND`, before anything is written). Merging the same graph again changes nothing.
   */
  async merge(graph: KnowledgeGraph): Promise<{ entities: { created: number; updated: number; unchanged: number }; relations: { created: number; unchanged: number } }> {
    const given = new Set(graph.entities.map((e) => e.name));
    const elsewhere = graph.relations.flatMap((r) => [r.from, r.to]).filter((n) => !given.has(n));
    const present = await this.findEntities(elsewhere);
    for (const name of elsewhere) if (!present.has(name)) throw entityNotFound(name);
    const merged = mergeByName(graph.entities);
    const created = await this.createEntities(merged);
    const createdNames = new Set(created.map((e) => e.name));
    let updated = 0;
    for (const e of merged) {
      if (createdNames.has(e.name)) continue;
      const added = await this.addObservations([{ entityName: e.name, contents: e.observations }]);
      if ((added[0]?.addedObservations.length ?? 0) > 0) updated += 1;
    }
    const relations = await this.createRelations(graph.relations);
    return {
      entities: { created: created.length, updated, unchanged: merged.length - created.length - updated },
      relations: { created: relations.length, unchanged: uniqueBy(graph.relations, relationId).length - relations.length },
    };
  }

  /** Which of these names are entities of the space. */
  async existing(names: readonly string[]): Promise<Set<string>> {
    return new Set((await this.findEntities(names)).keys());
  }

  // ---- internals ------------------------------------------------------------------------

  /** Every entity of the space, oldest first. */
  private async allEntities(): Promise<Entity[]> {
    const out: Entity[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.engine.memories.list(this.space, { kind: ENTITY_KIND, order: 'asc', limit: MAX_LIMIT, ...(cursor !== undefined && { cursor }) }, this.call);
      for (const m of page.items) {
        const e = entityFromMemory(m);
        if (e) out.push(e);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return out;
  }

  /** The entities of these names that exist, by name, oldest first. */
  private async findEntities(names: readonly string[]): Promise<Map<string, Entity>> {
    const ids = [...new Set(names)].map(entityId);
    const found = new Map<string, Entity>();
    for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) {
      const page = await this.engine.memories.list(this.space, { kind: ENTITY_KIND, filter: { id: { in: ids.slice(i, i + LOOKUP_CHUNK) } }, order: 'asc', limit: MAX_LIMIT }, this.call);
      for (const m of page.items) {
        const e = entityFromMemory(m);
        if (e) found.set(e.name, e);
      }
    }
    return found;
  }

  /** Which of these memory ids exist in the space, whatever the memory. */
  private async existingIds(ids: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) {
      const page = await this.engine.memories.list(this.space, { filter: { id: { in: ids.slice(i, i + LOOKUP_CHUNK) } }, limit: MAX_LIMIT }, this.call);
      for (const m of page.items) out.add(m.id);
    }
    return out;
  }

  /** Relations leaving entity `from` whose other end is one of `among`, with that end's name. */
  private async outgoing(from: string, among: ReadonlyMap<string, unknown>): Promise<{ relation: Relation; to: string }[]> {
    const names = new Map([...among.keys()].map((name) => [entityId(name), name]));
    // NOT_FOUND: the entity was deleted meanwhile, so it has no relations.
    const relations = (await this.ignoring('NOT_FOUND', () => this.engine.memories.relations(this.space, entityId(from), { direction: 'out' }, this.call))) ?? [];
    return relations.flatMap((relation) => {
      const to = names.get(relation.to);
      return to === undefined ? [] : [{ relation, to }];
    });
  }

  /** The relations whose two ends are both among `entities`. */
  private async relationsAmong(entities: readonly Entity[]): Promise<GraphRelation[]> {
    const among = new Map(entities.map((e) => [e.name, e.name]));
    const out: GraphRelation[] = [];
    for (const e of entities) {
      for (const { relation, to } of await this.outgoing(e.name, among)) out.push({ from: e.name, to, relationType: relationTypeFrom(relation) });
    }
    return out;
  }

  /** Names of the entities a search of the space finds for `query`, best first. */
  private async searchByMeaning(query: string): Promise<string[]> {
    if (query.trim() === '' || query.length > MAX_SEARCH_QUERY) return [];
    const { results } = await this.engine.search.run(this.space, {
      query,
      mode: this.semantic ? 'hybrid' : 'keyword',
      limit: SEMANTIC_LIMIT,
      ...(this.semantic && { threshold: SEMANTIC_THRESHOLD }),
      filter: { kind: { eq: ENTITY_KIND } },
    }, this.call);
    return results.flatMap((hit) => {
      const e = entityFromMemory(hit.memory);
      return e === undefined ? [] : [e.name];
    });
  }

  /**
   * Reads an entity, lets `change` decide its next state, and writes it; returns `change`'s
   * result, or undefined when the entity does not exist. Changes of one entity run one at a
   * time in this process, so two concurrent calls never lose each other's observations.
   */
  private async changeEntity<T>(name: string, change: (e: Entity) => { next: Entity | undefined; result: T }): Promise<T | undefined> {
    // In turn per engine, so two data directories in one process never wait on each other.
    return runInTurn(this.engine.memories, `${this.space.toLowerCase()}\u0000${name}`, async () => {
      const e = (await this.findEntities([name])).get(name);
      if (e === undefined) return undefined;
      const { next, result } = change(e);
      if (next !== undefined) {
        await this.engine.memories.update(this.space, entityId(name), { content: entityContent(next), metadata: entityMetadata(next) }, this.call);
      }
      return result;
    });
  }

  /** Runs `fn`; an error with `code` becomes undefined (the outcome a concurrent call already brought about). */
  private async ignoring<T>(code: 'CONFLICT' | 'NOT_FOUND', fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (error) {
      if (isMemspaceError(error, code)) return undefined;
      throw error;
    }
  }
}

function entityNotFound(name: string): MemspaceError {
  return new MemspaceError('NOT_FOUND', `Entity with name ${name} not found`, { entityName: name });
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Entities of one name merged into the first: its type, every observation once. */
function mergeByName(entities: readonly Entity[]): Entity[] {
  const byName = new Map<string, Entity>();
  for (const e of entities) {
    const first = byName.get(e.name);
    if (first === undefined) byName.set(e.name, { ...e, observations: uniqueBy(e.observations, (o) => o) });
    else first.observations = uniqueBy([...first.observations, ...e.observations], (o) => o);
  }
  return [...byName.values()];
}
