import { loadConfig } from '../../src/config.js';
import { openEngine } from '../../src/memspace.js';
import { startPglite } from '../support/pglite.js';
import { startPostgres, type PostgresServerOptions } from '../support/postgres-server.js';
import { describeBackend } from './describe-backend.js';
import type { Backend } from './harness.js';

/**
 * The PostgreSQL backend on its three targets, each reached through `pg` exactly as a production
 * server would be, every memspace of a test opened over the same database (as several servers
 * over one Postgres):
 * - PGlite (PostgreSQL compiled to WASM, with pgvector), fast, a single session;
 * - a real PostgreSQL 15 server with pgvector;
 * - a Citus cluster, a coordinator and two workers, which memspace distributes itself.
 */
function over(url: string, stop: () => Promise<void>): Backend {
  return {
    open: (options = {}) =>
      openEngine(loadConfig({ ...options.config, backend: 'postgres', pgUrl: url, pgPoolSize: 4 }, {}), options.now === undefined ? {} : { now: options.now }),
    cleanup: stop,
  };
}

async function server(options: PostgresServerOptions): Promise<Backend> {
  const pg = await startPostgres(options);
  return over(pg.url, () => pg.stop());
}

describeBackend('postgres (PGlite)', async () => {
  const pg = await startPglite();
  return over(pg.url, () => pg.stop());
});
describeBackend('postgres 15', () => server({}));
describeBackend('citus (coordinator and 2 workers)', () => server({ citusWorkers: 2 }));
