import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemspaceClient } from '../../../src/client/index.js';
import { MemspaceStore, type StoreEmbeddings } from '../../../src/compat/langgraph/index.js';
import { LOCAL_PRINCIPAL, type Principal } from '../../../src/engine/access-guard.js';
import { buildApp } from '../../../src/server/app.js';
import { allMemories } from '../../support/temp-memspace.js';
import { failure, toyMemspace } from './store-fixture.js';

let ms: Awaited<ReturnType<typeof toyMemspace>>;

beforeAll(async () => {
  ms = await toyMemspace();
  for (const name of ['alice', 'bob']) await ms.spaces.create({ name });
});
afterAll(async () => ms.cleanup());

const principal = (grants: Principal['grants']): Principal => ({ keyId: 'k', name: 'scoped', grants, defaultSpace: null });

describe('mapping: the first label names the space', () => {
  const store = (): MemspaceStore => new MemspaceStore({ memspace: ms, mapping: { spaceFromFirstLabel: true } });

  it('puts each namespace in the space its first label names, keeping the whole namespace', async () => {
    await store().put(['alice', 'prefs'], 'theme', { theme: 'dark' });
    await store().put(['bob', 'prefs'], 'theme', { theme: 'light' });
    const inAlice = [...(await allMemories(ms, 'alice')).byId.values()];
    expect(inAlice.map((m) => m.metadata['value'])).toEqual([{ theme: 'dark' }]);
    expect((await store().get(['alice', 'prefs'], 'theme'))!.namespace).toEqual(['alice', 'prefs']);
    expect((await store().get(['bob', 'prefs'], 'theme'))!.value).toEqual({ theme: 'light' });
    expect((await store().search(['alice'])).map((i) => i.value)).toEqual([{ theme: 'dark' }]);
  });

  it('searches and lists across every visible space when no first label is given', async () => {
    expect((await store().search([])).map((i) => i.namespace[0]).sort()).toEqual(['alice', 'bob']);
    expect(await store().listNamespaces()).toEqual([
      ['alice', 'prefs'],
      ['bob', 'prefs'],
    ]);
    expect(await store().listNamespaces({ prefix: ['bob'] })).toEqual([['bob', 'prefs']]);
    expect(await store().listNamespaces({ suffix: ['prefs'], maxDepth: 1 })).toEqual([['alice'], ['bob']]);
  });

  it('refuses a first label that cannot name a space, and a missing space, with memspace codes', async () => {
    const invalid = await failure(store().put(['_system', 'x'], 'k', { v: 1 }), 'INVALID_SPACE');
    expect(invalid.message).toContain('first label');
    await failure(store().put(['carol', 'x'], 'k', { v: 1 }), 'SPACE_NOT_FOUND');
    await failure(store().get(['carol', 'x'], 'k'), 'SPACE_NOT_FOUND');
    await failure(store().search(['carol']), 'SPACE_NOT_FOUND');
  });

  it('creates a missing space on the first put when asked, and reads it as empty until then', async () => {
    const creating = new MemspaceStore({ memspace: ms, mapping: { spaceFromFirstLabel: true }, createSpaces: { description: 'made by LangGraph' } });
    expect(await creating.get(['dave', 'x'], 'k')).toBeNull();
    expect(await creating.search(['dave'])).toEqual([]);
    expect(await creating.listNamespaces({ prefix: ['dave'] })).toEqual([]);
    await Promise.all([creating.put(['dave', 'x'], 'k1', { v: 1 }), creating.put(['dave', 'y'], 'k2', { v: 2 })]);
    expect((await ms.spaces.get('dave')).description).toBe('made by LangGraph');
    expect((await creating.search(['dave'])).map((i) => i.key).sort()).toEqual(['k1', 'k2']);
  });

  it('confines the store to spaces under a prefix', async () => {
    const prefixed = new MemspaceStore({ memspace: ms, mapping: { spaceFromFirstLabel: true, spacePrefix: 'lg.' }, createSpaces: true });
    await prefixed.put(['erin', 'notes'], 'n1', { text: 'hello' });
    expect((await allMemories(ms, 'lg.erin')).byId.size).toBe(1);
    expect(await prefixed.listNamespaces()).toEqual([['erin', 'notes']]);
    expect(await prefixed.get(['alice', 'prefs'], 'theme')).toBeNull(); // lg.alice, not alice
  });
});

