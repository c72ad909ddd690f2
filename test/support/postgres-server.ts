import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** A throwaway PostgreSQL server (the Debian `postgresql` package's binaries) on 127.0.0.1. */
export interface PostgresServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a real PostgreSQL in a temporary directory, for what PGlite cannot show: several
 * sessions (PGlite multiplexes every socket connection onto one session, so a NOTIFY reaches
 * only the connection that committed). Debian ships no pgvector, so this server cannot hold
 * memspace's schema; tests use it for the wire-level mechanisms only. `.ci/run` installs the
 * package. Run as root, the server runs as the `postgres` user, as it must.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const asUser = process.getuid?.() === 0 ? postgresUser() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'memspace-pg-'));
  if (asUser) chownSync(dir, asUser.uid, asUser.gid);
  const run = (cmd: string, args: string[]) => spawnSync(join(bin, cmd), args, { encoding: 'utf8', ...asUser });
  const init = run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const server: ChildProcess = spawn(
    join(bin, 'postgres'),
    ['-D', join(dir, 'data'), '-k', dir, '-h', '127.0.0.1', '-p', String(port), '-c', 'fsync=off', '-c', 'full_page_writes=off'],
    { stdio: 'ignore', ...asUser },
  );
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await untilAccepting(url, exited);
  return {
    url,
    async stop() {
      server.kill('SIGINT'); // fast shutdown: disconnects clients
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
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
