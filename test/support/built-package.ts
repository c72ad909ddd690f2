import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './doc-blocks.js';

/** Files of dist/ that `bin/memspace` and the package's entry points load first. */
const ENTRY_POINTS = ['dist/cli/main.js', 'dist/index.js', 'dist/client/index.js', 'dist/client/grpc.js', 'dist/compat/langgraph/index.js'];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function oldestEntryPoint(): number {
  let oldest = Number.POSITIVE_INFINITY;
  for (const file of ENTRY_POINTS) {
    try {
      oldest = Math.min(oldest, statSync(join(REPO_ROOT, file)).mtimeMs);
    } catch {
      return 0; // missing
    }
  }
  return oldest;
}

/** True when dist/ is missing or older than some file of src/. */
function stale(): boolean {
  return oldestEntryPoint() < newestMtime(join(REPO_ROOT, 'src'));
}

/**
 * Makes sure `dist/` (what `bin/memspace` and `import 'memspace'` load) is built from the
 * current `src/`: `npm ci` builds it, and a change to src/ since then is built here with
 * `npm run build` (about 20 s), one test process at a time.
 */
export function ensureBuilt(): void {
  if (!stale()) return;
  const lock = join(tmpdir(), `memspace-build-${createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 12)}.lock`);
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true }); // left by a crash
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) throw new Error(`waited 5 minutes for ${lock}`);
      spawnSync('sleep', ['0.5']);
    }
  }
  try {
    if (!stale()) return; // another test process built it meanwhile
    const build = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