describe('isolation', () => {
  it('a principal reaches only its spaces: any other is SPACE_NOT_FOUND, and listings leave it out', async () => {
    const scoped = new MemspaceStore({
      memspace: ms,
      mapping: { spaceFromFirstLabel: true },
      createSpaces: true,
      principal: principal([{ space: 'alice', role: 'write' }]),
    });
    expect((await scoped.get(['alice', 'prefs'], 'theme'))!.value).toEqual({ theme: 'dark' });
    await failure(scoped.get(['bob', 'prefs'], 'theme'), 'SPACE_NOT_FOUND');
    await failure(scoped.search(['bob']), 'SPACE_NOT_FOUND');
    await failure(scoped.put(['bob', 'prefs'], 'theme', { theme: 'stolen' }), 'SPACE_NOT_FOUND');
    await failure(scoped.delete(['bob', 'prefs'], 'theme'), 'SPACE_NOT_FOUND');
    await failure(scoped.listNamespaces({ prefix: ['bob'] }), 'SPACE_NOT_FOUND');
    // It may not create spaces either, so a missing one is not found rather than empty.
    await failure(scoped.get(['frank'], 'k'), 'SPACE_NOT_FOUND');
    await failure(scoped.put(['frank'], 'k', { v: 1 }), 'SPACE_NOT_FOUND');
    expect(await scoped.listNamespaces()).toEqual([['alice', 'prefs']]);
    expect((await scoped.search([])).map((i) => i.namespace)).toEqual([['alice', 'prefs']]);
    expect((await new MemspaceStore({ memspace: ms, mapping: { spaceFromFirstLabel: true } }).get(['bob', 'prefs'], 'theme'))!.value).toEqual({
      theme: 'light',
    });
    // The engine's guard refused them, so bob's owner can see who tried.
    // Counted: one entry for the five refusals of the same key in the same space.
    const denied = (await ms.spaces.audit('bob', { action: 'request.denied' })).items.filter((e) => e.actor === 'k');
    expect(denied.map((e) => [e.details?.['code'], e.details?.['count']])).toEqual([['SPACE_NOT_FOUND', 5]]);
  });

  it('a read-only principal is refused writes with FORBIDDEN, audited in the space', async () => {
    const reader = new MemspaceStore({ memspace: ms, mapping: { space: 'alice' }, principal: principal([{ space: 'alice', role: 'read' }]) });
    await failure(reader.delete(['alice', 'prefs'], 'theme'), 'FORBIDDEN');
    const denied = (await ms.spaces.audit('alice', { action: 'request.denied' })).items.at(-1);
    expect(denied).toMatchObject({ actor: 'k', details: { code: 'FORBIDDEN' } });
    expect((await reader.get(['alice', 'prefs'], 'theme'))!.value).toEqual({ theme: 'dark' });
  });

  it('a read-only principal reads but cannot write', async () => {
    const reader = new MemspaceStore({ memspace: ms, mapping: { space: 'alice' }, principal: principal([{ space: 'alice', role: 'read' }]) });
    expect(await reader.listNamespaces()).toEqual([['alice', 'prefs']]);
    await failure(reader.put(['alice', 'prefs'], 'theme', { theme: 'x' }), 'FORBIDDEN');
  });

  it('a store bound to one space never sees another space\'s items, even under the same namespace', async () => {
    const inAlice = new MemspaceStore({ memspace: ms, mapping: { space: 'alice' } });
    const inBob = new MemspaceStore({ memspace: ms, mapping: { space: 'bob' } });
    await inBob.put(['shared'], 'k', { owner: 'bob' });
    expect(await inAlice.get(['shared'], 'k')).toBeNull();
    expect(await inAlice.search(['shared'])).toEqual([]);
    expect(await inAlice.listNamespaces({ prefix: ['shared'] })).toEqual([]);
    await inAlice.delete(['shared'], 'k');
    expect((await inBob.get(['shared'], 'k'))!.value).toEqual({ owner: 'bob' });
  });
});

