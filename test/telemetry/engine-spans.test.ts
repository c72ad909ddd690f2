import type { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openEngine, type MemspaceEngine } from '../../src/memspace.js';
import { type PgliteServer, startPglite } from '../support/pglite.js';
import { tempMemspace } from '../support/temp-memspace.js';
import { WordsEmbedder, wordsProvider } from '../support/words-embedder.js';
import { ancestorsOf, attr, memoryTracer, ofOperation, parentOf, rootOf } from './spans.js';

/**
 * Engine and store spans of in-process calls, on the embedded backend and on PostgreSQL (PGlite):
 * the store's spans nest under the engine's on either, an export's span lasts its iteration, a
 * search across spaces holds the spans of each, and a call refused by the guard ends with its code.
 */

const words = new WordsEmbedder('openai:test-words', 32);
const embedders = wordsProvider(words);

interface Opened {
  ms: MemspaceEngine;
  stop(): Promise<void>;
}

let pglite: PgliteServer | undefined;

const BACKENDS: { name: string; open: (tracer: ReturnType<typeof memoryTracer>['tracer']) => Promise<Opened> }[] = [
  {
    name: 'the embedded backend',
    open: async (tracer) => {
      const ms = await tempMemspace({ embedders, tracer });
      return { ms, stop: () => ms.cleanup() };
    },
  },
  {
    name: 'PostgreSQL (PGlite)',
    open: async (tracer) => {
      pglite = await startPglite();
      const ms = await openEngine(loadConfig({ backend: 'postgres', pgUrl: pglite.url, pgPoolSize: 4 }, {}), { embedders, tracer });
      return { ms, stop: () => ms.close() };
    },
  },
];

afterAll(async () => {
  await pglite?.stop();
});

describe.each(BACKENDS)('engine and store spans on $name', ({ open }) => {
  let opened: Opened;
  let exporter: InMemorySpanExporter;

  beforeAll(async () => {
    const traced = memoryTracer();
    exporter = traced.exporter;
    opened = await open(traced.tracer);
    for (const name of ['alpha', 'beta']) await opened.ms.spaces.create({ name, embedder: words.id, dimension: words.dimension });
  });
  afterAll(async () => {
    await opened?.stop();
  });
  beforeEach(() => exporter.reset());

  it('nests the store spans of an add and a search under the engine span, with the space', async () => {
    const { ms } = opened;
    await ms.memories.add('alpha', { content: 'the owl sleeps by day' });
    await ms.search.run('alpha', { query: 'owl' });
    const spans = exporter.getFinishedSpans();
    const [add] = ofOperation(spans, 'memories.add');
    expect(parentOf(add!, spans)).toBeUndefined();
    const inserts = ofOperation(spans, 'store.insertMemories');
    expect(inserts.map((s) => [attr(s, 'memspace.space'), ancestorsOf(s, spans).includes(add!)])).toEqual([['alpha', true]]);
    const [search] = ofOperation(spans, 'search.run');
    const [storeSearch] = ofOperation(spans, 'store.search');
    expect(ancestorsOf(storeSearch!, spans)).toContain(search);
    expect(spans.filter((s) => attr(s, 'memspace.space') !== undefined).every((s) => attr(s, 'memspace.space') === 'alpha')).toBe(true);
  });

  it('keeps an export span open over its pages, and holds the spaces of a search across them', async () => {
    const { ms } = opened;
    await ms.memories.add('beta', { content: 'the owl hunts by night' });
    exporter.reset();
    const lines = [];
    for await (const line of ms.transfer.exportSpace('alpha')) lines.push(line);
    expect(lines.length).toBeGreaterThan(1);
    let spans = exporter.getFinishedSpans();
    const [exported] = ofOperation(spans, 'transfer.exportSpace');
    expect(attr(exported!, 'memspace.outcome')).toBe('ok');
    const dumps = ofOperation(spans, 'store.dump');
    expect(dumps.length).toBeGreaterThan(0);
    expect(dumps.every((s) => rootOf(s, spans) === exported)).toBe(true);

    exporter.reset();
    const { results } = await ms.search.across(['alpha', 'beta'], { query: 'owl' });
    expect(new Set(results.map((r) => r.space))).toEqual(new Set(['alpha', 'beta']));
    spans = exporter.getFinishedSpans();
    const [across] = ofOperation(spans, 'search.across');
    expect(attr(across!, 'memspace.space')).toBeUndefined();
    const searched = ofOperation(spans, 'store.search').filter((s) => rootOf(s, spans) === across);
    expect(searched.map((s) => attr(s, 'memspace.space')).sort()).toEqual(['alpha', 'beta']);
  });

  it('ends a call the guard refuses with its code, and a missing memory with NOT_FOUND', async () => {
    const { ms } = opened;
    const key = await ms.keys.create({ name: 'beta reader', grants: [{ space: 'beta', role: 'read' }] });
    const principal = await ms.keys.authenticate(key.key);
    exporter.reset();
    await expect(ms.memories.add('alpha', { content: 'x' }, { principal })).rejects.toMatchObject({ code: 'SPACE_NOT_FOUND' });
    await expect(ms.memories.add('beta', { content: 'x' }, { principal })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(ms.memories.get('beta', 'no-such-id')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const spans = exporter.getFinishedSpans();
    expect(ofOperation(spans, 'memories.add').map((s) => attr(s, 'memspace.outcome'))).toEqual(['SPACE_NOT_FOUND', 'FORBIDDEN']);
    expect(ofOperation(spans, 'memories.get').map((s) => attr(s, 'memspace.outcome'))).toEqual(['NOT_FOUND']);
    expect(ofOperation(spans, 'guard.authorize').map((s) => attr(s, 'memspace.outcome'))).toEqual(expect.arrayContaining(['SPACE_NOT_FOUND', 'FORBIDDEN']));
  });
});
