/**
 * Citus: a PostgreSQL schema made distributed (space-schema.ts `migrate` calls it at every start).
 */
import type pg from 'pg';

/** The catalogue: small, read by every request, so on a Citus cluster a copy lives on every node. */
const CATALOGUE_TABLES = ['spaces', 'keys', 'shares', 'federations', 'federation_participants', 'federation_releases', 'projects'] as const;

/** True when the database is a Citus coordinator: the `citus` extension is installed in it. */
export async function hasCitus(db: Pick<pg.Pool, 'query'>): Promise<boolean> {
  return ((await db.query(`SELECT 1 FROM pg_extension WHERE extname = 'citus'`)).rowCount ?? 0) > 0;
}

/**
 * On a Citus coordinator (the `citus` extension installed in this database), makes the schema
 * a distributed one: the catalogue as reference tables, every per-space table distributed by
 * `space_id` and co-located with `space_state`, so all rows of a space live on one worker and a
 * space's transaction (its relations' foreign keys included) runs there alone. The coordinator
 * reaches the workers as the current role, which inside a space transaction is `appRole`:
 * that role must be able to log in there (the workers' authentication decides who may; it still
 * cannot bypass RLS). Checked at every start, so a database that gets Citus later is
 * distributed on the next start, its rows moved to the workers. Does nothing without Citus.
 */
export async function distributeOnCitus(client: pg.PoolClient, spaceTables: readonly string[], appRole: string): Promise<void> {
  if (!(await hasCitus(client))) return;
  const done = await client.query<{ name: string }>('SELECT logicalrelid::regclass::text AS name FROM pg_dist_partition');
  const distributed = new Set(done.rows.map((r) => r.name));
  for (const table of CATALOGUE_TABLES) {
    if (!distributed.has(table)) await client.query(`SELECT create_reference_table('${table}')`);
  }
  // The space tables list memories before relations, whose foreign keys need it distributed first.
  for (const table of spaceTables) {
    if (distributed.has(table)) continue;
    const colocation = table === 'space_state' ? '' : `, colocate_with => 'space_state'`;
    await client.query(`SELECT create_distributed_table('${table}', 'space_id'${colocation})`);
  }
  const role = await client.query<{ login: boolean }>('SELECT rolcanlogin AS login FROM pg_roles WHERE rolname = $1', [appRole]);
  if (role.rows[0]?.login === false) await client.query(`ALTER ROLE ${appRole} LOGIN`);
}
