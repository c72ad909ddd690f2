import { rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { SUPERSESSION_MARKER } from '../../src/core/consolidation-prompts.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { tempDir } from '../support/temp-memspace.js';

let dir: string;
let llm: FakeLlm;

/** Runs the CLI in this process with `env` (the chat model's variables, or none). */
async function run(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['--data-dir', dir, ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from(['']),
    env,
  });
  return { code, stdout, stderr };
}

const withModel = (): Record<string, string> => ({ MEMSPACE_LLM_BASE_URL: llm.url, MEMSPACE_LLM_MODEL: 'fake-model' });

beforeAll(async () => {
  dir = tempDir('memspace-consolidate-llm-');
  // Every pair is an update: the stand-in only says so for what it is asked.
  llm = await startFakeLlm((r) => {
    if (!r.system.startsWith(SUPERSESSION_MARKER)) return 'unexpected';
    const { pairs } = JSON.parse(r.user) as { pairs: { pair: number }[] };
    return JSON.stringify({ decisions: pairs.map((p) => ({ pair: p.pair, decision: 'UPDATE' })) });
  });
  expect((await run(['spaces', 'create', 'notes', '--embedder', 'none', '--dimension', '2'], {})).code).toBe(0);
  for (const text of ['Dana lives in Utrecht', 'Dana moved to Berlin']) expect((await run(['add', 'notes', text, '--embedding', '[0,1]'], {})).code).toBe(0);
});
afterAll(async () => {
  await llm.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('memspace consolidate with a chat model', () => {
  it('without one prints what it always printed, and refuses --summarize', async () => {
    const dry = await run(['consolidate', 'notes', '--dry-run'], {});
    expect(dry.stdout).toBe('dry run on notes: examined 2, would merge 0, would supersede 0\n');
    const refused = await run(['consolidate', 'notes', '--summarize'], {});
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringMatching(/^error: VALIDATION_FAILED: summaries need a chat model/)]);
    expect(llm.requests).toHaveLength(0);
  });

  it('with one (MEMSPACE_LLM_BASE_URL) supersedes by its decision and prints its figures', async () => {
    const dry = await run(['consolidate', 'notes', '--dry-run', '--no-summarize'], withModel());
    const lines = dry.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('dry run on notes: examined 2, would merge 0, would supersede 1, would summarise 0; chat model: 1 call, 0 failed, 0 left for later');
    expect(lines[2]).toMatch(/^superseded\s+\S+\s+\S+\s+chat model fake-model: the newer memory states a changed value of the same fact$/);
    expect(llm.requests).toHaveLength(1);
    const pass = await run(['consolidate', 'notes', '--summarize'], withModel());
    expect(pass.stdout).toMatch(/^consolidated notes: examined 2, merged 0, superseded 1, summarised 0; chat model: 1 call, 0 failed, 0 left for later\nrun /);
    expect((JSON.parse((await run(['--json', 'list', 'notes'], {})).stdout) as { items: unknown[] }).items).toHaveLength(1);
  });
});
