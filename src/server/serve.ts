import { availableParallelism } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { MemspaceError } from '../core/errors.js';
import { isLoopback } from '../core/origins.js';
import { openMemspace } from '../memspace.js';
import { buildGrpcServer } from '../grpc/grpc-server.js';
import { buildApp } from './app.js';
import { logDestination, resolveLogFormat } from './log-format.js';

/** A listening server. */
export interface RunningServer {
  readonly app: FastifyInstance;
  /** Where it listens, e.g. `http://127.0.0.1:7420`. */
  readonly url: string;
  /** Where its gRPC API listens, e.g. `127.0.0.1:7421`; undefined when `grpcPort` is 0. */
  readonly grpcAddress: string | undefined;
  /**
   * Stops accepting, ends change streams, lets requests in flight finish, then closes every
   * space. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Opens memspace on the configured data directory and listens. With authentication on (the
 * default), the first start creates the root key and hands it to `onRootKey` once, and a later
 * start, which finds keys, calls `onKeysExist`; with it off, only loopback addresses are
 * accepted, so nothing unauthenticated is ever exposed. Logs go to standard output in
 * `config.logFormat` (`auto`: human lines on a terminal, JSON otherwise).
 */
export async function serve(
  config: Config,
  onRootKey: (key: string, given: boolean) => void = () => {},
  onKeysExist: () => void = () => {},
): Promise<RunningServer> {
  if (!config.auth && !isLoopback(config.host)) {
    throw new MemspaceError('VALIDATION_FAILED', `refusing to listen on ${config.host} without authentication: --no-auth is for loopback addresses only`, {
      issues: [{ path: 'host', message: 'use 127.0.0.1, ::1 or localhost, or keep authentication on' }],
    });
  }
  // A server searches on every core unless told otherwise; the library keeps to its caller's thread.
  const memspace = await openMemspace({ ...config, workers: config.workers ?? availableParallelism() });
  if (config.auth) {
    const root = await memspace.keys.ensureRootKey(config.rootKey).catch(async (error: unknown) => {
      await memspace.close();
      throw error;
    });
    if (root !== undefined) onRootKey(root, config.rootKey !== undefined);
    else onKeysExist();
  }
  const stream = logDestination(resolveLogFormat(config.logFormat, process.stdout.isTTY === true));
  const app = await buildApp({ memspace, logger: { level: 'info', stream }, auth: config.auth, keyRateLimit: config.keyRateLimit });
  const grpc =
    config.grpcPort === 0 ? undefined : buildGrpcServer({ memspace, auth: config.auth, onInternalError: (error, rpc) => app.log.error({ err: error, rpc }, 'gRPC call failed') });
  let grpcPort: number | undefined;
  try {
    await listening(app.listen({ host: config.host, port: config.port }), config.host, config.port);
    if (grpc !== undefined) grpcPort = await listening(grpc.listen(config.host, config.grpcPort), config.host, config.grpcPort);
  } catch (error) {
    await grpc?.close(0);
    await app.close();
    await memspace.close();
    throw error;
  }
  // Background upkeep of a long-running process: idle spaces close, expired memories go.
  if (config.idleTimeoutMs > 0) memspace.lifecycle.startIdleClosing(Math.min(config.idleTimeoutMs, 30_000));
  if (config.sweepIntervalMs > 0) memspace.sweeper.start(config.sweepIntervalMs);
  if (config.consolidationTickMs > 0) memspace.consolidationSchedule.start(config.consolidationTickMs);
  // Slow clients must not hold sockets forever.
  app.server.requestTimeout = 60_000;
  app.server.headersTimeout = 15_000;
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  let closing: Promise<void> | undefined;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    app,
    url: `http://${host}:${port}`,
    grpcAddress: grpcPort === undefined ? undefined : `${host}:${grpcPort}`,
    close() {
      closing ??= (async () => {
        await Promise.all([grpc?.close(), app.close()]);
        await memspace.close();
      })();
      return closing;
    },
  };
}

/** What `listen` resolves with; a port that is taken or forbidden is `BACKEND_UNAVAILABLE` naming it. */
async function listening<T>(listen: Promise<T>, host: string, port: number): Promise<T> {
  try {
    return await listen;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as NodeJS.ErrnoException).code ?? /EADDRINUSE|EACCES/.exec(message)?.[0];
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw new MemspaceError('BACKEND_UNAVAILABLE', `cannot listen on ${host}:${port} (${code})`, { host, port }, { cause: error });
    }
    throw error;
  }
}
