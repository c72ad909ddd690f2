import { PGlite } from '@electric-sql/pglite';
import { btree_gin } from '@electric-sql/pglite/contrib/btree_gin';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** A PGlite database served over the Postgres wire protocol on 127.0.0.1. */
export interface PgliteServer {
  /** `postgres://postgres@host:port/postgres`, for `pg` exactly as against a production server. */
  url: string;
  /** Stops the socket server and closes the database. */
  stop(): Promise<void>;
}

/**
 * Starts an in-memory PGlite with pgvector and btree_gin (the two extensions the postgres
 * backend's schema needs), served on a free port of 127.0.0.1. Starting takes seconds, so a
 * test file starts one in `beforeAll` and shares it between its tests.
 *
 * One Postgres session sits behind every socket connection: session state (`SET ROLE`,
 * `SET x`) leaks between connections, and queries run one at a time. The backend therefore sets
 * role and space only per transaction (`SET LOCAL ROLE`, `set_config(..., true)`).
 */
export async function startPglite(): Promise<PgliteServer> {
  const db = await PGlite.create({ extensions: { vector, btree_gin } });
  // At least the backend's pool size plus the connections tests open themselves.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 16 });
  await server.start();
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  return {
    url,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
