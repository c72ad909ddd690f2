/**
 * Figures of the soak run (`bench/soak.ts`): the least-squares slope of the server's memory and
 * file descriptors after warm-up, latency percentiles by operation, and the "Soak run" section
 * of bench/RESULTS.md.
 */
import { summarize } from './engine.js';
import type { OpRecord } from './soak-http.js';
import type { LedgerFigures } from './soak-ledger.js';
import type { LifecycleCounters, ProcessSample } from './soak-server.js';
import type { SubscriberFigures } from './soak-subscriber.js';

/**
 * What "flat" allows over a lifetime's measured window: growth (slope times window) of at most
 * this many MiB or this share of the mean RSS, whichever is larger, and as many descriptors.
 * Spaces open and close all along, so both move; a leak shows as growth that keeps going.
 */
const FLAT_RSS_MIB = 16;
const FLAT_RSS_SHARE = 0.1;
const FLAT_FDS = 12;
/** A shorter measured window says nothing about a trend: it is shown, not judged. */
const MIN_WINDOW_SEC = 45;

/** A trend over the measured part of one lifetime. */
export interface Trend {
  start: number;
  end: number;
  mean: number;
  max: number;
  /** Least-squares slope, per minute. */
  slopePerMin: number;
  /** Slope times the measured window: how much the fitted line grew. */
  growth: number;
  /** Whether the growth stays within what "flat" allows; undefined when the window is too short to tell. */
  flat: boolean | undefined;
}

/** One server process, from its start to the kill or the end. */
export interface Lifetime {
  pid: number;
  startSec: number;
  endSec: number;
  /** Samples before this many seconds after the start are warm-up and not fitted, nor are those after the load. */
  warmUpSec: number;
  samples: number;
  rssMiB: Trend | undefined;
  fds: Trend | undefined;
  /** The server's CPU time over the measured window, in cores (1: one core busy all along). */
  cpuCores: number | undefined;
  counters: LifecycleCounters;
}

/** Latencies and answers of one operation. */
export interface OperationFigures {
  op: string;
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Answers by status and error code. */
  answers: Record<string, number>;
  /** Attempts without an answer (sent again), by reason. */
  unanswered: Record<string, number>;
}

/** Everything `bench/soak.ts` writes to bench/out/soak.json. */
export interface SoakResult {
  date: string;
  command: string;
  minutes: number;
  durationSec: number;
  machine: { cpu: string; cores: number; ramGiB: number; node: string; os: string };
  loadAverage: { start: number; end: number };
  /** CPU time of the client process (workers, subscribers, checks) over the load, in cores. */
  clientCpuCores: number;
  /** The server's environment (its knobs) and the shape of the load. */
  settings: Record<string, string | number>;
  kill: { atSec: number; downSec: number } | undefined;
  lifetimes: Lifetime[];
  operations: OperationFigures[];
  writes: LedgerFigures & { presentAtEnd: number };
  churn: { created: number; deleted: number };
  subscribers: SubscriberFigures[];
  /** Events in the feeds of the followed spaces at the end. */
  feedEvents: number;
  checks: { passed: boolean; failureCount: number; failures: string[] };
  samples: (ProcessSample & { pid: number })[];
}

/** The least-squares slope of `ys` over `xs`; 0 for fewer than two points. */
export function leastSquaresSlope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

