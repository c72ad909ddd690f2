import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Memory, Relation } from '../core/views.js';

// The knowledge graph of the reference MCP memory server (@modelcontextprotocol/server-memory),
// kept as ordinary memories and relations of one space. This module is the whole mapping:
//
// - an entity is a memory of kind "entity" whose id is derived from the entity's name
//   ("entity:" + 32 hex digits of its SHA-256), so that a name is unique in a space by the
//   store's own primary key, even between concurrent calls. Its metadata holds
//   {entityName, entityType, observations}; its content is the name, type and observations as
//   text, so keyword and semantic search find it like any memory;
// - a relation is a memspace relation between two entity memories whose id is derived from
//   (from, to, relationType), so the same relation cannot be stored twice. relationType is kept
//   verbatim in its metadata; its memspace `type` is relationType with the characters a type may
//   not hold replaced by "_" (the reference server allows any string, e.g. "works at").

/** An entity of the graph: a unique name, a type, and atomic observations. */
export interface Entity {
  name: string;
  entityType: string;
  observations: string[];
}

/** A directed relation between two entities, named by entity name, in active voice. */
export interface GraphRelation {
  from: string;
  to: string;
  relationType: string;
}

/** A whole graph, or the part a search or an open returns. */
export interface KnowledgeGraph {
  entities: Entity[];
  relations: GraphRelation[];
}

/** Memory kind of entities. */
export const ENTITY_KIND = 'entity';

const EntityMetadata = z.object({ entityName: z.string(), entityType: z.string(), observations: z.array(z.string()) });

/** The memory id of the entity named `name`. */
export function entityId(name: string): string {
  return `entity:${sha256(name).slice(0, 32)}`;
}

/** What tells graph relations apart: the same (from, to, relationType) is the same relation. */
export function relationKey(r: GraphRelation): string {
  return JSON.stringify([r.from, r.to, r.relationType]);
}

/** The relation id of a graph relation. */
export function relationId(r: GraphRelation): string {
  return `relation:${sha256(relationKey(r)).slice(0, 32)}`;
}

/** The memspace relation `type` standing for a relationType (which is kept verbatim in metadata). */
export function relationTypeOf(relationType: string): string {
  const type = relationType.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 64);
  return type === '' ? 'related' : type;
}

/** What searches match: the name, the type and every observation. */
export function entityContent(e: Entity): string {
  return [`${e.name} (${e.entityType})`, ...e.observations.map((o) => `- ${o}`)].join('\n');
}

/** The metadata an entity memory keeps, from which {@link entityFromMemory} reads the entity back. */
export function entityMetadata(e: Entity): Record<string, unknown> {
  return { entityName: e.name, entityType: e.entityType, observations: e.observations };
}

/** The memory input (for `addMemory`) that stores an entity. */
export function entityMemory(e: Entity): Record<string, unknown> {
  return { id: entityId(e.name), kind: ENTITY_KIND, content: entityContent(e), metadata: entityMetadata(e) };
}

/** The relation input (for `relate`) that stores a graph relation between two entity memories. */
export function relationInput(r: GraphRelation): Record<string, unknown> {
  return { id: relationId(r), from: entityId(r.from), to: entityId(r.to), type: relationTypeOf(r.relationType), metadata: { relationType: r.relationType } };
}

/**
 * The entity a memory stores, or undefined when it stores none: another kind, metadata of
 * another shape, or an id that is not its name's (a memory made to look like an entity).
 */
export function entityFromMemory(m: Memory): Entity | undefined {
  if (m.kind !== ENTITY_KIND) return undefined;
  const parsed = EntityMetadata.safeParse(m.metadata);
  if (!parsed.success || m.id !== entityId(parsed.data.entityName)) return undefined;
  return { name: parsed.data.entityName, entityType: parsed.data.entityType, observations: parsed.data.observations };
}

/** The relationType of a stored relation: verbatim from metadata, else its memspace type (an edge added with `relate_memories`). */
export function relationTypeFrom(r: Relation): string {
  const kept = r.metadata['relationType'];
  return typeof kept === 'string' ? kept : r.type;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
