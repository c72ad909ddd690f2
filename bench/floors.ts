/**
 * Floors: what the engine cannot beat on this machine, measured in the same run as the engine
 * so that a missed target can be told apart from overhead of ours. Each figure bypasses the
 * engine: raw SQLite with the production schema and pragmas, a bare fsync'd commit, and the
 * raw vector scan.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';

import { normalize } from '../src/core/ranking.js';
import { DotKernel } from '../src/store/sqlite/dot-kernel.js';
import { openSpaceDatabase } from '../src/store/sqlite/space-database.js';
import { INSERT_FTS_AFTER_SQL, MAX_MEMORY_SEQ_SQL } from '../src/store/sqlite/space-rows.js';
import { DIMENSION, summarize } from './engine.js';

/** Figures reported by {@link benchFloors}. */
export interface FloorsResult {
  /** One tiny row committed into a bare table, WAL + synchronous=FULL: the cost of the fsync itself. */
  fsyncCommitP50Ms: number;
  /** One memory (row, FTS5, history, change event) committed with plain SQL on the production schema. */
  schemaSingleInsertP50Ms: number;
  /** The same, 1,000 memories per transaction. */
  schemaBatchPerSec: number;
  /** Dot products of 10,000 512-d vectors with one query in the WebAssembly SIMD kernel. */
  kernelScan10kP50Ms: number;
  /** The same over the int8 copy of the vectors (a quarter of the bytes), without the exact rescoring. */
  int8Scan10kP50Ms: number;
  /** The same with a plain JavaScript loop over a Float32Array. */
  jsScan10kP50Ms: number;
}

/** Measures the floors; `quick` runs fewer repetitions. */
export async function benchFloors(options: { quick: boolean }): Promise<FloorsResult> {
  const dir = mkdtempSync(join(tmpdir(), 'memspace-floors-'));
  try {
    const reps = options.quick ? 200 : 1000;
    return {
      fsyncCommitP50Ms: bareCommit(join(dir, 'bare.db'), reps),
      ...schemaInserts(join(dir, 'space.db'), reps, options.quick ? 5 : 20),
      ...scans(options.quick ? 50 : 200),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function time(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function bareCommit(file: string, reps: number): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  for (let i = 0; i < 50; i++) insert.run('warm');
  const latencies = Array.from({ length: reps }, () => time(() => insert.run('x')));
  db.close();
  return summarize(latencies).p50Ms;
}

function schemaInserts(file: string, reps: number, batches: number): Pick<FloorsResult, 'schemaSingleInsertP50Ms' | 'schemaBatchPerSec'> {
  const db = openSpaceDatabase(file, { create: true });
  const memory = db.prepare(`INSERT INTO memories (id, content, metadata, tags, kind, importance, created_at, updated_at, embedding)
    VALUES (?, ?, '{"source":"bench"}', '["topic"]', 'fact', 0.5, 0, 0, ?)`);
  const history = db.prepare(`INSERT INTO history (memory_id, action, new_content, at) VALUES (?, 'create', ?, 0)`);
  const change = db.prepare(`INSERT INTO changes (at, op, id) VALUES (0, 'memory.created', ?)`);
  // The keyword index, as the engine writes it: one statement per transaction for its new rows.
  const keywords = db.prepare(INSERT_FTS_AFTER_SQL);
  const lastSeq = db.prepare(MAX_MEMORY_SEQ_SQL).pluck();
  const blob = Buffer.from(normalize(Float32Array.from({ length: DIMENSION }, (_, i) => Math.sin(i))).buffer);
  let n = 0;
  const one = (): void => {
    const id = `m${n++}`;
    const text = `The user mentioned the quarterly invoice number ${n} during the call and asked for a summary`;
    memory.run(id, text, blob);
    history.run(id, text);
    change.run(id);
  };
  const single = db.transaction(() => {
    const before = lastSeq.get() as number;
    one();
    keywords.run(before);
  });
  const batch = db.transaction(() => {
    const before = lastSeq.get() as number;
    for (let i = 0; i < 1000; i++) one();
    keywords.run(before);
  });
  batch();
  for (let i = 0; i < 50; i++) single();
  const latencies = Array.from({ length: reps }, () => time(() => single()));
  const total = Array.from({ length: batches }, () => time(() => batch())).reduce((a, b) => a + b, 0);
  db.close();
  return { schemaSingleInsertP50Ms: summarize(latencies).p50Ms, schemaBatchPerSec: (batches * 1000) / (total / 1000) };
}

function scans(reps: number): Pick<FloorsResult, 'kernelScan10kP50Ms' | 'int8Scan10kP50Ms' | 'jsScan10kP50Ms'> {
  const n = 10_000;
  const kernel = new DotKernel(DIMENSION);
  kernel.reserve(n);
  for (let i = 0; i < kernel.rows.length; i++) kernel.rows[i] = Math.sin(i) * 0.05;
  kernel.quantize(0, n);
  const rows = kernel.rows.slice(0, n * DIMENSION);
  const query = normalize(Float32Array.from({ length: DIMENSION }, (_, i) => Math.cos(i)));
  const jsScan = (): number => {
    let best = Number.NEGATIVE_INFINITY;
    for (let r = 0; r < n; r++) {
      let s = 0;
      const base = r * DIMENSION;
      for (let i = 0; i < DIMENSION; i++) s += rows[base + i]! * query[i]!;
      if (s > best) best = s;
    }
    return best;
  };
  for (let i = 0; i < 20; i++) {
    kernel.score(query, n);
    kernel.approxScores(query, n);
    jsScan();
  }
  return {
    kernelScan10kP50Ms: summarize(Array.from({ length: reps }, () => time(() => kernel.score(query, n)))).p50Ms,
    int8Scan10kP50Ms: summarize(Array.from({ length: reps }, () => time(() => kernel.approxScores(query, n)))).p50Ms,
    jsScan10kP50Ms: summarize(Array.from({ length: Math.ceil(reps / 4) }, () => time(() => jsScan()))).p50Ms,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await benchFloors({ quick: process.argv.includes('--quick') }));
}
