/**
 * The soak run (`npm run soak -- --minutes N`, default 30; not part of `npm test`): one real
 * `memspace serve` on a fresh data directory under mixed load for N minutes, killed with
 * SIGKILL half-way and started again on the same directory and port, then checked:
 *
 * - every acknowledged write is there (memories the run deleted, or let expire and swept, are
 *   not), with the content of its last acknowledged revision, and nothing else is;
 * - each followed space's change feed holds exactly the events of those writes and sweeps, and
 *   every subscriber received its feed without gap or duplicate across its drops and the restart;
 * - the server did not exit but for the planned kill, and stopped cleanly at the end;
 * - its resident memory and open file descriptors stayed flat after warm-up, per lifetime
 *   (least-squares slope, reported).
 *
 * It prints latency percentiles per operation and the checks, writes `bench/out/soak.json`,
 * renders the "Soak run" section of bench/RESULTS.md (a kept section, which `bench/run.ts`
 * leaves alone), and exits 1 when a check failed, keeping the data directory for a look.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { writeKeptSection } from './kept-sections.js';
import { SOAK_DIMENSION, contentHash, soakMemory } from './soak-data.js';
import { SoakHttp, sleep } from './soak-http.js';
import { Ledger } from './soak-ledger.js';
import { operationFigures, soakMarkdown, trends, type Lifetime, type SoakResult } from './soak-report.js';
import { Supervisor, type LifecycleCounters } from './soak-server.js';
import { compareWithFeed, EventLog, readFeed, Subscriber } from './soak-subscriber.js';
import { ARCHIVE_SPACE_CAP, DATA_SPACE_CAP, HOT_SPACES, adder, archiver, batcher, churner, mutator, reader, searcher, type LoadContext } from './soak-workers.js';
import { seededRandom } from './vectors.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const SAMPLE_MS = 2_000;
const PROGRESS_MS = 30_000;
const DATA_SPACES = Array.from({ length: 16 }, (_, i) => `soak-data-${String(i).padStart(2, '0')}`);
const ARCHIVE_SPACES = ['soak-archive-0', 'soak-archive-1'];
/** Spaces with a subscriber: four data spaces (always open, so never idle) and both archived ones. */
const FOLLOWED = [...DATA_SPACES.slice(0, 4), ...ARCHIVE_SPACES];
const ROOT_KEY = `msk_soak_${randomBytes(16).toString('hex')}`;
/**
 * The server's knobs: spaces idle for 4 s close, at most 14 are open (about 12 are in use at
 * any time, 19 and the churn spaces in all), and expired memories are swept every 5 s, so the
 * whole lifecycle happens within minutes.
 */
const SERVER_ENV = {
  MEMSPACE_ROOT_KEY: ROOT_KEY,
  MEMSPACE_IDLE_TIMEOUT_MS: '4000',
  MEMSPACE_MAX_OPEN_SPACES: '14',
  MEMSPACE_SWEEP_INTERVAL_MS: '5000',
};

const minutes = minutesArgument(process.argv);
const failures: string[] = [];
let failureCount = 0;
/** Records a failed check, printing it at once (the first 200; the rest are only counted). */
function fail(message: string): void {
  failureCount += 1;
  if (failures.length >= 200) return;
  failures.push(message);
  console.error(`[soak] FAILED: ${message}`);
}

const runStart = Date.now();
const loadAverageStart = os.loadavg()[0] ?? Number.NaN;
const atSec = (): number => (Date.now() - runStart) / 1000;
const root = await mkdtemp(join(os.tmpdir(), 'memspace-soak-'));
const dataDir = join(root, 'data');
progress(`data directory ${dataDir}; ${minutes} minutes of load`);

const supervisor = await Supervisor.start({ dataDir, env: SERVER_ENV, clock: atSec, sampleMs: SAMPLE_MS, fail, progress });
const http = new SoakHttp(supervisor.url, ROOT_KEY, fail);
const ledger = new Ledger();
let serial = 0;
const newId = (prefix: string): string => `${prefix}${(++serial).toString(36)}`;

