/**
 * The server side of the HTTP benchmark (`bench/http.ts`), run as a child process so that the
 * load generator does not share its event loop:
 *
 *     node --import tsx bench/http-server.ts <dataDir | postgres URL> [port] [workers] [grpc]
 *
 * Opens memspace on a prepared data directory (or a prepared PostgreSQL database) and serves `buildApp` as `memspace serve` does
 * (authentication on, no rate limit, the same timeouts, `workers` search threads: by default
 * the number of CPUs, as `serve` has), but without request logs: `serve`
 * logs every request at info level, which would be part of the figures. With `grpc`, the same
 * memspace is also served over gRPC on a free port, as `serve` does. Prints one JSON line
 * `{"url": ..., "grpc": ...}` once listening, then answers commands on stdin, one a line:
 *
 * - `stats`: one JSON line with the process's monotonic clock (ms), its CPU time so far (user
 *   and system, microseconds, every thread) and its event loop's cumulative active and idle
 *   time (ms).
 *
 * The end of stdin (the parent closing it, or dying) closes the server and memspace.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

import { loadConfig } from '../src/config.js';
import { openEngine } from '../src/memspace.js';
import { buildGrpcServer } from '../src/grpc/grpc-server.js';
import { buildApp } from '../src/server/app.js';

const [target, portArg, workersArg, grpcArg] = process.argv.slice(2);
if (target === undefined) {
  console.error('usage: node --import tsx bench/http-server.ts <dataDir | postgres URL> [port] [workers] [grpc]');
  process.exit(2);
}

const workers = workersArg === undefined ? availableParallelism() : Number(workersArg);
const storage = target.startsWith('postgres://') ? { backend: 'postgres' as const, pgUrl: target } : { dataDir: target };
const ms = await openEngine(loadConfig({ ...storage, workers }, {}));
const app = await buildApp({ memspace: ms, logger: false });
await app.listen({ host: '127.0.0.1', port: portArg === undefined ? 0 : Number(portArg) });
app.server.requestTimeout = 60_000;
app.server.headersTimeout = 15_000;
const address = app.server.address();
const port = typeof address === 'object' && address !== null ? address.port : Number(portArg);
const grpc = grpcArg === 'grpc' ? buildGrpcServer({ memspace: ms }) : undefined;
const grpcPort = await grpc?.listen('127.0.0.1', 0);
reply({ url: `http://127.0.0.1:${port}`, ...(grpcPort !== undefined && { grpc: `127.0.0.1:${grpcPort}` }), pid: process.pid, workers });

let closing: Promise<void> | undefined;
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === 'stats') {
    const cpu = process.cpuUsage();
    const elu = performance.eventLoopUtilization();
    reply({ atMs: performance.now(), cpuUserUs: cpu.user, cpuSystemUs: cpu.system, loopActiveMs: elu.active, loopIdleMs: elu.idle });
  } else if (line.trim() !== '') {
    reply({ error: `unknown command ${JSON.stringify(line)}` });
  }
});
lines.on('close', () => void shutdown());

async function shutdown(): Promise<void> {
  closing ??= (async () => {
    await grpc?.close();
    await app.close();
    await ms.close();
  })();
  await closing;
  process.exit(0);
}

function reply(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}
