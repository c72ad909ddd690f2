import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openEngine } from '../../src/memspace.js';
import { killServeProcesses, startServeProcess, type ServeProcess } from '../support/serve-process.js';
import { axisVector, tempDir } from '../support/temp-memspace.js';

/*
 * Nothing blocks the event loop for long: the snapshot, compression, extraction and fsyncs of
 * an archive or a restore run in a worker thread, so a server archiving a space of 100,000
 * memories keeps answering `GET /v1/health` within 50 ms, the figure issue 17 names. The server
 * is a `memspace serve` process of its own, so what is timed is its event loop, not the test's.
 *
 * On a loaded 2-core machine a health check now and then takes longer than 50 ms with no
 * archive at all (the server's thread is simply not scheduled: up to 240 ms measured at a load
 * average of 10), so a slow answer alone proves nothing. A slow answer fails the test when the
 * server's main thread itself computed for 50 ms or more meanwhile (its CPU time, from /proc),
 * which is what work on the event loop looks like and scheduling delay does not: the snapshot
 * alone of this space costs the thread that runs it about 600 ms of CPU in one call.
 */

const MEMORIES = 100_000;
const DIM = 8;
const BATCH = 2_000;
/** The longest a health check may take while the archive runs. */
const HEALTH_BUDGET_MS = 50;
/** Fewer answers than this would not show the server answering during the archive at all. */
const MIN_POLLS = 5;

let dataDir: string;
let server: ServeProcess;

beforeAll(async () => {
  dataDir = tempDir('memspace-archive-health-');
  // The engine's bulk path: batches of 2,000 in one transaction each, vectors given, no index to build.
  const ms = await openEngine(loadConfig({ dataDir, annThreshold: 0, sync: 'normal' }, {}));
  await ms.spaces.create({ name: 'big', embedder: 'none', dimension: DIM });
  for (let start = 0; start < MEMORIES; start += BATCH) {
    const batch = Array.from({ length: BATCH }, (_, j) => ({ id: `m${start + j}`, content: `note ${start + j} about topic ${(start + j) % 97}`, embedding: axisVector(DIM, start + j) }));
    await ms.memories.addMany('big', batch);
  }
  await ms.close();
  // No background sweep or index build competes with what is measured.
  server = await startServeProcess(dataDir, ['--no-auth', '--port', '0', '--grpc-port', '0', '--workers', '1'], {
    MEMSPACE_ANN_THRESHOLD: '0',
    MEMSPACE_SWEEP_INTERVAL_MS: '0',
  });
}, 600_000);

afterAll(async () => {
  if (server !== undefined) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  killServeProcesses();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

/** One health check: its round trip, and the CPU time the server's main thread used meanwhile, in ms. */
interface Poll {
  latencyMs: number;
  mainCpuMs: number;
}

/**
 * CPU time (user and system) the main thread of process `pid` has used, in ms: fields 14 and 15
 * of /proc/<pid>/task/<pid>/stat, in clock ticks of 10 ms (USER_HZ is 100 on Linux).
 */
function mainThreadCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Polls `GET /v1/health` one request after another until `operation` settles. */
async function healthWhile<T>(operation: Promise<T>): Promise<{ result: T; polls: Poll[] }> {
  let done = false;
  const settled = operation.finally(() => (done = true));
  const polls: Poll[] = [];
  const pid = server.child.pid!;
  while (!done) {
    const cpu = mainThreadCpuMs(pid);
    const began = performance.now();
    const res = await fetch(`${server.url}/v1/health`);
    const body = (await res.json()) as { live?: boolean };
    polls.push({ latencyMs: performance.now() - began, mainCpuMs: mainThreadCpuMs(pid) - cpu });
    expect(res.status).toBe(200);
    expect(body.live).toBe(true);
  }
  return { result: await settled, polls };
}

/** Health checks slower than the budget because the server's main thread was busy for as long. */
function blocked(polls: readonly Poll[]): Poll[] {
  return polls.filter((p) => p.latencyMs > HEALTH_BUDGET_MS && p.mainCpuMs >= HEALTH_BUDGET_MS);
}

function summary(polls: readonly Poll[]): string {
  const sorted = polls.map((p) => p.latencyMs).sort((a, b) => a - b);
  const at = (q: number): string => (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN).toFixed(1);
  const slow = sorted.filter((ms) => ms > HEALTH_BUDGET_MS).length;
  const cpu = Math.max(0, ...polls.map((p) => p.mainCpuMs));
  return `${sorted.length} health checks: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms, ${slow} over ${HEALTH_BUDGET_MS} ms; most main-thread CPU during one: ${cpu} ms`;
}

async function post(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST' });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('archiving a large space off the main thread', () => {
  it('keeps answering /v1/health while 100,000 memories are archived and restored, no check waiting 50 ms on the main thread, and the space comes back whole', async () => {
    const archive = await healthWhile(post('/v1/spaces/big/archive'));
    expect(archive.result.status, JSON.stringify(archive.result.body)).toBe(200);
    expect(archive.result.body).toMatchObject({ space: { name: 'big', state: 'archived' }, archiveBytes: expect.any(Number) });
    expect(archive.polls.length, summary(archive.polls)).toBeGreaterThanOrEqual(MIN_POLLS);
    expect(blocked(archive.polls), summary(archive.polls)).toEqual([]);

    const archived = await fetch(`${server.url}/v1/spaces/big/memories/m1`);
    expect(archived.status).toBe(409);
    expect(await archived.json()).toMatchObject({ error: { code: 'SPACE_ARCHIVED' } });

    const restore = await healthWhile(post('/v1/spaces/big/restore'));
    expect(restore.result.status, JSON.stringify(restore.result.body)).toBe(200);
    expect(restore.result.body).toMatchObject({ name: 'big', state: 'idle' });
    expect(restore.polls.length, summary(restore.polls)).toBeGreaterThanOrEqual(MIN_POLLS);
    expect(blocked(restore.polls), summary(restore.polls)).toEqual([]);

    const health = (await (await fetch(`${server.url}/v1/spaces/big/health`)).json()) as { memories: number };
    expect(health.memories).toBe(MEMORIES);
    for (const i of [0, 54_321, MEMORIES - 1]) {
      const res = await fetch(`${server.url}/v1/spaces/big/memories/m${i}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: `m${i}`, content: `note ${i} about topic ${i % 97}` });
    }
    const verified = await fetch(`${server.url}/v1/spaces/big/audit/verify`);
    expect(await verified.json()).toMatchObject({ ok: true });
  }, 600_000);
});
