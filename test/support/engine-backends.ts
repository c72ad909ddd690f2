import { loadConfig } from '../../src/config.js';
import { openEngine, type MemspaceEngine } from '../../src/memspace.js';
import { startPostgres, type PostgresServerOptions } from './postgres-server.js';
import { tempMemspace } from './temp-memspace.js';

/** An engine opened for a test, and how to close it and remove what it made. */
export interface OpenedEngine {
  ms: MemspaceEngine;
  stop(): Promise<void>;
}

/**
 * The two backends an HTTP test runs on when the behaviour it checks goes through the catalogue
 * or the store: a temporary embedded data directory, and a real PostgreSQL 15 server started for
 * the test. For `describe.each(ENGINE_BACKENDS)('… on $name', ({ open }) => …)`.
 */
export const ENGINE_BACKENDS: readonly { name: string; open: () => Promise<OpenedEngine> }[] = [
  {
    name: 'the embedded backend',
    open: async () => {
      const ms = await tempMemspace();
      return { ms, stop: () => ms.cleanup() };
    },
  },
  { name: 'PostgreSQL 15', open: () => postgresEngine({}) },
];

/** An engine on a PostgreSQL 15 server (a Citus cluster with `citusWorkers`) started for the test. */
export async function postgresEngine(options: PostgresServerOptions): Promise<OpenedEngine> {
  const pg = await startPostgres(options);
  const ms = await openEngine(loadConfig({ backend: 'postgres', pgUrl: pg.url, pgPoolSize: 4 }, {}));
  return {
    ms,
    async stop() {
      await ms.close();
      await pg.stop();
    },
  };
}