describe('embeddings', () => {
  /** Vectors along one axis per topic word, so rankings are known exactly. */
  const TOPICS = ['tea', 'coffee', 'juice', 'water'];
  const axis = (text: string): number[] => TOPICS.map((t) => (text.toLowerCase().includes(t) ? 1 : 0.01));
  const embeddings: StoreEmbeddings = {
    embedDocuments: async (texts) => texts.map(axis),
    embedQuery: async (text) => axis(text),
  };

  it('uses given embeddings in a space without an embedder', async () => {
    await ms.spaces.create({ name: 'drinks', embedder: 'none', dimension: 4 });
    const store = new MemspaceStore({ memspace: ms, mapping: { space: 'drinks' }, index: { embeddings, fields: ['text'], mode: 'vector' } });
    await store.put(['menu'], 'a', { text: 'green tea' });
    await store.put(['menu'], 'b', { text: 'black coffee' });
    await store.put(['menu'], 'c', { text: 'orange juice' });
    const results = await store.search(['menu'], { query: 'a cup of coffee', limit: 2 });
    expect(results[0]).toMatchObject({ key: 'b' });
    expect(results[0]!.score).toBeCloseTo(1, 3);
    expect(results[1]!.score!).toBeLessThan(0.1);
  });

  it('without any embedder, stores items unindexed and answers a query as a filter search', async () => {
    await ms.spaces.create({ name: 'plain', embedder: 'none', dimension: 3 });
    const store = new MemspaceStore({ memspace: ms, mapping: { space: 'plain' } });
    await store.put(['n'], 'a', { text: 'one' });
    await store.put(['n'], 'b', { text: 'two' });
    const results = await store.search(['n'], { query: 'two' });
    expect(results.map((r) => [r.key, r.score])).toEqual([
      ['a', undefined],
      ['b', undefined],
    ]);
  });
});

describe('over the HTTP client', () => {
  let app: FastifyInstance;
  let baseUrl: string;
  let root: string;
  beforeAll(async () => {
    root = (await ms.keys.ensureRootKey())!;
    app = await buildApp({ memspace: ms });
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => app.close());

  it('works the same through a MemspaceClient, with the key\'s grants', async () => {
    const client = new MemspaceClient({ baseUrl, apiKey: root });
    const store = new MemspaceStore({ client, mapping: { spaceFromFirstLabel: true }, createSpaces: true });
    await store.put(['gina', 'facts'], 'f1', { text: 'Gina drinks tea' });
    await store.put(['gina', 'facts'], 'f2', { text: 'Gina cycles to work' });
    await store.put(['gina', 'facts'], 'f1', { text: 'Gina drinks green tea' });
    expect((await store.get(['gina', 'facts'], 'f1'))!.value).toEqual({ text: 'Gina drinks green tea' });
    expect((await store.search(['gina'], { query: 'green tea', limit: 1 }))[0]!.key).toBe('f1');
    expect((await store.search(['gina'], { filter: { text: { $ne: 'Gina cycles to work' } } })).map((i) => i.key)).toEqual(['f1']);
    expect(await store.listNamespaces({ prefix: ['gina'] })).toEqual([['gina', 'facts']]);
    await store.delete(['gina', 'facts'], 'f2');
    expect((await allMemories(ms, 'gina')).byId.size).toBe(1);

    const { key } = await ms.keys.create({ name: 'gina-only', grants: [{ space: 'gina', role: 'write' }] }, { principal: LOCAL_PRINCIPAL });
    const scoped = new MemspaceStore({ client: new MemspaceClient({ baseUrl, apiKey: key }), mapping: { spaceFromFirstLabel: true } });
    expect((await scoped.get(['gina', 'facts'], 'f1'))!.key).toBe('f1');
    await failure(scoped.get(['alice', 'prefs'], 'theme'), 'SPACE_NOT_FOUND');
    expect(await scoped.listNamespaces()).toEqual([['gina', 'facts']]);
  });
});
