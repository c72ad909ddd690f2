// Builds the light client: a fresh dist/js compiled from ../../src (see tsconfig.json), then the
// gRPC service definition in dist/proto, where src/wire/proto.ts looks for it (../../proto from
// dist/js/wire), so that `@memspace/client/grpc` finds it once installed.
//
// `node scripts/build.js --out DIR` builds the whole package (package.json, README, dist) into DIR
// instead, so a test can pack it without leaving a dist/ in the checkout for eslint to read.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const here = join(import.meta.dirname, '..');
const out = process.argv[2] === '--out' && process.argv[3] !== undefined ? resolve(process.argv[3]) : here;
rmSync(join(out, 'dist'), { recursive: true, force: true });
// The workspace root's TypeScript: this package has no dev dependencies of its own.
const tsc = join(dirname(createRequire(join(here, '../../package.json')).resolve('typescript/package.json')), 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', join(here, 'tsconfig.json'), '--outDir', join(out, 'dist/js')], { stdio: 'inherit' });
cpSync(join(here, '../../proto'), join(out, 'dist/proto'), { recursive: true });
if (out !== here) {
  mkdirSync(out, { recursive: true });
  for (const file of ['package.json', 'README.md']) copyFileSync(join(here, file), join(out, file));
}