/** The trends of a lifetime's samples from `fromSec` (after its warm-up) to `toSec` (the end of its load). */
export function trends(
  samples: readonly ProcessSample[],
  fromSec: number,
  toSec: number,
): { rssMiB: Trend | undefined; fds: Trend | undefined; cpuCores: number | undefined; samples: number } {
  const measured = samples.filter((s) => s.atSec >= fromSec && s.atSec <= toSec);
  const first = measured[0];
  const last = measured[measured.length - 1];
  if (first === undefined || last === undefined || last === first) return { rssMiB: undefined, fds: undefined, cpuCores: undefined, samples: measured.length };
  const windowSec = last.atSec - first.atSec;
  const minutes = measured.map((s) => s.atSec / 60);
  const trend = (values: number[], allowed: (mean: number) => number): Trend => {
    const slopePerMin = leastSquaresSlope(minutes, values);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const growth = (slopePerMin * windowSec) / 60;
    return { start: values[0]!, end: values[values.length - 1]!, mean, max: Math.max(...values), slopePerMin, growth, flat: windowSec < MIN_WINDOW_SEC ? undefined : growth <= allowed(mean) };
  };
  return {
    rssMiB: trend(measured.map((s) => s.rssMiB), (mean) => Math.max(FLAT_RSS_MIB, FLAT_RSS_SHARE * mean)),
    fds: trend(measured.map((s) => s.fds), () => FLAT_FDS),
    cpuCores: (last.cpuSec - first.cpuSec) / windowSec,
    samples: measured.length,
  };
}

/** Percentiles and answers of every operation, busiest first. */
export function operationFigures(ops: ReadonlyMap<string, OpRecord>): OperationFigures[] {
  return [...ops]
    .map(([op, record]) => {
      const latency = summarize(record.latenciesMs);
      return {
        op,
        count: latency.count,
        p50Ms: latency.p50Ms,
        p99Ms: latency.p99Ms,
        maxMs: latency.maxMs,
        answers: Object.fromEntries(record.answers),
        unanswered: Object.fromEntries(record.unanswered),
      };
    })
    .sort((a, b) => b.count - a.count);
}

const n = (x: number, digits = 0): string => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (x: number): string => (x < 10 ? n(x, 2) : x < 100 ? n(x, 1) : n(x));
const signed = (x: number, digits: number): string => `${x >= 0 ? '+' : ''}${n(x, digits)}`;

