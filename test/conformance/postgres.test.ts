import { loadConfig } from '../../src/config.js';
import { openEngine } from '../../src/memspace.js';
import { startPglite } from '../support/pglite.js';
import { describeBackend } from './describe-backend.js';
import type { Backend } from './harness.js';

/**
 * The PostgreSQL backend, against PGlite with pgvector served over the wire protocol and reached
 * through `pg`, exactly as a production server would be: one database for the file, every
 * memspace opened over it (as several servers over one Postgres).
 */
async function postgresBackend(): Promise<Backend> {
  const pg = await startPglite();
  return {
    open: (options = {}) =>
      openEngine(loadConfig({ ...options.config, backend: 'postgres', pgUrl: pg.url, pgPoolSize: 4 }, {}), options.now === undefined ? {} : { now: options.now }),
    cleanup: () => pg.stop(),
  };
}

describeBackend('postgres', postgresBackend);
