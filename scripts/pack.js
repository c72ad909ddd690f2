// `npm run pack:tarball [-- DEST] [--no-build]`: the installable tarball of memspace, built and packed from a
// staging directory whose package.json has no lifecycle scripts.
//
// Why not plain `npm pack`: the checkout's package.json has `prepare` (it builds dist/ when the
// repo is installed, and when a project installs memspace from git). npm 11 lists a `prepare` of
// a package that comes from a file or a tarball among the "install scripts not yet covered by
// allowScripts" of the installing project, though it never runs it for a tarball: dist/ is
// already in it. Without scripts, installing this tarball warns only about the native addons it
// depends on, which the installing project allows by name (docs/install.md).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
// --no-build: dist/ is current already (a test's ensureBuilt made sure).
const build = !args.includes('--no-build');
const dest = resolve(args.find((a) => !a.startsWith('--')) ?? root);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

if (build) execFileSync(npm, ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
mkdirSync(dest, { recursive: true });
const stage = mkdtempSync(join(tmpdir(), 'memspace-pack-'));
try {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  // Only the installing project's allowScripts and overrides count, and a dependency's
  // workspaces are never installed: none of these means anything in the tarball.
  for (const field of ['scripts', 'devDependencies', 'workspaces', 'allowScripts', 'overrides']) delete manifest[field];
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const path of [...manifest.files, 'README.md']) cpSync(join(root, path), join(stage, path), { recursive: true });
  const out = execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: stage, encoding: 'utf8' });
  const [packed] = JSON.parse(out.slice(out.indexOf('[')));
  process.stdout.write(`${join(dest, packed.filename)}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
