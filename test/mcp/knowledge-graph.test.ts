import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Memory, SearchHit } from '../../src/core/views.js';
import { entityId } from '../../src/mcp/graph-memories.js';
import { SpaceGraph, type KnowledgeGraph } from '../../src/mcp/knowledge-graph.js';
import { connectHttp, fails, listenApp, ok, type ListeningApp } from '../support/mcp.js';
import { tempMemspace } from '../support/temp-memspace.js';

// The reference memory server's tools over Streamable HTTP, in spaces with the local model
// (entities are embedded, and search_nodes also matches by meaning). Each test works in a space
// of its own, made with the graph it starts from, so it passes alone and in any order.

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let server: ListeningApp;
let root: string;
const clients: Client[] = [];

beforeAll(async () => {
  ms = await tempMemspace({ config: { embedPoolSize: 1 } });
  root = (await ms.keys.ensureRootKey())!;
  await ms.spaces.create({ name: 'race' });
  server = await listenApp(ms);
});
afterAll(async () => {
  for (const client of clients) await client.close();
  await server.close();
  await ms.cleanup();
});

let spaces = 0;

/** A client of a new, empty space of the test's own (with the local model). */
async function newSpace(): Promise<Client> {
  const name = `kg-${++spaces}`;
  await ms.spaces.create({ name });
  const { client } = await connectHttp(server.mcpUrl, root, name);
  clients.push(client);
  return client;
}

const ALICE = { name: 'Alice', entityType: 'person', observations: ['likes to meet before 10am', 'speaks Spanish'] };
const ACME = { name: 'Acme Corp', entityType: 'company', observations: ['makes anvils'] };
const BOB = { name: 'Bob', entityType: 'person', observations: ['plays the cello'] };

/** A client of a new space holding Alice, Acme Corp and Bob, in that order, without relations. */
async function withPeople(): Promise<Client> {
  const client = await newSpace();
  expect(await ok(client, 'create_entities', { entities: [ALICE, ACME, BOB] })).toEqual({ entities: [ALICE, ACME, BOB] });
  return client;
}

/**
 * A client of a new space holding the whole graph the tools build below: the three entities,
 * an observation more for Alice and for Bob, and the relations Alice works at and founded Acme
 * Corp, and Bob knows Alice.
 */
async function withGraph(): Promise<Client> {
  const client = await withPeople();
  await ok(client, 'add_observations', {
    observations: [
      { entityName: 'Alice', contents: ['owns a red bicycle'] },
      { entityName: 'Bob', contents: ['lives in Lisbon'] },
    ],
  });
  await ok(client, 'create_relations', {
    relations: [
      { from: 'Alice', to: 'Acme Corp', relationType: 'works at' },
      { from: 'Alice', to: 'Acme Corp', relationType: 'founded' },
      { from: 'Bob', to: 'Alice', relationType: 'knows' },
    ],
  });
  return client;
}

const graph = (client: Client): Promise<KnowledgeGraph> => ok<KnowledgeGraph>(client, 'read_graph');

