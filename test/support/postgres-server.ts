import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** A throwaway PostgreSQL server, or the coordinator of a Citus cluster, on 127.0.0.1. */
export interface PostgresServer {
  /** The URL of the server (of the coordinator, for a cluster), over TCP. */
  url: string;
  /** The same server through its Unix socket: what a client on the same machine should use (no TCP stack on either side). */
  socketUrl: string;
  /** The workers of a Citus cluster, in the order they were added (none for a single server). */
  workers: PostgresNode[];
  /** Starts one more node with Citus loaded, not yet part of the cluster (`citus_add_node` adds it). */
  addNode(): Promise<PostgresNode>;
  stop(): Promise<void>;
}

/** One server process of a cluster, which a test may stop and start again (same data, same port). */
export interface PostgresNode {
  port: number;
  url: string;
  socketUrl: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** What {@link startPostgres} starts. */
export interface PostgresServerOptions {
  /** Start a Citus cluster: a coordinator and this many workers (`citus` loaded, extension created, nodes added). */
  citusWorkers?: number;
  /** Server settings (`-c name=value`) beyond the defaults of this helper. */
  settings?: Record<string, string>;
}

/**
 * Starts a real PostgreSQL (the newest under /usr/lib/postgresql; `.ci/run` installs PostgreSQL
 * 15 with pgvector and Citus) in a temporary directory: one server, or a Citus coordinator with
 * workers. Durability is off (`fsync=off`): these servers hold test data only. Run as root, the
 * servers run as the `postgres` user, as they must. Fails if a server does not start: a test
 * that needs one never passes without it.
 */
export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'memspace-pg-'));
  const asUser = process.getuid?.() === 0 ? postgresUser() : undefined;
  if (asUser) chownSync(dir, asUser.uid, asUser.gid);
  const citus = options.citusWorkers !== undefined;
  const nodes: PostgresNode[] = [];
  const startNode = async (): Promise<PostgresNode> => {
    const node = await initNode(dir, nodes.length, citus, options.settings ?? {}, asUser);
    nodes.push(node);
    if (citus) await sql(node.url, 'CREATE EXTENSION IF NOT EXISTS citus');
    return node;
  };
  const stop = async (): Promise<void> => {
    for (const node of nodes.reverse()) await node.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const coordinator = await startNode();
    const workers: PostgresNode[] = [];
    if (citus) {
      await sql(coordinator.url, `SELECT citus_set_coordinator_host('127.0.0.1', ${coordinator.port})`);
      for (let i = 0; i < options.citusWorkers!; i++) {
        const worker = await startNode();
        await sql(coordinator.url, `SELECT citus_add_node('127.0.0.1', ${worker.port})`);
        workers.push(worker);
      }
    }
    return { url: coordinator.url, socketUrl: coordinator.socketUrl, workers, addNode: startNode, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** Creates and starts server number `index` of the cluster in `dir`. */
async function initNode(dir: string, index: number, citus: boolean, settings: Record<string, string>, asUser: { uid: number; gid: number } | undefined): Promise<PostgresNode> {
  const bin = postgresBinDir();
  const data = join(dir, `node${index}`);
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'], { encoding: 'utf8', ...asUser });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const socketUrl = `postgres://postgres@/postgres?host=${encodeURIComponent(dir)}&port=${port}`;
  const args = ['-D', data, '-k', dir, '-h', '127.0.0.1', '-p', String(port), '-c', 'fsync=off', '-c', 'full_page_writes=off'];
  // Logical decoding lets the rebalancer move shards while they are written to; 4 shards per
  // table (Citus makes 32) keep a rebalance to one or two moves.
  if (citus) args.push('-c', 'shared_preload_libraries=citus', '-c', 'wal_level=logical', '-c', 'citus.shard_count=4');
  for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
  let exited: Promise<void> | undefined;
  let server: ChildProcess | undefined;
  const node: PostgresNode = {
    port,
    url,
    socketUrl,
    async start() {
      // HOME of its own: a Citus node connects to the others with libpq, which reads client
      // certificates under HOME, and the caller's (root's) is not readable by the postgres user.
      const log = openSync(`${data}.log`, 'a'); // kept with the data while the cluster runs
      const child = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', log, log], env: { ...process.env, HOME: dir }, ...asUser });
      closeSync(log);
      server = child;
      exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await untilAccepting(url, exited);
    },
    async stop() {
      if (server === undefined) return;
      server.kill('SIGINT'); // fast shutdown: disconnects clients
      await exited;
      server = undefined;
    },
  };
  await node.start();
  return node;
}

/** Runs one statement as the superuser. */
async function sql(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql: apt-get install postgresql (.ci/run does)');
  return join(root, newest, 'bin');
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root needs a "postgres" user to run the server as (the postgresql package creates it)');
  return { uid, gid: id('-g') };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Retries a connection until the server accepts one; fails if the server exits first. */
async function untilAccepting(url: string, exited: Promise<void>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error('postgres exited during start');
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * A superuser pool for a test to look behind the engine. `pool.end()` resolves before its sockets
 * close, so a server stopped right after can still send them "terminating connection"; the pool
 * would raise that as an unhandled error, so it is dropped here.
 */
export function adminPool(url: string, max = 2): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => undefined);
  return pool;
}