/** The "Soak run" section of bench/RESULTS.md. */
export function soakMarkdown(r: SoakResult): string {
  const lines = [
    '## Soak run',
    '',
    `Generated by \`bench/soak.ts\` (\`npm run soak -- --minutes ${r.minutes}\`) on ${r.date}: ${r.machine.cpu}, ${r.machine.cores} cores, ${n(r.machine.ramGiB, 1)} GiB RAM, Node ${r.machine.node}; load average ${n(r.loadAverage.start, 2)} at start, ${n(r.loadAverage.end, 2)} at end; ${n(r.durationSec)} s in all (load, then the checks).`,
    '',
    `One \`memspace serve\` (embedded backend, sync full, its default search threads) under mixed load from one client process for ${r.minutes} minutes: ${r.settings['dataSpaces']} data spaces of 64-d caller-given vectors written in a moving window of ${r.settings['hotSpaces']} hot ones, ${r.settings['archiveSpaces']} spaces archived and restored in turn, a space created, filled, searched and deleted over and over, and ${r.subscribers.length} change-stream subscribers that drop their connection every 2 to 15 s and resume with \`Last-Event-ID\`. Server knobs: ${Object.entries(r.settings)
      .filter(([k]) => k.startsWith('MEMSPACE_'))
      .map(([k, v]) => `\`${k}=${v}\``)
      .join(', ')}; a quarter of single adds expire 5 to 30 s after they are written.${r.kill === undefined ? '' : ` At ${n(r.kill.atSec)} s the server was killed with SIGKILL and started again on the same directory and port (${n(r.kill.downSec, 1)} s without a server); requests without an answer meanwhile were sent again and count as acknowledged only once answered.`}`,
    '',
    `**Checks: ${r.checks.passed ? 'all passed' : `${n(r.checks.failureCount)} failed (listed below)`}.** Acknowledged: ${n(r.writes.added)} memories added, ${n(r.writes.updated)} updates, ${n(r.writes.deletedOne)} memories deleted one by one and ${n(r.writes.deletedByFilter)} by filter; ${n(r.writes.withExpiry)} memories expired and were swept; of the write requests acknowledged, ${n(r.writes.settled.first)} were on their first attempt, ${n(r.writes.settled.retried)} on an attempt after one without answer (the kill), and ${n(r.writes.settled.earlier)} had been done by an attempt without answer, which the retry found (\`409 CONFLICT\` for an add, \`404\` for a delete). ${n(r.churn.created)} spaces were created and ${n(r.churn.deleted)} deleted. At the end the run checks that every acknowledged memory not deleted or expired is listed with the content of its last acknowledged revision (${n(r.writes.presentAtEnd)} of them) and nothing else is; that each space's feed (${n(r.feedEvents)} events in all) holds exactly one created event per memory, its updates, and one deleted event per deleted or expired one; and that every subscriber received its space's feed exactly, without gap or duplicate, across its ${n(r.subscribers.reduce((sum, s) => sum + s.drops + s.ends, 0))} dropped or ended connections and the restart.`,
    '',
    '| server lifetime | measured from | RSS start → end (MiB) | RSS slope | open fds start → end | fds slope | flat | server CPU | opens / evictions / idle closes | most open | sweeps (memories swept) |',
    '|---|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|',
    ...r.lifetimes.map((l, i) => {
      const rss = l.rssMiB;
      const fds = l.fds;
      const c = l.counters;
      const flat = rss?.flat === undefined || fds?.flat === undefined ? 'too short to tell' : rss.flat && fds.flat ? 'yes' : 'no';
      return `| ${i === 0 ? 'first' : 'after the kill'}, ${n(l.startSec)}–${n(l.endSec)} s | ${n(l.startSec + l.warmUpSec)} s | ${rss === undefined ? 'n/a' : `${n(rss.start)} → ${n(rss.end)}`} | ${rss === undefined ? 'n/a' : `${signed(rss.slopePerMin, 2)} MiB/min`} | ${fds === undefined ? 'n/a' : `${n(fds.start)} → ${n(fds.end)}`} | ${fds === undefined ? 'n/a' : `${signed(fds.slopePerMin, 2)}/min`} | ${flat} | ${l.cpuCores === undefined ? 'n/a' : `${n(l.cpuCores, 2)} cores`} | ${n(c.opens)} / ${n(c.evictions)} / ${n(c.idleCloses)} | ${n(c.maxOpenSpaces)} | ${n(c.sweeps)} (${n(c.sweptMemories)}) |`;
    }),
    '',
    `Samples every ${r.settings['sampleMs']} ms from \`/proc\`; the slopes are least-squares fits from the end of the warm-up (a third of the lifetime's load, at most two minutes) to the end of the load. "Flat" allows a fitted growth over that window of at most ${FLAT_RSS_MIB} MiB or ${FLAT_RSS_SHARE * 100}% of the mean RSS, and ${FLAT_FDS} descriptors (spaces open and close all along, so both move with them); a window under ${MIN_WINDOW_SEC} s is not judged. The client used ${n(r.clientCpuCores, 2)} cores. The counters are the server's \`/metrics\` at its last scrape, so they restart with the process.`,
    '',
    '| operation | answered | p50 ms | p99 ms | max ms | answers | sent again (no answer) |',
    '|---|--:|--:|--:|--:|---|---|',
    ...r.operations.map(
      (o) =>
        `| ${o.op} | ${n(o.count)} | ${ms(o.p50Ms)} | ${ms(o.p99Ms)} | ${ms(o.maxMs)} | ${Object.entries(o.answers)
          .map(([k, v]) => `${k}: ${n(v)}`)
          .join(', ')} | ${Object.entries(o.unanswered)
          .map(([k, v]) => `${k}: ${n(v)}`)
          .join(', ') || '-'} |`,
    ),
    '',
    'Latencies are per answered attempt, from sending the request to reading the whole answer, with nine workers (one request in flight each) and six event streams on the cores the server and the client share; an operation\'s expected refusals (`409 SPACE_ARCHIVED` while a space is archived, `409 CONFLICT` when a retried add meets its first attempt) are among its answers.',
  ];
  if (!r.checks.passed) lines.push('', '**Failed checks** (first ones):', '', ...r.checks.failures.slice(0, 20).map((f) => `- ${f}`));
  return lines.join('\n');
}
