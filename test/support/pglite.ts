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
  const server = new PGLiteSocketServer({ db: keepBatchesTogether(db), host: '127.0.0.1', port: 0, maxConnections: 16 });
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

/** Extended-protocol messages that open a batch ending at Sync: Parse, Bind, Describe, Execute, Close, Flush. */
const EXTENDED = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));
const SYNC = 'S'.charCodeAt(0);

/**
 * pglite-socket queues every protocol message on its own and keeps one connection's messages
 * together only while an explicit transaction is open. An autocommit extended-protocol query
 * (Parse, Bind, Execute, Sync: what `pg` sends for each parameterised query) can then be cut by
 * another connection's messages, and under load fails with "unnamed prepared statement does not
 * exist" or runs another connection's statement. This view of the database also reports a
 * transaction from the first message of such a batch until its Sync, so the queue serves the
 * batch without interleaving, as a real server's separate sessions would.
 */
function keepBatchesTogether(db: PGlite): PGlite {
  let batchOpen = false;
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'isInTransaction') return () => batchOpen || target.isInTransaction();
      if (prop === 'execProtocolRawStream') {
        return (message: Uint8Array, options: Parameters<PGlite['execProtocolRawStream']>[1]) => {
          if (message[0] === SYNC) batchOpen = false;
          else if (EXTENDED.has(message[0]!)) batchOpen = true;
          return target.execProtocolRawStream(message, options);
        };
      }
      if (prop === 'exec') {
        // The server rolls back a disconnected client's transaction with exec(): its batch ends too.
        return (...args: Parameters<PGlite['exec']>) => {
          batchOpen = false;
          return target.exec(...args);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
