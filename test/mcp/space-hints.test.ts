import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemspaceError } from '../../src/core/errors.js';
import { LOCAL_PRINCIPAL } from '../../src/engine/access-guard.js';
import { explainedTo } from '../../src/mcp/tool-results.js';
import type { McpSession } from '../../src/mcp/tool-spec.js';
import { connectHttp, fails, listenApp, type ListeningApp } from '../support/mcp.js';
import { tempMemspace } from '../support/temp-memspace.js';

// A SPACE_NOT_FOUND reaching an MCP tool result says what to do next, as over HTTP: the closest
// space the session's key may see ("did you mean") and how to create one; never a space
// outside the key's grants.

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let server: ListeningApp;
const clients: Client[] = [];
const keys = { root: '', scoped: '' };

beforeAll(async () => {
  ms = await tempMemspace();
  keys.root = (await ms.keys.ensureRootKey())!;
  for (const name of ['garden', 'gardens', 'kitchen']) await ms.spaces.create({ name, embedder: 'none', dimension: 2 });
  // `gardens` is outside the scoped key's grants: the one name it must never be told of.
  keys.scoped = (await ms.keys.create({ name: 'scoped', grants: [{ space: 'garden', role: 'write' }, { space: 'kitchen', role: 'read' }] })).key;
  server = await listenApp(ms);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server.close();
  await ms.cleanup();
});

const session = (principal: McpSession['call']['principal']): McpSession => ({ engine: ms, space: 'garden', semantic: false, call: { principal } });

describe('MCP: SPACE_NOT_FOUND with what to do next', () => {
  it('a tool error names the closest space the key sees and how to create one', async () => {
    const error = new MemspaceError('SPACE_NOT_FOUND', 'space "gardn" not found', { space: 'gardn' });
    const explained = (await explainedTo(session(LOCAL_PRINCIPAL), error)) as MemspaceError;
    expect(explained.details).toMatchObject({ space: 'gardn', suggestion: 'garden', hint: expect.stringContaining('memspace spaces create gardn') });
    expect(explained.message).toContain('Did you mean "garden"?');
    // Anything else goes as it is.
    const other = new MemspaceError('NOT_FOUND', 'no memory "x"');
    expect(await explainedTo(session(LOCAL_PRINCIPAL), other)).toBe(other);
  });

  it('a scoped key never hears of a space outside its grants', async () => {
    const scoped = await ms.keys.authenticate(keys.scoped);
    const error = new MemspaceError('SPACE_NOT_FOUND', 'space "gardenss" not found', { space: 'gardenss' });
    const explained = (await explainedTo(session(scoped), error)) as MemspaceError;
    expect(explained.details?.['suggestion']).not.toBe('gardens');
    expect(JSON.stringify(explained.toJSON())).not.toContain('"gardens"');
  });

  it('over Streamable HTTP: a session whose space went away is told the closest one, per key', async () => {
    await ms.spaces.create({ name: 'gardenx', embedder: 'none', dimension: 2 });
    const root = (await connectHttp(server.mcpUrl, keys.root, 'gardenx')).client;
    const scoped = (await connectHttp(server.mcpUrl, keys.scoped, 'garden')).client;
    clients.push(root, scoped);
    await ms.spaces.delete('gardenx');
    const told = await fails(root, 'search_memories', { query: 'tomatoes' });
    expect(told).toMatchObject({ code: 'SPACE_NOT_FOUND', details: { space: 'gardenx', suggestion: expect.stringMatching(/^gardens?$/), hint: expect.any(String) } });
    await ms.spaces.delete('garden');
    const blind = await fails(scoped, 'search_memories', { query: 'tomatoes' });
    expect(blind).toMatchObject({ code: 'SPACE_NOT_FOUND', details: { space: 'garden' } });
    expect(JSON.stringify(blind)).not.toContain('"gardens"');
  });
});
