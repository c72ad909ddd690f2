/**
 * Every ```console block of README.md and docs/*.md runs here, and each command must print what
 * the document shows. The convention, for whoever writes a document (docs/architecture.md,
 * "Docs that run", says the same):
 *
 * - A line starting with `$ ` is a command; a line ending in `\` or inside an open quote
 *   continues it, a here-document (`<<'EOF'`) runs to its terminator. The lines after a
 *   command, up to the next one, are its output: stdout and stderr together, as a terminal
 *   shows them.
 * - One bash session per document, started in the repository root with a clean environment
 *   (no MEMSPACE_* variables but the two ports, below, and MEMSPACE_EMBED_POOL_SIZE=1, which
 *   spares CPUs and changes no output; HOME and TMPDIR fresh and removed afterwards). Blocks run in
 *   document order in that session, so `cd`, `export` and shell variables carry over from block
 *   to block. A document therefore begins with `export PATH="$PWD/bin:$PATH"` and
 *   `cd "$(mktemp -d)"`: every document starts on a fresh data directory, as a reader who copies
 *   it would. `bin/memspace` runs `dist/`, which is rebuilt first when src/ is newer.
 * - Before comparing, both sides are masked: UUIDs (memory, relation and request ids),
 *   API keys `msk_…`, key and share ids `key_…`, `shr_…` and ISO-8601 times become
 *   placeholders (see maskVarying in test/support/doc-blocks.ts); trailing blanks
 *   and trailing empty lines are ignored. Anything else must match exactly, except where the
 *   document elides: `...` inside a line stands for any characters, a line of its own `...`
 *   for any number of lines.
 * - A command ending in `&` (a server: `MEMSPACE_ROOT_KEY=$ROOT memspace serve > server.log &`)
 *   runs in the background. The runner waits until it has printed as many lines as the document
 *   shows (the "listening" line, so it is ready), compares them, and stops whatever is still
 *   running when the document ends (a document may also stop it itself: `kill %1; wait`).
 * - Servers listen on the default ports 7420 (HTTP) and 7421 (gRPC) in the documents. The
 *   runner gives each session free ports instead (MEMSPACE_PORT, MEMSPACE_GRPC_PORT) and
 *   rewrites `:7420` and `:7421` in commands to them, and back in the output, so documents and
 *   parallel test runs never collide.
 * - Blocks that cannot run here (configuration files, install commands, other languages,
 *   services memspace does not ship) use another fence: ```sh, ```json, ```python, ```sql.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/built-package.js';
import { comparableLines, consoleBlocks, documentFiles, outputMatches, readRepoFile, REPO_ROOT } from '../support/doc-blocks.js';
import { freePort, nodeBinDir, ShellSession } from '../support/shell-session.js';

/** The ports the documents show, and what stands for each in a session. */
const DOC_PORTS: Ports = { http: 7420, grpc: 7421 };
interface Ports {
  http: number;
  grpc: number;
}

const documents = documentFiles()
  .map((file) => ({ file, blocks: consoleBlocks(readRepoFile(file), file) }))
  .filter((d) => d.blocks.length > 0);

it('finds console blocks in README.md and the docs', () => {
  expect(documents.map((d) => d.file)).toContain('README.md');
  expect(documents.length).toBeGreaterThan(3);
});

for (const { file, blocks } of documents) {
  describe(file, () => {
    let session: ShellSession;
    let ports: Ports;
    let root: string;
    /** Index of the next command to run: a document runs whole and in order, never a command alone. */
    let next = 0;

    beforeAll(async () => {
      ensureBuilt();
      ports = { http: await freePort(), grpc: await freePort() };
      root = mkdtempSync(join(tmpdir(), 'memspace-docs-'));
      const dir = (name: string): string => mkdtempSync(join(root, `${name}-`));
      // A user's PATH, without the node_modules/.bin entries npm and vitest add.
      const path = [nodeBinDir(), ...(process.env['PATH'] ?? '').split(delimiter).filter((p) => p !== '' && !p.includes('node_modules'))].join(delimiter);
      session = ShellSession.start({
        cwd: REPO_ROOT,
        // One model worker per command instead of one per CPU: the same vectors, half the CPU.
        env: { PATH: path, HOME: dir('home'), TMPDIR: dir('tmp'), LANG: 'C.UTF-8', TERM: 'dumb', NO_COLOR: '1', MEMSPACE_PORT: String(ports.http), MEMSPACE_GRPC_PORT: String(ports.grpc), MEMSPACE_EMBED_POOL_SIZE: '1' },
        scratch: dir('runner'),
      });
    });

    afterAll(async () => {
      await session?.close();
      if (root !== undefined) rmSync(root, { recursive: true, force: true });
    });

    const commands = blocks.flatMap((block) => block.commands);
    commands.forEach((command, index) => {
      const title = `${file}:${command.line} $ ${command.text.split('\n')[0]!.slice(0, 70)}`;
      it(title, { timeout: 240_000 }, async () => {
        // Run alone (a -t filter on one command), it would run outside the document's directory.
        if (next !== index) throw new Error(`${file}: commands run in document order only; filter by document (-t '${file}')`);
        next = index + 1;
        const text = swapPorts(command.text, DOC_PORTS, ports);
        const expected = comparableLines(command.expected);
        const waitFor = expected.filter((line) => line.trim() !== '...').length;
        const { output } = command.background ? await session.runBackground(text, waitFor) : await session.run(text);
        const actual = comparableLines(swapPorts(output, ports, DOC_PORTS));
        if (!outputMatches(expected, actual)) {
          // Equal strings never reach here; toBe prints the difference.
          expect(actual.join('\n'), `${file}:${command.line}: output differs from the document`).toBe(expected.join('\n'));
        }
      });
    });
  });
}

/** `text` with each `:port` of `from` written as the same kind's port of `to`. */
function swapPorts(text: string, from: Ports, to: Ports): string {
  return text.replace(new RegExp(`:(${from.http}|${from.grpc})\\b`, 'g'), (_, port: string) => `:${Number(port) === from.http ? to.http : to.grpc}`);
}
