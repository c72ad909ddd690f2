import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MemspaceError } from '../core/errors.js';

/** Where the console is served: its pages, and its files under `assets/`. */
export const CONSOLE_PATH = '/console';

/**
 * The console's policy: scripts, styles and calls from this origin only, no inline script or
 * style element, no framing, no plugin. A key typed into the console can only go back to this
 * server.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  type: string;
  body: Buffer;
  gzip?: Buffer;
  brotli?: Buffer;
}

/**
 * The built console (console/build.js writes it to dist/console). Found from this file, which
 * sits two levels under the package root both as src/server/console.ts and dist/server/console.js.
 */
export function consoleDirectory(): string {
  return fileURLToPath(new URL('../../dist/console/', import.meta.url));
}

/** Every file of the built console, with its compressed copies, read once. */
function loadAssets(directory: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(join(directory, 'index.html'))) return assets;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!name.endsWith('.gz') && !name.endsWith('.br')) {
        const read = (suffix: string): Buffer | undefined => (existsSync(path + suffix) ? readFileSync(path + suffix) : undefined);
        const gzip = read('.gz');
        const brotli = read('.br');
        assets.set(relative(directory, path).split('\\').join('/'), {
          type: TYPES[extname(name)] ?? 'application/octet-stream',
          body: readFileSync(path),
          ...(gzip !== undefined && { gzip }),
          ...(brotli !== undefined && { brotli }),
        });
      }
    }
  };
  walk(directory);
  return assets;
}

/**
 * Serves the web console at `/console`: its files under `/console/assets/` (named by content,
 * so kept by browsers for a year), and index.html for every other path under `/console`, whose
 * router shows the page. The console is public like /docs: it holds no data, and every call it
 * makes carries the key the user signs in with.
 */
export function installConsole(app: FastifyInstance, directory = consoleDirectory()): void {
  const assets = loadAssets(directory);
  const send = (request: FastifyRequest, reply: FastifyReply, asset: Asset, cache: string): FastifyReply => {
    const accepts = String(request.headers['accept-encoding'] ?? '');
    reply.headers({ ...SECURITY_HEADERS, 'content-type': asset.type, 'cache-control': cache, vary: 'accept-encoding' });
    if (asset.brotli !== undefined && /\bbr\b/.test(accepts)) return reply.header('content-encoding', 'br').send(asset.brotli);
    if (asset.gzip !== undefined && /\bgzip\b/.test(accepts)) return reply.header('content-encoding', 'gzip').send(asset.gzip);
    return reply.send(asset.body);
  };
  const page = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const index = assets.get('index.html');
    if (index === undefined) throw new MemspaceError('NOT_FOUND', 'the console is not built: run `npm run build`');
    return send(request, reply, index, 'no-cache');
  };
  app.get(CONSOLE_PATH, page);
  app.get(`${CONSOLE_PATH}/assets/*`, async (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    const asset = assets.get(`assets/${name}`);
    if (asset === undefined) throw new MemspaceError('NOT_FOUND', `no console file ${name}`);
    return send(request, reply, asset, 'public, max-age=31536000, immutable');
  });
  app.get(`${CONSOLE_PATH}/*`, page);
}

/** True for a path the console answers without a key (its pages and files: they hold no data). */
export function isConsolePath(url: string): boolean {
  const path = url.split('?')[0]!;
  return path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);
}
