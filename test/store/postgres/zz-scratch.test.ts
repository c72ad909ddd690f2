import { it } from 'vitest';
import pg from 'pg';
import { PostgresBackend } from '../../../src/store/postgres/postgres-backend.js';
import { startPglite } from '../../../test/support/pglite.js';
it('x', async () => {
  const s = await startPglite();
  const b = await PostgresBackend.connect({ url: s.url, poolSize: 4 });
  const pool = b.connectionPool;
  const q = async (sql: string, p: unknown[] = []) => { try { const r = await pool.query(sql, p); return r.rows ?? r; } catch (e) { return String(e); } };
  console.log(await q("SELECT extversion FROM pg_extension WHERE extname='vector'"));
  console.log(await q('SET hnsw.iterative_scan = relaxed_order'), await q('SHOW hnsw.iterative_scan'), await q('SHOW hnsw.ef_search'), await q('SHOW hnsw.max_scan_tuples'));
  await q(`INSERT INTO memories (space_id,id,seq,content,metadata,tags,kind,importance,created_at,updated_at,dimension,embedding,payload_bytes)
    SELECT CASE WHEN i<=2000 THEN 's1' ELSE 's'||(i%5+2) END, 'm'||i, i, 'c', '{}', '[]', 'k', 0.5, 0, 0, 32, (SELECT array_agg(random())::vector FROM generate_series(1,32) WHERE i>0), 1 FROM generate_series(1,8000) i`);
  await q('ANALYZE memories'); let t = Date.now();
  console.log(await q('CREATE INDEX CONCURRENTLY IF NOT EXISTS memories_hnsw_32 ON memories USING hnsw ((embedding::vector(32)) vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE dimension = 32'), Date.now() - t);
  console.log(await q("SELECT indexrelid::regclass, indisvalid FROM pg_index WHERE indexrelid::regclass::text LIKE 'memories_hnsw%'"));
  const c = await pool.connect();
  await c.query(`BEGIN; SET LOCAL ROLE memspace_app; SELECT set_config('memspace.space','s1',true); SET LOCAL hnsw.iterative_scan = relaxed_order; SET LOCAL hnsw.ef_search = 100`);
  const vec = '[' + Array.from({length:32},()=>Math.random()).join(',') + ']';
  const sql = `EXPLAIN ANALYZE WITH c AS MATERIALIZED (SELECT m.id, m.seq, (m.embedding::vector(32)) <=> $2::vector(32) AS d FROM memories m WHERE m.space_id = $1 AND m.dimension = 32 AND (m.expires_at IS NULL OR m.expires_at > $3) ORDER BY (m.embedding::vector(32)) <=> $2::vector(32) LIMIT $4) SELECT id, 1 - d AS score FROM c ORDER BY d, seq LIMIT $5`;
  console.log((await c.query(sql, ['s1', vec, 0, 40, 10])).rows.map((r: any) => r['QUERY PLAN']).join('\n'));
  await c.query('COMMIT'); c.release();
  await b.close(); await s.stop();
}, 120000);