await prepareSpaces();
const stopSubscribers = new AbortController();
const subscribers = FOLLOWED.map((space, i) => new Subscriber(supervisor.url, ROOT_KEY, space, seededRandom(500 + i), fail));
const following = subscribers.map((s) => s.run(stopSubscribers.signal));
const monitoring = supervisor.monitor();

const loadStartedAt = Date.now();
const clientCpuBefore = process.cpuUsage();
const ctx: LoadContext = {
  http,
  ledger,
  dataSpaces: DATA_SPACES,
  archiveSpaces: ARCHIVE_SPACES,
  startedAt: loadStartedAt,
  until: loadStartedAt + minutes * 60_000,
  // The longest expiry is 30 s: none is left unexpired when the load ends.
  expiriesUntil: loadStartedAt + minutes * 60_000 - 35_000,
  fail,
  newId,
  churn: { created: 0, deleted: 0 },
};
progress(`load: 2 adders, a batcher, 2 searchers, a reader, a mutator, space churn, archive and restore, ${subscribers.length} subscribers`);
const workers = [adder, adder, batcher, searcher, searcher, reader, mutator, churner, archiver].map((work, i) =>
  work(ctx, seededRandom(100 + i)).catch((error: unknown) => fail(`the ${work.name} stopped: ${error instanceof Error ? error.message : String(error)}`)),
);
const reporting = setInterval(() => progress(status()), PROGRESS_MS);
const killing = sleep((ctx.until - Date.now()) / 2).then(() => supervisor.killAndRestart());
await Promise.all(workers);
const clientCpu = process.cpuUsage(clientCpuBefore);
const kill = await killing;
clearInterval(reporting);
progress('load over; checking');

const end = await checkEnd();
supervisor.stopMonitoring();
await monitoring;
const exit = await supervisor.stop();
if (exit.code !== 0) fail(`the server did not stop cleanly on SIGTERM (exit ${exit.code ?? exit.signal}): ${supervisor.stderrTail()}`);

const result = report();
await mkdir(join(BENCH_DIR, 'out'), { recursive: true });
await writeFile(join(BENCH_DIR, 'out', 'soak.json'), `${JSON.stringify(result, null, 2)}\n`);
await writeKeptSection(join(BENCH_DIR, 'RESULTS.md'), 'soak', soakMarkdown(result));
printSummary(result);
if (result.checks.passed) await rm(root, { recursive: true, force: true });
else progress(`data directory kept for a look: ${dataDir}`);
process.exit(result.checks.passed ? 0 : 1);

// ---- the steps --------------------------------------------------------------------------

/** Creates the spaces and fills each to two thirds of its cap, in batches, before the load. */
async function prepareSpaces(): Promise<void> {
  for (const space of [...DATA_SPACES, ...ARCHIVE_SPACES]) {
    http.expect('space create', await http.send('space create', 'POST', '/v1/spaces', { name: space, embedder: 'none', dimension: SOAK_DIMENSION }), '201');
    const target = Math.round(((DATA_SPACES.includes(space) ? DATA_SPACE_CAP : ARCHIVE_SPACE_CAP) * 2) / 3);
    for (let held = 0; held < target; held += 500) {
      const batch = newId('p');
      const memories = Array.from({ length: Math.min(500, target - held) }, (_, i) => soakMemory(`${batch}-${i}`, 0));
      const added = await http.send('prefill batch', 'POST', `/v1/spaces/${space}/memories/batch`, { memories: memories.map((m) => ({ ...m, metadata: { batch }, tags: ['soak', 'kept'] })) });
      if (!http.expect('prefill batch', added, '201')) continue;
      ledger.settled('first');
      for (const m of memories) ledger.added(space, m.id, contentHash(m.content), { batch });
    }
  }
  progress(`prepared ${DATA_SPACES.length + ARCHIVE_SPACES.length} spaces`);
}

