import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { loadConfig } from '../../src/config.js';
import { openEngine } from '../../src/memspace.js';
import { SpaceGraph, type KnowledgeGraph } from '../../src/mcp/knowledge-graph.js';
import { tempDir } from '../support/temp-memspace.js';

// `memspace import-mcp-memory SPACE FILE`: the reference memory server's memory.jsonl into a space.

let dataDir: string;

beforeAll(() => {
  dataDir = tempDir();
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['--data-dir', dataDir, ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from([]),
    env: { MEMSPACE_EMBED_POOL_SIZE: '1' },
  });
  return { code, stdout, stderr };
}

function file(name: string, lines: (object | string)[]): string {
  const path = join(dataDir, name);
  writeFileSync(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return path;
}

async function graphOf(space: string): Promise<KnowledgeGraph | undefined> {
  const ms = await openEngine(loadConfig({ dataDir }, {}));
  try {
    if ((await ms.backend.spaces.get(space)) === undefined) return undefined;
    return await new SpaceGraph(ms, space).readGraph();
  } finally {
    await ms.close();
  }
}

const REFERENCE = [
  { type: 'entity', name: 'John_Smith', entityType: 'person', observations: ['Speaks fluent Spanish', 'Graduated in 2019'] },
  { type: 'entity', name: 'Anthropic', entityType: 'organization', observations: ['Builds AI models'] },
  '',
  { type: 'relation', from: 'John_Smith', to: 'Anthropic', relationType: 'works at' },
  { type: 'entity', name: 'Jane Doe', entityType: 'person', observations: [], extra: 'ignored' },
];

describe('memspace import-mcp-memory', () => {
  it('imports entities and relations into a new space, and importing again changes nothing', async () => {
    const path = file('memory.jsonl', REFERENCE);
    const first = await run(['import-mcp-memory', 'kg', path]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('imported into kg (created): 3 entities (0 existing ones gained observations, 0 already present), 1 relations (0 already present)\n');
    expect(await graphOf('kg')).toEqual({
      entities: [
        { name: 'John_Smith', entityType: 'person', observations: ['Speaks fluent Spanish', 'Graduated in 2019'] },
        { name: 'Anthropic', entityType: 'organization', observations: ['Builds AI models'] },
        { name: 'Jane Doe', entityType: 'person', observations: [] },
      ],
      relations: [{ from: 'John_Smith', to: 'Anthropic', relationType: 'works at' }],
    });

    const again = await run(['--json', 'import-mcp-memory', 'kg', path]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({
      space: 'kg',
      createdSpace: false,
      entities: { created: 0, updated: 0, unchanged: 3 },
      relations: { created: 0, unchanged: 1 },
    });

    // A later file adds only what is new; a relation may name an entity the space already holds.
    const later = file('later.jsonl', [
      { type: 'entity', name: 'John_Smith', entityType: 'person', observations: ['Speaks fluent Spanish', 'Moved to Lisbon'] },
      { type: 'relation', from: 'Jane Doe', to: 'Anthropic', relationType: 'advises' },
    ]);
    const third = await run(['--json', 'import-mcp-memory', 'kg', later]);
    expect(JSON.parse(third.stdout)).toMatchObject({ entities: { created: 0, updated: 1, unchanged: 0 }, relations: { created: 1, unchanged: 0 } });
    const graph = (await graphOf('kg'))!;
    expect(graph.entities[0]!.observations).toEqual(['Speaks fluent Spanish', 'Graduated in 2019', 'Moved to Lisbon']);
    expect(graph.relations).toHaveLength(2);
  });

  it('names the first bad line and imports nothing', async () => {
    const cases: [(object | string)[], number, RegExp][] = [
      [[REFERENCE[0]!, '{"type":"entity","name":', REFERENCE[1]!], 2, /^line 2: not JSON; nothing was imported$/],
      [[REFERENCE[0]!, { type: 'entity', name: 'X', entityType: 't', observations: 'one' }], 2, /line 2: observations: /],
      [[{ type: 'person', name: 'X' }], 1, /line 1: type: type must be "entity" or "relation"/],
      [[REFERENCE[0]!, REFERENCE[1]!, { type: 'relation', from: 'John_Smith', to: 'Nobody', relationType: 'knows' }], 3, /line 3: to: no entity named "Nobody"/],
    ];
    for (const [lines, line, message] of cases) {
      const r = await run(['--json', 'import-mcp-memory', 'fresh', file('bad.jsonl', lines)]);
      expect(r.code, JSON.stringify(lines)).toBe(1);
      const error = (JSON.parse(r.stderr) as { error: { code: string; message: string; details: { line: number } } }).error;
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.details.line).toBe(line);
      expect(error.message).toMatch(message);
      expect(await graphOf('fresh')).toBeUndefined(); // not even the space was created
    }
    // Into an existing space: untouched.
    const before = await graphOf('kg');
    const bad = await run(['import-mcp-memory', 'kg', file('bad2.jsonl', [{ type: 'entity', name: 'New', entityType: 't', observations: [] }, '{oops'])]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: VALIDATION_FAILED: line 2: /);
    expect(await graphOf('kg')).toEqual(before);
  });

  it('refuses a missing file, an invalid space, and a space without embedder', async () => {
    expect((await run(['import-mcp-memory', 'kg', join(dataDir, 'missing.jsonl')])).stderr).toMatch(/NOT_FOUND: file .* not found/);
    expect((await run(['import-mcp-memory', '../kg', file('ok.jsonl', REFERENCE)])).stderr).toMatch(/INVALID_SPACE/);
    expect((await run(['spaces', 'create', 'vectors', '--embedder', 'none', '--dimension', '3'])).code).toBe(0);
    const r = await run(['import-mcp-memory', 'vectors', file('ok.jsonl', REFERENCE)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/VALIDATION_FAILED: space "vectors" has no embedder/);
  });
});
