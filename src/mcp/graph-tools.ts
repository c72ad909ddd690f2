import { z } from 'zod';
import { SpaceGraph } from './knowledge-graph.js';
import { defineTool, type McpSession, type ToolSpec } from './tool-spec.js';

// The tools of the reference MCP memory server (@modelcontextprotocol/server-memory) with its
// names, argument schemas, descriptions and result shapes, so an agent configured for it works
// unchanged against a memspace space. The graph lives in the session's space (knowledge-graph.ts).

const EntitySchema = z.object({
  name: z.string().describe('The name of the entity'),
  entityType: z.string().describe('The type of the entity'),
  observations: z.array(z.string()).describe('An array of observation contents associated with the entity'),
});

const RelationSchema = z.object({
  from: z.string().describe('The name of the entity where the relation starts'),
  to: z.string().describe('The name of the entity where the relation ends'),
  relationType: z.string().describe('The type of the relation'),
});

const GraphOutput = z.object({ entities: z.array(EntitySchema), relations: z.array(RelationSchema) });
const MessageOutput = z.object({ success: z.boolean(), message: z.string() });

const CREATE = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false } as const;
const DELETE = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false } as const;
const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

function graphOf(s: McpSession): SpaceGraph {
  return new SpaceGraph(s.engine, s.space, s.call, s.semantic);
}

/** The reference server's knowledge-graph tools, over the session's space. */
export const GRAPH_TOOLS: readonly ToolSpec[] = [
  defineTool({
    name: 'create_entities',
    title: 'Create Entities',
    description: 'Create multiple new entities in the knowledge graph',
    input: z.object({ entities: z.array(EntitySchema) }),
    output: z.object({ entities: z.array(EntitySchema) }),
    role: 'write',
    annotations: CREATE,
    pretty: true,
    run: async ({ entities }, s) => {
      const created = await graphOf(s).createEntities(entities);
      return { text: JSON.stringify(created, null, 2), structured: { entities: created } };
    },
  }),
  defineTool({
    name: 'create_relations',
    title: 'Create Relations',
    description: 'Create multiple new relations between entities in the knowledge graph. Relations should be in active voice',
    input: z.object({ relations: z.array(RelationSchema) }),
    output: z.object({ relations: z.array(RelationSchema) }),
    role: 'write',
    annotations: CREATE,
    pretty: true,
    run: async ({ relations }, s) => {
      const created = await graphOf(s).createRelations(relations);
      return { text: JSON.stringify(created, null, 2), structured: { relations: created } };
    },
  }),
  defineTool({
    name: 'add_observations',
    title: 'Add Observations',
    description: 'Add new observations to existing entities in the knowledge graph',
    input: z.object({
      observations: z.array(
        z.object({
          entityName: z.string().describe('The name of the entity to add the observations to'),
          contents: z.array(z.string()).describe('An array of observation contents to add'),
        }),
      ),
    }),
    output: z.object({ results: z.array(z.object({ entityName: z.string(), addedObservations: z.array(z.string()) })) }),
    role: 'write',
    annotations: CREATE,
    pretty: true,
    run: async ({ observations }, s) => {
      const results = await graphOf(s).addObservations(observations);
      return { text: JSON.stringify(results, null, 2), structured: { results } };
    },
  }),
  defineTool({
    name: 'delete_entities',
    title: 'Delete Entities',
    description: 'Delete multiple entities and their associated relations from the knowledge graph',
    input: z.object({ entityNames: z.array(z.string()).describe('An array of entity names to delete') }),
    output: MessageOutput,
    role: 'write',
    annotations: DELETE,
    run: async ({ entityNames }, s) => {
      const { deleted, notFound } = await graphOf(s).deleteEntities(entityNames);
      const message =
        notFound.length === 0 ? 'Entities deleted successfully' : `Deleted ${deleted.length} of ${entityNames.length} entities. Not found: ${notFound.join(', ')}`;
      return { text: message, structured: { success: true, message } };
    },
  }),
  defineTool({
    name: 'delete_observations',
    title: 'Delete Observations',
    description: 'Delete specific observations from entities in the knowledge graph',
    input: z.object({
      deletions: z.array(
        z.object({
          entityName: z.string().describe('The name of the entity containing the observations'),
          observations: z.array(z.string()).describe('An array of observations to delete'),
        }),
      ),
    }),
    output: MessageOutput,
    role: 'write',
    annotations: DELETE,
    run: async ({ deletions }, s) => {
      const { deletedCount, missingEntities } = await graphOf(s).deleteObservations(deletions);
      const requested = deletions.reduce((total, d) => total + d.observations.length, 0);
      const message =
        deletedCount === requested
          ? 'Observations deleted successfully'
          : `Deleted ${deletedCount} of ${requested} observations.` + (missingEntities.length > 0 ? ` Entities not found: ${missingEntities.join(', ')}` : '');
      return { text: message, structured: { success: true, message } };
    },
  }),
  defineTool({
    name: 'delete_relations',
    title: 'Delete Relations',
    description: 'Delete multiple relations from the knowledge graph',
    input: z.object({ relations: z.array(RelationSchema).describe('An array of relations to delete') }),
    output: MessageOutput,
    role: 'write',
    annotations: DELETE,
    run: async ({ relations }, s) => {
      const { deletedCount } = await graphOf(s).deleteRelations(relations);
      const message =
        deletedCount === relations.length ? 'Relations deleted successfully' : `Deleted ${deletedCount} of ${relations.length} relations. The rest matched nothing.`;
      return { text: message, structured: { success: true, message } };
    },
  }),
  defineTool({
    name: 'read_graph',
    title: 'Read Graph',
    description: 'Read the entire knowledge graph',
    input: z.object({}),
    output: GraphOutput,
    role: 'read',
    annotations: READ,
    pretty: true,
    run: async (_args, s) => ({ structured: { ...(await graphOf(s).readGraph()) } }),
  }),
  defineTool({
    name: 'search_nodes',
    title: 'Search Nodes',
    description: 'Search for nodes in the knowledge graph based on a query',
    input: z.object({ query: z.string().describe('The search query to match against entity names, types, and observation content') }),
    output: GraphOutput,
    role: 'read',
    annotations: READ,
    pretty: true,
    run: async ({ query }, s) => ({ structured: { ...(await graphOf(s).searchNodes(query)) } }),
  }),
  defineTool({
    name: 'open_nodes',
    title: 'Open Nodes',
    description: 'Open specific nodes in the knowledge graph by their names',
    input: z.object({ names: z.array(z.string()).describe('An array of entity names to retrieve') }),
    output: GraphOutput,
    role: 'read',
    annotations: READ,
    pretty: true,
    run: async ({ names }, s) => ({ structured: { ...(await graphOf(s).openNodes(names)) } }),
  }),
];