describe('knowledge-graph tools (the reference memory server)', () => {
  it('create_entities creates new names only and returns those it created', async () => {
    const client = await newSpace();
    const created = await ok(client, 'create_entities', {
      entities: [
        { name: 'Alice', entityType: 'person', observations: ['likes to meet before 10am', 'speaks Spanish'] },
        { name: 'Acme Corp', entityType: 'company', observations: ['makes anvils'] },
        { name: 'Alice', entityType: 'robot', observations: ['the second Alice of a batch is ignored'] },
      ],
    });
    expect(created).toEqual({
      entities: [
        { name: 'Alice', entityType: 'person', observations: ['likes to meet before 10am', 'speaks Spanish'] },
        { name: 'Acme Corp', entityType: 'company', observations: ['makes anvils'] },
      ],
    });
    const again = await ok(client, 'create_entities', {
      entities: [
        { name: 'Alice', entityType: 'person', observations: ['ignored: Alice exists'] },
        { name: 'Bob', entityType: 'person', observations: ['plays the cello'] },
      ],
    });
    expect(again).toEqual({ entities: [{ name: 'Bob', entityType: 'person', observations: ['plays the cello'] }] });
    expect((await graph(client)).entities.map((e) => e.name)).toEqual(['Alice', 'Acme Corp', 'Bob']);
    // The text content is the reference server's: the created entities as pretty JSON.
    const raw = await client.callTool({ name: 'create_entities', arguments: { entities: [] } });
    expect(raw.content).toEqual([{ type: 'text', text: '[]' }]);
  });

  it('entities are ordinary memories of the space, found by search_memories', async () => {
    const client = await withPeople();
    const { results } = await ok<{ results: SearchHit[] }>(client, 'search_memories', { query: 'anvils', mode: 'keyword' });
    expect(results.map((h) => h.memory.id)).toEqual([entityId('Acme Corp')]);
    expect(results[0]!.memory).toMatchObject({ kind: 'entity', metadata: { entityName: 'Acme Corp', entityType: 'company', observations: ['makes anvils'] } });
    expect(results[0]!.memory.content).toContain('Acme Corp (company)');
  });

  it('create_relations skips duplicates and refuses relations to missing entities, creating nothing', async () => {
    const client = await withPeople();
    const created = await ok(client, 'create_relations', {
      relations: [
        { from: 'Alice', to: 'Acme Corp', relationType: 'works at' },
        { from: 'Alice', to: 'Acme Corp', relationType: 'works at' },
        { from: 'Bob', to: 'Alice', relationType: 'knows' },
      ],
    });
    expect(created).toEqual({
      relations: [
        { from: 'Alice', to: 'Acme Corp', relationType: 'works at' },
        { from: 'Bob', to: 'Alice', relationType: 'knows' },
      ],
    });
    const again = await ok(client, 'create_relations', {
      relations: [
        { from: 'Alice', to: 'Acme Corp', relationType: 'works at' },
        { from: 'Alice', to: 'Acme Corp', relationType: 'founded' },
      ],
    });
    expect(again).toEqual({ relations: [{ from: 'Alice', to: 'Acme Corp', relationType: 'founded' }] });
    const missing = await fails(client, 'create_relations', {
      relations: [
        { from: 'Bob', to: 'Acme Corp', relationType: 'visits' },
        { from: 'Bob', to: 'Nobody', relationType: 'knows' },
      ],
    });
    expect(missing).toMatchObject({ code: 'NOT_FOUND', message: 'Entity with name Nobody not found', details: { entityName: 'Nobody' } });
    expect((await graph(client)).relations).toEqual([
      { from: 'Alice', to: 'Acme Corp', relationType: 'works at' },
      { from: 'Alice', to: 'Acme Corp', relationType: 'founded' },
      { from: 'Bob', to: 'Alice', relationType: 'knows' },
    ]);
  });

  it('add_observations adds what is new, and fails for a missing entity before changing any', async () => {
    const client = await withPeople();
    const added = await ok(client, 'add_observations', {
      observations: [
        { entityName: 'Alice', contents: ['speaks Spanish', 'owns a red bicycle'] },
        { entityName: 'Bob', contents: ['lives in Lisbon'] },
      ],
    });
    expect(added).toEqual({
      results: [
        { entityName: 'Alice', addedObservations: ['owns a red bicycle'] },
        { entityName: 'Bob', addedObservations: ['lives in Lisbon'] },
      ],
    });
    const missing = await fails(client, 'add_observations', {
      observations: [
        { entityName: 'Bob', contents: ['should not land'] },
        { entityName: 'Ghost', contents: ['boo'] },
      ],
    });
    expect(missing).toMatchObject({ code: 'NOT_FOUND', message: 'Entity with name Ghost not found' });
    const bob = (await ok<KnowledgeGraph>(client, 'open_nodes', { names: ['Bob'] })).entities[0]!;
    expect(bob.observations).toEqual(['plays the cello', 'lives in Lisbon']);
  });

  it('search_nodes matches name, type and observations ignoring case, with the relations between the matches', async () => {
    const client = await withGraph();
    expect((await ok<KnowledgeGraph>(client, 'search_nodes', { query: 'ACME' })).entities.map((e) => e.name)).toEqual(['Acme Corp']);
    expect((await ok<KnowledgeGraph>(client, 'search_nodes', { query: 'PERSON' })).entities.map((e) => e.name)).toEqual(['Alice', 'Bob']);
    const spanish = await ok<KnowledgeGraph>(client, 'search_nodes', { query: 'spanish' });
    expect(spanish).toEqual({ entities: [expect.objectContaining({ name: 'Alice' })], relations: [] });
    const people = await ok<KnowledgeGraph>(client, 'search_nodes', { query: 'person' });
    expect(people.relations).toEqual([{ from: 'Bob', to: 'Alice', relationType: 'knows' }]);
  });

  it('search_nodes also finds entities by meaning, and not unrelated ones', async () => {
    const client = await withGraph();
    // No word of these queries occurs in the entity it should find.
    const meet = await ok<KnowledgeGraph>(client, 'search_nodes', { query: 'when does she want to have meetings?' });
    expect(meet.entities.map((e) => e.name)).toContain('Alice');
    expect(meet.entities.map((e) => e.name)).not.toContain('Acme Corp');
    const music = await ok<KnowledgeGraph>(client, 'search_nodes', { query: 'musician who performs string instruments' });
    expect(music.entities.map((e) => e.name)).toContain('Bob');
    expect(music.entities.map((e) => e.name)).not.toContain('Acme Corp');
    const tools = await ok<KnowledgeGraph>(client, 'search_nodes', { query: 'Which firm produces metal tools?' });
    expect(tools.entities.map((e) => e.name)).toEqual(['Acme Corp']);
    expect(await ok(client, 'search_nodes', { query: 'quantum chromodynamics' })).toEqual({ entities: [], relations: [] });
  });

  it('open_nodes returns the named entities that exist and the relations between them', async () => {
    const client = await withGraph();
    const opened = await ok<KnowledgeGraph>(client, 'open_nodes', { names: ['Acme Corp', 'Alice', 'Nobody'] });
    expect(opened.entities.map((e) => e.name)).toEqual(['Alice', 'Acme Corp']);
    expect(opened.relations).toEqual([
      { from: 'Alice', to: 'Acme Corp', relationType: 'works at' },
      { from: 'Alice', to: 'Acme Corp', relationType: 'founded' },
    ]);
    expect(await ok(client, 'open_nodes', { names: [] })).toEqual({ entities: [], relations: [] });
  });

  it('delete_observations, delete_relations and delete_entities delete what exists and report the rest', async () => {
    const client = await withGraph();
    expect(await ok(client, 'delete_observations', { deletions: [{ entityName: 'Alice', observations: ['owns a red bicycle'] }] })).toEqual({
      success: true,
      message: 'Observations deleted successfully',
    });
    expect(
      (await ok(client, 'delete_observations', { deletions: [{ entityName: 'Alice', observations: ['never said'] }, { entityName: 'Ghost', observations: ['boo'] }] }))['message'],
    ).toBe('Deleted 0 of 2 observations. Entities not found: Ghost');
    expect((await ok<KnowledgeGraph>(client, 'open_nodes', { names: ['Alice'] })).entities[0]!.observations).toEqual(['likes to meet before 10am', 'speaks Spanish']);

    expect(await ok(client, 'delete_relations', { relations: [{ from: 'Alice', to: 'Acme Corp', relationType: 'founded' }] })).toEqual({
      success: true,
      message: 'Relations deleted successfully',
    });
    expect((await ok(client, 'delete_relations', { relations: [{ from: 'Alice', to: 'Acme Corp', relationType: 'founded' }] }))['message']).toBe(
      'Deleted 0 of 1 relations. The rest matched nothing.',
    );

    expect((await ok(client, 'delete_entities', { entityNames: ['Acme Corp', 'Ghost'] }))['message']).toBe('Deleted 1 of 2 entities. Not found: Ghost');
    const after = await graph(client);
    expect(after.entities.map((e) => e.name)).toEqual(['Alice', 'Bob']);
    // Its relations went with it.
    expect(after.relations).toEqual([{ from: 'Bob', to: 'Alice', relationType: 'knows' }]);
    expect(await ok(client, 'delete_entities', { entityNames: ['Bob'] })).toEqual({ success: true, message: 'Entities deleted successfully' });
    expect(await graph(client)).toEqual({ entities: [expect.objectContaining({ name: 'Alice' })], relations: [] });
  });

  it('validates arguments with stable codes', async () => {
    const client = await newSpace();
    expect((await fails(client, 'create_entities', { entities: [{ name: 'X', entityType: 't' }] })).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'create_relations', {})).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'add_observations', { observations: [{ entityName: 'Alice', contents: 'not a list' }] })).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'search_nodes', { query: 3 })).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'open_nodes', { names: 'Alice' })).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'create_entities', { entities: [{ name: 'Huge', entityType: 't', observations: ['x'.repeat(70_000)] }] })).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('a memory made to look like an entity is not one', async () => {
    const client = await withPeople();
    await ok<Memory>(client, 'add_memory', { content: 'impostor', kind: 'entity', metadata: { entityName: 'Impostor', entityType: 'x', observations: [] } });
    // The space's real entities are still there, so the graph was read and left the impostor out.
    expect((await graph(client)).entities.map((e) => e.name)).toEqual(['Alice', 'Acme Corp', 'Bob']);
  });
});

describe('SpaceGraph under concurrent calls', () => {
  it('loses no observation and creates a name once', async () => {
    const g = new SpaceGraph(ms, 'race');
    const creations = await Promise.all(Array.from({ length: 8 }, () => g.createEntities([{ name: 'Shared', entityType: 'thing', observations: [] }])));
    expect(creations.flat()).toHaveLength(1);
    await Promise.all(Array.from({ length: 20 }, (_, i) => g.addObservations([{ entityName: 'Shared', contents: [`fact ${i}`] }])));
    const [shared] = (await g.openNodes(['Shared'])).entities;
    expect(shared!.observations.slice().sort()).toEqual(Array.from({ length: 20 }, (_, i) => `fact ${i}`).sort());
  });
});
