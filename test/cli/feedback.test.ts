import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedbackReset, FeedbackResult, RerankResult } from '../../src/core/feedback-api.js';
import { buildApp } from '../../src/server/app.js';
import { cli, cliRaw, type CliResult } from '../support/run-cli.js';
import { tempDir, tempMemspace } from '../support/temp-memspace.js';

// `memspace feedback`, `feedback reset` and `rerank`, run as a user runs them, on a data
// directory. Memories take given vectors (embedder none); the rerank embeds its documents, so it
// runs on a space of the local model (one worker).

const ENV = { MEMSPACE_EMBED_POOL_SIZE: '1' };
let dir: string;
const ids: Record<string, string> = {};

const run = (args: string[], stdin = ''): Promise<CliResult> => cli(dir, args, stdin, ENV);
async function ok(args: string[], stdin = ''): Promise<string> {
  const r = await run(args, stdin);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  dir = tempDir('memspace-feedback-');
  await ok(['spaces', 'create', 'notes', '--embedder', 'none', '--dimension', '2']);
  await ok(['spaces', 'create', 'other', '--embedder', 'none', '--dimension', '2']);
  await ok(['spaces', 'create', 'docs']);
  for (const [name, space, text] of [['deploy', 'notes', 'The deploy runs at night'], ['lunch', 'notes', 'Lunch is at noon'], ['theirs', 'other', 'Their note']] as const) {
    ids[name] = (JSON.parse(await ok(['--json', 'add', space, text, '--embedding', '[1,0]'])) as { id: string }).id;
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('memspace feedback', () => {
  it('records signals on memories and prints each one\'s level', async () => {
    const out = await ok(['feedback', 'notes', '--helpful', ids['deploy']!, '--wrong', ids['lunch']!, '--query', 'when is the deploy?']);
    const lines = out.split('\n');
    expect(lines[0]).toBe('feedback on notes: 1 helpful, 1 wrong');
    expect(lines[1]).toMatch(/^MEMORY\s+LEVEL$/);
    expect(lines[2]).toMatch(new RegExp(`^${ids['deploy']}\\s+1\\.000$`));
    expect(lines[3]).toMatch(new RegExp(`^${ids['lunch']}\\s+-1\\.000$`));
    // A space without an embedder takes the helpful memory's vector only, not the query's.
    expect(lines[4]).toMatch(/^narrative: 1 update, last \d{4}-\d\d-\d\dT[\d:.]+Z$/);

    const json = JSON.parse(await ok(['--json', 'feedback', 'notes', '--used', ids['deploy']!, '--weight', '2'])) as FeedbackResult;
    expect(json.recorded).toBe(1);
    expect(json.pheromones).toEqual([{ id: ids['deploy'], level: expect.closeTo(2, 3) }]);
    expect(json.narrative).toBeNull();
    const search = JSON.parse(await ok(['--json', 'search', 'notes', 'deploy', '--mode', 'keyword'])) as { results: unknown[] };
    expect(search.results).toHaveLength(1);
  });

  it('refuses bad input: no signal and a bad weight are VALIDATION_FAILED, a bad number a usage error, an unknown memory NOT_FOUND', async () => {
    const none = await run(['feedback', 'notes', '--query', 'x']);
    expect([none.code, none.stderr]).toEqual([1, 'error: VALIDATION_FAILED: give at least one result: --helpful ID, --used ID or --wrong ID\n  results: none given\n']);
    const heavy = await run(['feedback', 'notes', '--used', ids['deploy']!, '--weight', '20']);
    expect([heavy.code, heavy.stderr]).toEqual([1, expect.stringMatching(/^error: VALIDATION_FAILED: .*\n {2}weight: /)]);
    expect((await run(['feedback', 'notes', '--used', ids['deploy']!, '--weight', 'heavy'])).code).toBe(2);

    const unknown = await run(['feedback', 'notes', '--helpful', ids['deploy']!, '--used', 'no-such-memory']);
    expect([unknown.code, unknown.stderr]).toEqual([1, 'error: NOT_FOUND: memory no-such-memory not found in this space\n']);
    // A memory of another space is unknown here, and that space is left as it was.
    const elsewhere = await run(['--json', 'feedback', 'notes', '--helpful', ids['theirs']!]);
    expect(elsewhere.code).toBe(1);
    expect(JSON.parse(elsewhere.stderr)).toMatchObject({ error: { code: 'NOT_FOUND', details: { id: ids['theirs'] } } });
    expect(JSON.parse(await ok(['--json', 'feedback', 'reset', 'other']))).toEqual({ pheromones: 0, narrative: false });
    expect((await run(['feedback', 'nowhere', '--used', 'x'])).stderr).toMatch(/^error: SPACE_NOT_FOUND: space "nowhere" not found\b/);
  });

  it('makes searches weigh feedback once the space is set to (spaces create|set --feedback)', async () => {
    await ok(['spaces', 'create', 'standups', '--embedder', 'none', '--dimension', '2', '--feedback', '{"halfLifeDays":30}']);
    const [first, second] = [await ok(['add', 'standups', 'Standup is at 9:30', '--embedding', '[1,0]']), await ok(['add', 'standups', 'Standup is at 9:30', '--embedding', '[1,0]'])].map((out) => out.trim());
    await ok(['feedback', 'standups', '--helpful', second!, '--wrong', first!]);
    const order = async (): Promise<[string, number | undefined][]> =>
      (JSON.parse(await ok(['--json', 'search', 'standups', 'standup', '--mode', 'keyword'])) as { results: { memory: { id: string }; scores: { feedback?: number } }[] }).results.map((h) => [h.memory.id, h.scores.feedback]);
    // Equal hits keep the order they have without feedback: the older first.
    expect(await order()).toEqual([
      [first, undefined],
      [second, undefined],
    ]);
    await ok(['spaces', 'set', 'standups', '--feedback', '{"rank":{"feedback":0.5}}']);
    expect(await order()).toEqual([
      [second, expect.any(Number)],
      [first, expect.any(Number)],
    ]);
    expect((await run(['spaces', 'set', 'standups', '--feedback', '{"rank":{"feedback":2}}'])).stderr).toMatch(/^error: VALIDATION_FAILED: /);
  });

  it('resets what feedback taught a space', async () => {
    await ok(['feedback', 'other', '--helpful', ids['theirs']!]);
    expect(await ok(['feedback', 'reset', 'other'])).toBe('reset feedback on other: deleted 1 reinforcement and the narrative\n');
    expect(await ok(['feedback', 'reset', 'other'])).toBe('reset feedback on other: there was none\n');
    expect((await run(['feedback', 'reset'])).code).toBe(2);
  });
});

describe('memspace rerank', () => {
  const docs = ['a=Green tea keeps well in a tin', 'b=Green tea keeps well in a tin', 'c=Trucks run on diesel'];

  it('orders documents for a query: similarity first, then the feedback on their ids', async () => {
    const before = JSON.parse(await ok(['--json', 'rerank', 'docs', '--query', 'how do I store tea?', ...docs])) as RerankResult;
    expect(before.weights).toEqual({ feedback: 0.5, narrative: 0.5 });
    expect(before.results.map((d) => d.id)).toEqual(['a', 'b', 'c']);

    const given = await ok(['feedback', 'docs', '--document', '--helpful', 'b=Green tea keeps well in a tin', '--wrong', 'c', '--query', 'how do I store tea?']);
    expect(given.split('\n').slice(0, 4)).toEqual(['feedback on docs: 1 helpful, 1 wrong', 'DOCUMENT  LEVEL', 'b         1.000', 'c         -1.000']);

    const out = await ok(['rerank', 'docs', '--query', 'how do I store tea?', ...docs]);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^#\s+SCORE\s+SIMILARITY\s+FEEDBACK\s+NARRATIVE\s+ID\s+TEXT$/);
    expect(lines[1]).toMatch(/^1\s+[\d.]+\s+[\d.]+\s+0\.462\s+[\d.]+\s+b\s+Green tea keeps well in a tin$/);
    expect(lines[2]).toMatch(/^2\s+[\d.]+\s+[\d.]+\s+0\.000\s+[\d.]+\s+a\s+Green tea keeps well in a tin$/);
    expect(lines[3]).toMatch(/^3\s+[\d.]+\s+[\d.]+\s+-0\.462\s+[\d.]+\s+c\s+Trucks run on diesel$/);
    expect(lines[4]).toBe('weights: feedback 0.5, narrative 0.5');
  });

  it('reads documents from a JSON Lines file or stdin, and takes a limit and weights', async () => {
    const file = join(dir, 'docs.jsonl');
    writeFileSync(file, '{"id":"x","text":"Store tea in a dark tin"}\n\n{"id":"y","text":"Diesel prices rose"}\n');
    const fromFile = JSON.parse(await ok(['--json', 'rerank', 'docs', '--query', 'storing tea', '--file', file, '--limit', '1', '--feedback-weight', '1'])) as RerankResult;
    expect(fromFile.results.map((d) => [d.id, d.index])).toEqual([['x', 0]]);
    expect(fromFile.weights).toEqual({ feedback: 1, narrative: 0 });
    const fromStdin = JSON.parse(await ok(['--json', 'rerank', 'docs', '--query', 'storing tea', 'z=Tea', '--file', '-'], '{"id":"y","text":"Diesel prices rose"}\n')) as RerankResult;
    expect(fromStdin.results.map((d) => d.id).sort()).toEqual(['y', 'z']);
  });

  it('refuses bad input', async () => {
    const none = await run(['rerank', 'docs', '--query', 'tea']);
    expect([none.code, none.stderr]).toEqual([1, 'error: VALIDATION_FAILED: give the documents to rerank, as ID=TEXT arguments or with --file\n  documents: none given\n']);
    const bare = await run(['rerank', 'docs', '--query', 'tea', 'just text']);
    expect([bare.code, bare.stderr]).toEqual([1, 'error: VALIDATION_FAILED: doc 1 is not ID=TEXT: "just text"\n  doc 1: ID=TEXT\n']);
    expect((await run(['rerank', 'docs', 'a=tea'])).code).toBe(2); // --query is required
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, '{"id":"x","text":"ok"}\nnot json\n');
    expect((await run(['rerank', 'docs', '--query', 'tea', '--file', file])).stderr).toBe(`error: VALIDATION_FAILED: ${file} line 2 is not JSON\n  line 2: not JSON\n`);
    expect((await run(['rerank', 'docs', '--query', 'tea', '--file', join(dir, 'none.jsonl')])).stderr).toMatch(/^error: NOT_FOUND: file .*none\.jsonl not found/);
    const heavy = await run(['rerank', 'docs', '--query', 'tea', 'a=tea', '--feedback-weight', '0.8', '--narrative-weight', '0.8']);
    expect([heavy.code, heavy.stderr]).toEqual([1, expect.stringMatching(/^error: VALIDATION_FAILED: .*\n {2}rank: rank weights feedback and narrative must sum to at most 1\n$/)]);
    // Without an embedder there is nothing to compare documents with.
    expect((await run(['rerank', 'notes', '--query', 'tea', 'a=tea'])).stderr).toMatch(/^error: VALIDATION_FAILED: space "notes" has no embedder/);
  });
});

describe('memspace feedback and rerank --url', () => {
  let server: Awaited<ReturnType<typeof tempMemspace>>;
  let app: FastifyInstance;
  let url: string;
  let root: string;
  let memory: string;

  beforeAll(async () => {
    server = await tempMemspace();
    root = (await server.keys.ensureRootKey())!;
    app = await buildApp({ memspace: server });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    await server.spaces.create({ name: 'remote', embedder: 'none', dimension: 2 });
    memory = (await server.memories.add('remote', { content: 'a remote note', embedding: [1, 0] })).id;
  });
  afterAll(async () => {
    await app.close();
    await server.cleanup();
  });

  it('talks to the server instead of the data directory, with the key of --key or MEMSPACE_KEY', async () => {
    const given = await cliRaw(['feedback', 'remote', '--helpful', memory, '--url', url], '', { MEMSPACE_KEY: root });
    expect(given.stdout.split('\n')[0], given.stderr).toBe('feedback on remote: 1 helpful');
    expect((await server.health.spaceHealth('remote')).feedback).toMatchObject({ reinforced: 1 });
    // The option is read before the subcommand and after it alike.
    const reset = await cliRaw(['--key', root, '--json', 'feedback', '--url', url, 'reset', 'remote']);
    expect(JSON.parse(reset.stdout) as FeedbackReset, reset.stderr).toEqual({ pheromones: 1, narrative: true });
    expect((await cliRaw(['--key', root, 'feedback', 'reset', 'remote', '--url', url])).stdout).toBe('reset feedback on remote: there was none\n');
  });

  it('gets SPACE_NOT_FOUND for a space the key may not see, and UNAUTHENTICATED without a key', async () => {
    const { key } = await server.keys.create({ name: 'elsewhere', grants: [{ space: 'default', role: 'admin' }] });
    const refused = await cliRaw(['--key', key, 'feedback', 'remote', '--helpful', memory, '--url', url]);
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringMatching(/^error: SPACE_NOT_FOUND: space "remote" not found\b/)]);
    expect((await cliRaw(['--key', key, 'feedback', 'reset', 'remote', '--url', url])).stderr).toMatch(/^error: SPACE_NOT_FOUND: space "remote" not found\b/);
    expect((await cliRaw(['--key', key, 'rerank', 'remote', '--query', 'x', 'a=b', '--url', url])).stderr).toMatch(/^error: SPACE_NOT_FOUND: space "remote" not found\b/);
    expect((await cliRaw(['feedback', 'remote', '--helpful', memory, '--url', url])).stderr).toMatch(/^error: UNAUTHENTICATED: /);
  });
});
