// Builds the web console into dist/console: one script and one stylesheet, named by their content
// (so the server may let browsers keep them), index.html pointing at both, and a gzip and a
// brotli copy of each, which the server sends to browsers that take them.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
/** Where the console is written: dist/console beside the server, or the directory given. */
export async function buildConsole(out = join(here, '..', 'dist', 'console')) {
  rmSync(out, { recursive: true, force: true });
  const assets = join(out, 'assets');
  const result = await build({
    entryPoints: { app: join(here, 'src', 'main.tsx') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'chrome120',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    outdir: assets,
    metafile: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
  const script = outputs.find((name) => name.endsWith('.js'));
  const style = outputs.find((name) => name.endsWith('.css'));
  const html = readFileSync(join(here, 'src', 'index.html'), 'utf8').replace('%SCRIPT%', `/console/assets/${script}`).replace('%STYLE%', `/console/assets/${style}`);
  writeFileSync(join(out, 'index.html'), html);
  for (const name of [...outputs.map((o) => join('assets', o)), 'index.html']) {
    const body = readFileSync(join(out, name));
    writeFileSync(join(out, `${name}.gz`), gzipSync(body, { level: 9 }));
    writeFileSync(join(out, `${name}.br`), brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(join(here, '..', 'dist'), { recursive: true });
  await buildConsole(process.argv[2]);
}
