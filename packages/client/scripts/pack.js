// `npm run pack:client [-- DEST]` (from the repository root): builds the light client into a
// staging directory (build.js --out) and packs it there, into DEST (default: the current
// directory). A plain `npm pack -w @memspace/client` works too, but leaves packages/client/dist
// in the checkout.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const dest = resolve(process.argv[2] ?? process.cwd());
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
mkdirSync(dest, { recursive: true });
const stage = mkdtempSync(join(tmpdir(), 'memspace-client-pack-'));
try {
  execFileSync(process.execPath, [join(import.meta.dirname, 'build.js'), '--out', stage], { stdio: 'inherit' });
  const out = execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: stage, encoding: 'utf8' });
  const [packed] = JSON.parse(out.slice(out.indexOf('[')));
  process.stdout.write(`${join(dest, packed.filename)}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
