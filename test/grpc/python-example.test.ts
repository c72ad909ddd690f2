/**
 * The Python gRPC example (examples/grpc-python/) runs as the README tells a reader to run it:
 * its `generate.sh` makes the stubs with grpc_tools.protoc, then `example.py` talks to a memspace
 * gRPC server (here in-process, over a socket, with a fresh data directory and a root key), twice,
 * as every example runs (docs/architecture.md, "Docs that run"). What it prints and what it leaves
 * in the server are both checked, so the example cannot drift from the protocol.
 *
 * Python with grpcio and grpcio-tools is required, never skipped: .ci/run installs Debian's
 * python3-grpcio and python3-grpc-tools. The interpreter is PYTHON if set, else the first of
 * `python3` and `/usr/bin/python3` that has both (a pyenv or venv `python3` on PATH does not see
 * Debian's packages, which live in /usr/lib/python3/dist-packages).
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGrpcServer, type MemspaceGrpcServer } from '../../src/grpc/grpc-server.js';
import type { MemspaceEngine } from '../../src/memspace.js';
import { REPO_ROOT } from '../support/doc-blocks.js';
import { allMemories, tempMemspace } from '../support/temp-memspace.js';

const EXAMPLE_DIR = join(REPO_ROOT, 'examples/grpc-python');
/** The space the example creates. */
const SPACE = 'python-demo';

/** What the example prints, every run: fixed vectors give fixed scores. */
const EXPECTED = [
  'search: 0.995 pdf Customer 7 wants invoices as PDF',
  'search: 0.856 vat Customer 7 is exempt from VAT',
  'list: pdf fact {"customer": 7.0, "topic": "billing"}',
  'list: vat fact {"customer": 7.0, "topic": "billing"}',
  'list: tea fact {"customer": 7.0, "topic": "small-talk"}',
  'error: INVALID_ARGUMENT DIMENSION_MISMATCH: space "python-demo" holds 4-dimensional vectors, got 2',
];

// Asynchronous on purpose: the server answering the example runs in this process's event loop.
const run = promisify(execFile);

/** The first interpreter that can import grpc and grpc_tools; throws (the suite fails) when none can. */
function findPython(): string {
  const chosen = process.env['PYTHON'];
  const candidates = chosen !== undefined && chosen !== '' ? [chosen] : ['python3', '/usr/bin/python3'];
  for (const python of candidates) {
    if (spawnSync(python, ['-c', 'import grpc, grpc_tools'], { stdio: 'ignore' }).status === 0) return python;
  }
  throw new Error(`no Python with grpcio and grpcio-tools among ${candidates.join(', ')}: apt-get install python3-grpcio python3-grpc-tools`);
}

let python: string;
let stubs: string;
let ms: MemspaceEngine & { cleanup(): Promise<void> };
let server: MemspaceGrpcServer;
let address: string;
let root: string;

/** A clean environment for the example: nothing of vitest's, no bytecode written beside the sources. */
function exampleEnv(key: string): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? tmpdir(), PYTHONPATH: stubs, PYTHONDONTWRITEBYTECODE: '1', MEMSPACE_GRPC_ADDRESS: address, MEMSPACE_KEY: key };
}

beforeAll(async () => {
  python = findPython();
  stubs = mkdtempSync(join(tmpdir(), 'memspace-python-stubs-'));
  await run('sh', [join(EXAMPLE_DIR, 'generate.sh'), stubs], { env: { PATH: process.env['PATH'] ?? '', PYTHON: python } });
  ms = await tempMemspace();
  root = (await ms.keys.ensureRootKey())!;
  server = buildGrpcServer({ memspace: ms });
  address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
});

afterAll(async () => {
  await server?.close();
  await ms?.cleanup();
  if (stubs !== undefined) rmSync(stubs, { recursive: true, force: true });
});

describe('examples/grpc-python', () => {
  it('runs twice, printing its search, its listing and memspace’s error code', { timeout: 120_000 }, async () => {
    for (const time of ['first', 'second']) {
      const { stdout, stderr } = await run(python, [join(EXAMPLE_DIR, 'example.py')], { env: exampleEnv(root), timeout: 60_000 });
      expect(stdout.trimEnd().split('\n'), `${time} run; stderr:\n${stderr}`).toEqual(EXPECTED);
    }
  });

  it('leaves its space and its three memories in the server, and nothing more', async () => {
    expect(await ms.spaces.get(SPACE)).toMatchObject({ name: SPACE, embedder: 'none', dimension: 4 });
    const { byId, listed } = await allMemories(ms, SPACE);
    expect(listed).toBe(3); // the second run added nothing, the refused add neither
    expect(byId.get('pdf')).toMatchObject({ content: 'Customer 7 wants invoices as PDF', metadata: { topic: 'billing', customer: 7 } });
    expect(byId.get('vat')).toMatchObject({ content: 'Customer 7 is exempt from VAT', metadata: { topic: 'billing', customer: 7 } });
    expect(byId.get('tea')).toMatchObject({ content: 'Customer 7 drinks green tea', metadata: { topic: 'small-talk', customer: 7 } });
    expect((await ms.memories.get(SPACE, 'vat', { includeEmbedding: true })).embedding).toEqual([0.8, 0.6, 0, 0].map(Math.fround));
  });

  it('raises, rather than swallows, a failure other than CONFLICT', async () => {
    const failed = await run(python, [join(EXAMPLE_DIR, 'example.py')], { env: exampleEnv('msk_not_a_key'), timeout: 60_000 }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/StatusCode\.UNAUTHENTICATED/);
  });
});