/**
 * After the load: waits for the last expiry and sweeps every space, reads each space's whole
 * feed and lets its subscriber catch up, then compares feeds, subscribers and listings with the
 * ledger, and looks for churn spaces left behind.
 */
async function checkEnd(): Promise<{ feedEvents: number; presentAtEnd: number }> {
  const figures = { feedEvents: 0, presentAtEnd: 0 };
  const lastExpiry = ledger.lastExpiry();
  if (lastExpiry > Date.now()) await sleep(lastExpiry - Date.now() + 1_000);
  const spaces = [...DATA_SPACES, ...ARCHIVE_SPACES];
  for (const space of spaces) http.expect('final sweep', await http.send('final sweep', 'POST', `/v1/spaces/${space}/sweep`), '200');
  const sweptAt = Date.now();

  // Each feed is tallied against the ledger as it is read; the followed ones are kept for their subscribers.
  const feeds = new Map<string, EventLog>();
  for (const space of spaces) {
    const tally = ledger.feedTally(space);
    const log = FOLLOWED.includes(space) ? new EventLog() : undefined;
    figures.feedEvents += await readFeed(supervisor.url, ROOT_KEY, space, (e) => {
      tally.add(e);
      log?.push(e);
    });
    tally.check(sweptAt, fail);
    if (log !== undefined) feeds.set(space, log);
  }
  for (const subscriber of subscribers) {
    const last = feeds.get(subscriber.space)?.last() ?? 0;
    if (!(await subscriber.reach(last, 30_000))) fail(`the subscriber of ${subscriber.space} did not reach event ${last} within 30 s`);
  }
  stopSubscribers.abort();
  await Promise.all(following);
  for (const subscriber of subscribers) {
    for (const problem of compareWithFeed(subscriber.received, feeds.get(subscriber.space) ?? new EventLog())) fail(`the subscriber of ${subscriber.space}: ${problem}`);
  }

  for (const space of spaces) {
    const listedAt = Date.now();
    const listed = new Map<string, string>();
    for (let cursor: string | null = ''; cursor !== null; ) {
      const page = await http.send('final list', 'GET', `/v1/spaces/${space}/memories?limit=1000${cursor === '' ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
      if (!http.expect('final list', page, '200')) break;
      const body = page.body as { items: { id: string; content: string }[]; nextCursor: string | null };
      for (const m of body.items) listed.set(m.id, contentHash(m.content));
      cursor = body.nextCursor;
    }
    figures.presentAtEnd += ledger.checkListing(space, listed, listedAt, fail).present;
  }

  const left = await http.send('space list', 'GET', '/v1/spaces?prefix=soak-churn-&limit=100');
  if (http.expect('space list', left, '200')) {
    const names = (left.body as { items: { name: string }[] }).items.map((s) => s.name);
    if (names.length > 0) fail(`churn spaces left behind: ${names.join(', ')}`);
  }
  return figures;
}

/** The figures of the run, with the flatness of each lifetime checked. */
function report(): SoakResult {
  const lifetimes: Lifetime[] = supervisor.lifetimes.map((life) => {
    // Warm-up: a third of the loaded part of the lifetime, at most two minutes. The checks after the load are not fitted either.
    const loadedFrom = Math.max(life.startSec, (loadStartedAt - runStart) / 1000);
    const endSec = life.endSec ?? atSec();
    const loadedTo = Math.min(endSec, (ctx.until - runStart) / 1000);
    const warmUpSec = loadedFrom - life.startSec + Math.min(120, (loadedTo - loadedFrom) / 3);
    const { rssMiB, fds, cpuCores, samples } = trends(life.samples, life.startSec + warmUpSec, loadedTo);
    if (rssMiB?.flat === false) fail(`server ${life.pid}: RSS grew by ${rssMiB.growth.toFixed(1)} MiB after warm-up (${rssMiB.slopePerMin.toFixed(2)} MiB/min)`);
    if (fds?.flat === false) fail(`server ${life.pid}: open file descriptors grew by ${fds.growth.toFixed(1)} after warm-up (${fds.slopePerMin.toFixed(2)}/min)`);
    return { pid: life.pid, startSec: life.startSec, endSec, warmUpSec, samples, rssMiB, fds, cpuCores, counters: life.counters };
  });
  const counters = supervisor.lifetimes.map((l) => l.counters);
  const total = (key: keyof LifecycleCounters): number => counters.reduce((sum, c) => sum + c[key], 0);
  // The run claims to exercise the lifecycle: say so when it did not happen.
  for (const key of ['evictions', 'idleCloses', 'sweptMemories'] as const) if (total(key) === 0) fail(`no ${key} in the server's metrics: the load did not exercise them`);
  const cpus = os.cpus();
  return {
    date: new Date(runStart).toISOString(),
    command: `npm run soak -- --minutes ${minutes}`,
    minutes,
    durationSec: atSec(),
    machine: { cpu: cpus[0]?.model.trim() ?? 'unknown', cores: cpus.length, ramGiB: os.totalmem() / 2 ** 30, node: process.version, os: `${os.type()} ${os.release()} ${os.arch()}` },
    loadAverage: { start: loadAverageStart, end: os.loadavg()[0] ?? Number.NaN },
    clientCpuCores: (clientCpu.user + clientCpu.system) / 1e6 / (minutes * 60),
    settings: {
      ...Object.fromEntries(Object.entries(SERVER_ENV).filter(([k]) => k !== 'MEMSPACE_ROOT_KEY')),
      dataSpaces: DATA_SPACES.length,
      hotSpaces: HOT_SPACES,
      archiveSpaces: ARCHIVE_SPACES.length,
      dataSpaceCap: DATA_SPACE_CAP,
      archiveSpaceCap: ARCHIVE_SPACE_CAP,
      dimension: SOAK_DIMENSION,
      sampleMs: SAMPLE_MS,
    },
    kill,
    lifetimes,
    operations: operationFigures(http.figures()),
    writes: { ...ledger.figures, presentAtEnd: end.presentAtEnd },
    churn: ctx.churn,
    subscribers: subscribers.map((s) => s.summary()),
    feedEvents: end.feedEvents,
    checks: { passed: failureCount === 0, failureCount, failures },
    samples: supervisor.lifetimes.flatMap((l) => l.samples.map((s) => ({ ...s, pid: l.pid }))),
  };
}

/** One line on how the run goes. */
function status(): string {
  const life = supervisor.lifetimes.at(-1)!;
  const sample = life.samples.at(-1);
  const answered = [...http.figures().values()].reduce((sum, r) => sum + r.latenciesMs.length, 0);
  const c = life.counters;
  return `${atSec().toFixed(0)} s: ${answered.toLocaleString('en-US')} answers, ${ledger.figures.added.toLocaleString('en-US')} memories added; server RSS ${sample?.rssMiB.toFixed(0) ?? '?'} MiB, ${sample?.fds ?? '?'} fds, ${c.evictions} evictions, ${c.idleCloses} idle closes, ${c.sweptMemories} swept; ${failureCount} failed checks`;
}

function printSummary(r: SoakResult): void {
  console.log(soakMarkdown(r));
  console.log(r.checks.passed ? '\n[soak] every check passed' : `\n[soak] ${r.checks.failureCount} checks failed`);
}

function minutesArgument(argv: readonly string[]): number {
  const at = argv.indexOf('--minutes');
  const value = at < 0 ? 30 : Number(argv[at + 1]);
  if (!(value >= 1)) {
    console.error('usage: npm run soak -- --minutes N   (N >= 1; default 30)');
    process.exit(2);
  }
  return value;
}

function progress(message: string): void {
  console.error(`[soak] ${message}`);
}
