import type pg from 'pg';

/**
 * The SQL text of every statement `work` sends through `pool`'s connections, in order: the
 * pool's `connect` is wrapped while `work` runs, so the statements of a store's sessions and
 * transactions are all seen (isolation tests check each names its space).
 */
export async function statementsOf(pool: pg.Pool, work: () => Promise<void>): Promise<string[]> {
  const statements: string[] = [];
  const original = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  (pool as unknown as { connect: () => Promise<pg.PoolClient> }).connect = async () => {
    const client = await original();
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      if (typeof args[0] === 'string') statements.push(args[0]);
      return query(...args);
    };
    return client;
  };
  try {
    await work();
  } finally {
    (pool as unknown as { connect: typeof original }).connect = original;
  }
  return statements;
}
