/**
 * Rows and the RESULTS.md section of the lifecycle benchmark (bench/lifecycle.ts).
 */
import type { LifecycleResult } from './lifecycle.js';

/** A row of the results table, as bench/run.ts defines it. */
interface Row {
  figure: string;
  value: number | undefined;
  unit: string;
  target?: { kind: 'min' | 'max'; value: number };
  error?: string;
}

/** Rows of the lifecycle figures; the start with the most spaces carries the issue's target (<= 1 s). */
export function lifecycleRows(res: LifecycleResult | { error: string } | undefined): Row[] {
  if (res === undefined) return [];
  if ('error' in res) return [{ figure: 'server start with 100,001 spaces on disk', value: undefined, unit: 'ms', target: { kind: 'max', value: 1000 }, error: res.error }];
  const most = res.startup.at(-1);
  const n = (x: number): string => x.toLocaleString('en-US');
  return [
    ...(most === undefined ? [] : [{ figure: `server start with ${n(most.spaces)} spaces on disk (serve() to listening)`, value: most.startMs, unit: 'ms', target: { kind: 'max' as const, value: 1000 } }]),
    ...res.startup.flatMap((s) => [
      { figure: `server start with ${n(s.spaces)} spaces, serve() to listening`, value: s.startMs, unit: 'ms' },
      { figure: `server start with ${n(s.spaces)} spaces, process start to listening`, value: s.uptimeMs, unit: 'ms' },
      { figure: `server RSS after start with ${n(s.spaces)} spaces`, value: s.rssMiB, unit: 'MiB' },
    ]),
    ...res.coldSearch.map((c) => ({ figure: `open + first hybrid search of a closed space of ${n(c.memories)}, p50`, value: c.figures.p50Ms, unit: 'ms' })),
    ...res.rssPerOpenSpace.map((r) => ({ figure: `RSS per open space (${r.memoriesEach} memories each, searched once)`, value: r.kibPerSpace, unit: 'KiB' })),
    { figure: `sweep: hard deletes of expired memories (${n(res.sweep.expired)} of ${n(res.sweep.memories)})`, value: res.sweep.perSec, unit: 'memories/s' },
    { figure: `${n(res.churn.spaces)} spaces used in turn, cap ${res.churn.cap} open`, value: res.churn.perSec, unit: 'spaces/s' },
  ];
}

/** The section of RESULTS.md. */
export function lifecycleMarkdown(res: LifecycleResult | { error: string } | undefined): string[] {
  if (res === undefined) return [];
  if ('error' in res) return ['## Running many spaces', '', `Failed: ${res.error}`, ''];
  const n = (x: number, digits = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return [
    '## Running many spaces',
    '',
    `Measured by \`bench/lifecycle.ts\` (\`npm run bench:lifecycle\`) on ${res.date}${res.quick ? ' with `--quick`' : ''}; load average ${res.loadAverage.start.toFixed(2)} at start, ${res.loadAverage.end.toFixed(2)} at end.`,
    '',
    '| Spaces on disk | serve() to listening | process start to listening | RSS after start | spaces opened by the start |',
    '|--:|--:|--:|--:|--:|',
    ...res.startup.map((s) => `| ${n(s.spaces)} | ${n(s.startMs, 1)} ms | ${n(s.uptimeMs)} ms | ${n(s.rssMiB, 1)} MiB | ${s.openSpaces} |`),
    '',
    `Creating a space costs ${n(res.createMsPerSpace, 2)} ms (one durable catalogue transaction and an empty directory; its database is made on first use).`,
    '',
    '| Figure | Measured |',
    '|---|--:|',
    ...res.coldSearch.flatMap((c) => [
      `| open + first hybrid search of a closed space of ${n(c.memories)} memories, p50 | ${n(c.figures.p50Ms, 2)} ms |`,
      `| the same, p99 (${c.figures.count} runs) | ${n(c.figures.p99Ms, 2)} ms |`,
    ]),
    ...res.rssPerOpenSpace.map((r) => `| RSS per open space, ${r.memoriesEach} memories each (${n(r.spaces)} spaces opened and searched) | ${n(r.kibPerSpace)} KiB |`),
    `| sweep of ${n(res.sweep.expired)} expired memories out of ${n(res.sweep.memories)} (hard delete, history, change event, audit) | ${n(res.sweep.perSec)} memories/s (${n(res.sweep.ms)} ms) |`,
    `| ${n(res.churn.spaces)} spaces searched in turn with at most ${res.churn.cap} open | ${n(res.churn.perSec)} spaces/s, ${n(res.churn.evictions)} evictions, ${res.churn.openAfter} open after |`,
    '',
    'Method: spaces are created through `MemoryService.createSpace` (embedder `none`, 512 dimensions); each start is a fresh child process (`bench/lifecycle-startup.ts`) running `serve()` with authentication on, five runs per size, medians shown. Searches use caller-given 512-d clustered vectors and a keyword query; RSS per open space is the growth of the process RSS while every space is opened and searched once, divided by the number of spaces. The sweep deletes every other memory of one space, whose `expiresAt` has passed, through `RetentionSweeper.sweepSpace` in batches of 1,000 per transaction.',
    '',
  ];
}
