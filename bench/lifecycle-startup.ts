/**
 * Child of the lifecycle benchmark: starts a memspace server on a data directory (port 0, auth
 * on), and prints one JSON line `{startMs, uptimeMs, rssBytes, spaces}` once it listens:
 * `startMs` from `serve()` being called to listening (what an operator waits for after the
 * modules are loaded), `uptimeMs` since the process began (module loading included). Then exits.
 *
 * Usage: `node --import tsx bench/lifecycle-startup.ts <dataDir>`
 */
import { loadConfig } from '../src/config.js';
import { serve } from '../src/server/serve.js';

const [dataDir] = process.argv.slice(2);
if (dataDir === undefined) throw new Error('usage: lifecycle-startup <dataDir>');
const started = performance.now();
const rootKey = 'msk_bench_root_key_for_startup';
const server = await serve(loadConfig({ dataDir, port: 0, rootKey }, {}));
const startMs = performance.now() - started;
const uptimeMs = process.uptime() * 1000;
const rssBytes = process.memoryUsage().rss;
// The root key sees the registry figures of the health answer.
const health = (await (await fetch(`${server.url}/v1/health`, { headers: { authorization: `Bearer ${rootKey}` } })).json()) as { openSpaces: number };
if (typeof health.openSpaces !== 'number') throw new Error(`health answer without openSpaces: ${JSON.stringify(health)}`);
process.stdout.write(`${JSON.stringify({ startMs, uptimeMs, rssBytes, openSpaces: health.openSpaces })}\n`);
await server.close();
