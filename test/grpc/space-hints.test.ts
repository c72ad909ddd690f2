import type { Client } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGrpcServer, type MemspaceGrpcServer } from '../../src/grpc/grpc-server.js';
import type { MemspaceEngine } from '../../src/memspace.js';
import { failure, type GrpcTestClients, grpcTestClients, type Json } from '../support/grpc.js';
import { tempMemspace } from '../support/temp-memspace.js';

// A SPACE_NOT_FOUND answered over gRPC says what to do next, as over HTTP: the closest space the
// caller's key may see (ErrorInfo metadata `suggestion`, and the message) and how to create one;
// never a space outside the key's grants.

let ms: MemspaceEngine & { cleanup(): Promise<void> };
let server: MemspaceGrpcServer;
let clients: GrpcTestClients;
let spaces: Client;
let memories: Client;
const keys = { root: '', scoped: '' };
const rpc = (client: Client, method: string, request: Json, key: string): Promise<Json> => clients.rpc(client, method, request, key);

beforeAll(async () => {
  ms = await tempMemspace();
  keys.root = (await ms.keys.ensureRootKey())!;
  for (const name of ['alpha', 'beta']) await ms.spaces.create({ name, embedder: 'none', dimension: 2 });
  keys.scoped = (await ms.keys.create({ name: 'beta only', grants: [{ space: 'beta', role: 'write' }] })).key;
  server = buildGrpcServer({ memspace: ms });
  clients = grpcTestClients(`127.0.0.1:${await server.listen('127.0.0.1', 0)}`);
  ({ spaces, memories } = clients);
});
afterAll(async () => {
  clients?.close();
  await server?.close();
  await ms?.cleanup();
});

describe('gRPC: SPACE_NOT_FOUND with what to do next', () => {
  it('names the closest space the key sees and how to create one', async () => {
    // Health and Update meet SPACE_NOT_FOUND outside the engine's gate: only the gRPC boundary explains them.
    for (const [client, method, request] of [[spaces, 'Health', { space: 'alpah' }], [spaces, 'Update', { space: 'alpah', changes: null }], [memories, 'Get', { space: 'alpah', id: 'x' }]] as const) {
      const e = await failure(rpc(client, method, request, keys.root));
      expect(e, method).toMatchObject({ code: status.NOT_FOUND, reason: 'SPACE_NOT_FOUND', details: { space: '"alpah"', suggestion: '"alpha"' } });
      expect(e.message).toContain('Did you mean "alpha"?');
      expect(JSON.parse(e.details['hint']!)).toContain('memspace spaces create alpah');
    }
  });

  it('a scoped key is told of its own spaces only', async () => {
    const near = await failure(rpc(spaces, 'Health', { space: 'betta' }, keys.scoped));
    expect(near).toMatchObject({ reason: 'SPACE_NOT_FOUND', details: { suggestion: '"beta"' } });
    for (const space of ['alpah', 'alpha']) {
      const e = await failure(rpc(spaces, 'Health', { space }, keys.scoped));
      expect(e, space).toMatchObject({ code: status.NOT_FOUND, reason: 'SPACE_NOT_FOUND' });
      expect(e.details['suggestion'], space).toBeUndefined();
      expect(e.message, space).not.toContain('Did you mean');
    }
  });
});
