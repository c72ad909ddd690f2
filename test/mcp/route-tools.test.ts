import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteAnswer } from '../../src/core/routing.js';
import { connectHttp, fails, listenApp, ok, type ListeningApp } from '../support/mcp.js';
import { tempMemspace } from '../support/temp-memspace.js';
import { WordsEmbedder, wordsProvider } from '../support/words-embedder.js';

// suggest_space over Streamable HTTP: offered only to a key that sees several spaces, and
// answering with the spaces that key can read, never another.

const words = new WordsEmbedder('openai:test-words', 64);

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let server: ListeningApp;
const keys = { one: '', two: '' };
const clients: Client[] = [];

beforeAll(async () => {
  ms = await tempMemspace({ embedders: wordsProvider(words) });
  await ms.keys.ensureRootKey();
  const topics: Record<string, string> = { garden: 'tomatoes need sun and water', kitchen: 'bake the bread at two hundred degrees', vault: 'the vault code is four two' };
  for (const [name, content] of Object.entries(topics)) {
    await ms.spaces.create({ name, embedder: words.id, dimension: words.dimension });
    await ms.memories.add(name, { content });
  }
  keys.one = (await ms.keys.create({ name: 'one', grants: [{ space: 'garden', role: 'write' }] })).key;
  keys.two = (await ms.keys.create({ name: 'two', grants: [{ space: 'garden', role: 'write' }, { space: 'kitchen', role: 'read' }] })).key;
  server = await listenApp(ms);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server.close();
  await ms.cleanup();
});

async function session(key: string): Promise<Client> {
  const { client } = await connectHttp(server.mcpUrl, key, 'garden');
  clients.push(client);
  return client;
}

describe('MCP suggest_space', () => {
  it('is neither listed nor answered for a key that sees one space', async () => {
    const client = await session(keys.one);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('search_memories');
    expect(names).not.toContain('suggest_space');
    expect((await fails(client, 'suggest_space', { text: 'bread' })).code).toBe('NOT_FOUND');
  });

  it('ranks the spaces a key with several sees, and never one it cannot read', async () => {
    const client = await session(keys.two);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('suggest_space');
    const answer = await ok<RouteAnswer>(client, 'suggest_space', { text: 'how hot to bake bread' });
    expect(answer.results.map((r) => r.space)).toEqual(['kitchen', 'garden']);
    expect(answer.results[0]!.top).toMatchObject({ content: 'bake the bread at two hundred degrees' });
    const secret = await ok<RouteAnswer>(client, 'suggest_space', { text: 'the vault code is four two' });
    expect(secret.results.map((r) => r.space).sort()).toEqual(['garden', 'kitchen']);
    expect(JSON.stringify(secret)).not.toContain('vault');
    expect((await fails(client, 'suggest_space', { text: '' })).code).toBe('VALIDATION_FAILED');
    expect((await fails(client, 'suggest_space', { text: 'x', limit: 0 })).code).toBe('VALIDATION_FAILED');
  });
});
